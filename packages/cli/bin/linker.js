#!/usr/bin/env node
// The `linker` command: the compiled CLI.
import "../dist/linker.js";
