import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { bundleExtension, bundleHubProcess, EXTENSION_DIR } from "./bundle.js";
import { dashboardDir } from "@linker/dashboard";
import { DASHBOARD_FOLDER, HUB_PROCESS_FILE } from "./src/hosting-paths.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/**
 * Builds the .vsix: bundles the extension and the hub child process
 * (minified), stages the built web dashboard the hub serves at `/`, the
 * manifest, README and icon, and runs `vsce package`.
 * The package is platform-neutral: it carries no native binary (packaging
 * fails if one slips in), so one .vsix installs on every platform; a window
 * hosts the hub in a child process under a runtime with node:sqlite
 * (hosting-paths.ts). Returns the .vsix path and the staged files.
 */
export async function packageVsix(outDir = join(EXTENSION_DIR, "dist")): Promise<{ vsix: string; bytes: number; files: string[] }> {
  const stage = await mkdtemp(join(tmpdir(), "claude-team-vsix-"));
  try {
    await bundleExtension({ outfile: join(stage, "dist", "extension.cjs"), minify: true });
    await bundleHubProcess({ outfile: join(stage, "dist", HUB_PROCESS_FILE), minify: true });
    if (!existsSync(join(dashboardDir, "index.html"))) throw new Error(`the dashboard is not built (no ${join(dashboardDir, "index.html")}); run \`npm run build\``);
    await cp(dashboardDir, join(stage, DASHBOARD_FOLDER), { recursive: true });
    await cp(join(EXTENSION_DIR, "media"), join(stage, "media"), { recursive: true });
    await cp(join(EXTENSION_DIR, "README.md"), join(stage, "README.md"));
    const manifest = JSON.parse(await readFile(join(EXTENSION_DIR, "package.json"), "utf8")) as Record<string, unknown>;
    const { scripts: _scripts, devDependencies: _dev, dependencies: _deps, ...kept } = manifest;
    await writeFile(join(stage, "package.json"), `${JSON.stringify(kept, null, 2)}\n`);
    await writeFile(join(stage, ".vscodeignore"), ["**/*.map", "**/*.ts", ""].join("\n"));
    const files = await filesUnder(stage);
    const native = files.filter((file) => file.endsWith(".node"));
    if (native.length > 0) throw new Error(`the .vsix must stay platform-neutral, but native binaries were staged: ${native.join(", ")}`);
    await mkdir(outDir, { recursive: true });
    const vsix = join(outDir, `${String(manifest.name)}-${String(manifest.version)}.vsix`);
    await rm(vsix, { force: true });
    const vsce = join(dirname(require.resolve("@vscode/vsce/package.json", { paths: [EXTENSION_DIR] })), "vsce");
    await run(process.execPath, [vsce, "package", "--no-dependencies", "--skip-license", "--allow-missing-repository", "--out", vsix], { cwd: stage, maxBuffer: 16 * 1024 * 1024 });
    return { vsix, bytes: (await stat(vsix)).size, files: files.filter((file) => !file.endsWith(".map") && file !== ".vscodeignore").sort() };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  const { vsix, bytes } = await packageVsix();
  console.log(`packaged ${vsix} (${(bytes / 1024).toFixed(0)} KiB, platform-neutral)`);
}
