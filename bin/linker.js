#!/usr/bin/env node
// Entry point of the `linker` command: loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("../clients/cli/main.ts");
