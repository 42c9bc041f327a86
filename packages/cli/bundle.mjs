// Builds the `linker` command: one ESM entry (dist/linker.js) with every
// subcommand, the hub and the MCP server in chunks loaded only when a command
// needs them, so a hook or a one-shot command starts without compiling or
// resolving hundreds of modules.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";

const here = import.meta.dirname;
const outdir = join(here, "dist");
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { linker: join(here, "src", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Workspace packages are bundled from their sources; the native SQLite
  // binding and pino (loaded by the hub and the MCP server) stay installed modules,
  // and so does the dashboard, whose built files the hub finds through its package.
  conditions: ["linker-source"],
  external: ["better-sqlite3", "pino", "@linker/dashboard"],
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  banner: { js: "import { createRequire as __linkerRequire } from 'node:module'; const require = __linkerRequire(import.meta.url);" },
});
