#!/usr/bin/env node
// The `linker` command of this checkout (`npm link` puts it on PATH): the compiled CLI package.
import "../packages/cli/dist/linker.js";
