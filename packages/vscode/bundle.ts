import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { HUB_PROCESS_FILE } from "./src/hosting-paths.js";

/** The extension folder (holds the manifest). */
export const EXTENSION_DIR = import.meta.dirname;

/**
 * Modules left out of the bundle: VS Code's API, the native SQLite binding an
 * in-process hub loads, and the web dashboard package (the .vsix ships its
 * built files in dashboard/, which the hub child process serves at `/`).
 */
export const EXTERNAL_MODULES = ["vscode", "better-sqlite3", "@linker/dashboard"];

/** Where and how to bundle. */
export interface BundleOptions {
  /** Output file (default dist/extension.cjs). */
  outfile?: string;
  /** Minify (the .vsix does; tests keep names readable). */
  minify?: boolean;
}

/**
 * Bundles the extension, the Linker client and the hub code it can host into
 * one CommonJS file for VS Code's extension host (Node 20). `vscode` and
 * `better-sqlite3` stay external: VS Code provides the first, and the second
 * is shipped next to the bundle in the .vsix's node_modules.
 */
export async function bundleExtension(options: BundleOptions = {}): Promise<string> {
  const outfile = options.outfile ?? join(EXTENSION_DIR, "dist", "extension.cjs");
  await mkdir(join(outfile, ".."), { recursive: true });
  await build({
    entryPoints: [join(EXTENSION_DIR, "src", "extension.ts")],
    outfile,
    bundle: true,
    platform: "node",
    conditions: ["linker-source"],
    format: "cjs",
    target: "node20",
    external: EXTERNAL_MODULES,
    minify: options.minify ?? false,
    keepNames: true,
    sourcemap: options.minify ? false : "linked",
    legalComments: "none",
    logLevel: "warning",
  });
  return outfile;
}

/**
 * Bundles the hub child process (src/hub-process/main.ts) into one CommonJS
 * file with no native addon: its `better-sqlite3` import is mapped to
 * node-sqlite-binding.ts, so it runs under any runtime that has node:sqlite
 * (Node 22.13+, or VS Code's own runtime where it has it).
 */
export async function bundleHubProcess(options: BundleOptions = {}): Promise<string> {
  const outfile = options.outfile ?? join(EXTENSION_DIR, "dist", HUB_PROCESS_FILE);
  await mkdir(join(outfile, ".."), { recursive: true });
  await build({
    entryPoints: [join(EXTENSION_DIR, "src", "hub-process", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    conditions: ["linker-source"],
    format: "cjs",
    target: "node22",
    alias: { "better-sqlite3": join(EXTENSION_DIR, "src", "hub-process", "node-sqlite-binding.ts") },
    external: ["@linker/dashboard"],
    minify: options.minify ?? false,
    keepNames: true,
    sourcemap: options.minify ? false : "linked",
    legalComments: "none",
    logLevel: "warning",
  });
  return outfile;
}

/** Bundles a test suite that runs inside the extension host (CommonJS, `vscode` external). */
export async function bundleSuite(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    conditions: ["linker-source"],
    format: "cjs",
    target: "node20",
    external: EXTERNAL_MODULES,
    sourcemap: "inline",
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === import.meta.filename) {
  const minify = process.argv.includes("--minify");
  for (const outfile of [await bundleExtension({ minify }), await bundleHubProcess({ minify })]) console.log(`bundled ${outfile}`);
}
