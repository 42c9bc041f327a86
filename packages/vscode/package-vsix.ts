import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { bundleExtension, EXTENSION_DIR } from "./bundle.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The runtime files of the native SQLite binding a hosted hub needs, and the small modules that find it. */
const NATIVE_MODULES: Record<string, string[]> = {
  "better-sqlite3": ["package.json", "LICENSE", "lib", "build/Release/better_sqlite3.node"],
  bindings: ["package.json", "LICENSE.md", "bindings.js"],
  "file-uri-to-path": ["package.json", "LICENSE", "index.js"],
};

/** The folder of an installed package. */
function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`, { paths: [EXTENSION_DIR] }));
}

/** Copies one package's runtime files into `<stage>/node_modules/<name>`, with a manifest trimmed to what runs. */
async function stagePackage(stage: string, name: string, files: string[]): Promise<string> {
  const from = packageDir(name);
  const to = join(stage, "node_modules", name);
  for (const file of files) {
    await cp(join(from, file), join(to, file), { recursive: true, errorOnExist: false }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT" || file === "package.json" || file.endsWith(".node")) throw err;
    });
  }
  const manifest = JSON.parse(await readFile(join(from, "package.json"), "utf8")) as Record<string, unknown> & { dependencies?: Record<string, string> };
  const runtime = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([dep]) => dep in NATIVE_MODULES));
  const { scripts: _scripts, devDependencies: _dev, gypfile: _gyp, ...kept } = manifest;
  await writeFile(join(to, "package.json"), `${JSON.stringify({ ...kept, dependencies: runtime }, null, 2)}\n`);
  return String(manifest.version);
}

/**
 * Builds the .vsix: bundles the extension (minified), stages the manifest,
 * README, icon, bundle and better-sqlite3 (built for this Node's ABI) with
 * its two helper modules, and runs `vsce package`. Returns the .vsix path.
 */
export async function packageVsix(outDir = join(EXTENSION_DIR, "dist")): Promise<{ vsix: string; bytes: number }> {
  const stage = await mkdtemp(join(tmpdir(), "claude-team-vsix-"));
  try {
    await bundleExtension({ outfile: join(stage, "dist", "extension.cjs"), minify: true });
    await cp(join(EXTENSION_DIR, "media"), join(stage, "media"), { recursive: true });
    await cp(join(EXTENSION_DIR, "README.md"), join(stage, "README.md"));
    const versions: Record<string, string> = {};
    for (const [name, files] of Object.entries(NATIVE_MODULES)) versions[name] = await stagePackage(stage, name, files);
    const manifest = JSON.parse(await readFile(join(EXTENSION_DIR, "package.json"), "utf8")) as Record<string, unknown>;
    const { scripts: _scripts, devDependencies: _dev, ...kept } = manifest;
    await writeFile(join(stage, "package.json"), `${JSON.stringify({ ...kept, dependencies: { "better-sqlite3": versions["better-sqlite3"] } }, null, 2)}\n`);
    await writeFile(join(stage, ".vscodeignore"), ["**/*.map", "**/*.ts", "node_modules/**/README.md", ""].join("\n"));
    await mkdir(outDir, { recursive: true });
    const vsix = join(outDir, `${String(manifest.name)}-${String(manifest.version)}.vsix`);
    await rm(vsix, { force: true });
    const vsce = join(dirname(require.resolve("@vscode/vsce/package.json", { paths: [EXTENSION_DIR] })), "vsce");
    await run(process.execPath, [vsce, "package", "--skip-license", "--allow-missing-repository", "--out", vsix], { cwd: stage, maxBuffer: 16 * 1024 * 1024 });
    return { vsix, bytes: (await stat(vsix)).size };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  const { vsix, bytes } = await packageVsix();
  console.log(`packaged ${vsix} (${(bytes / 1024).toFixed(0)} KiB)`);
}
