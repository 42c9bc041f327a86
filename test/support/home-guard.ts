import { existsSync, readdirSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";

/** Folders of the real home that tests must never write to. */
const GUARDED = [".linker", ".claude", ".claude.json"];

/** Every file under the guarded folders of the real home, with its size and modification time. */
function snapshot(home: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      files.set(path, `${stat.size}:${stat.mtimeMs}`);
      return;
    }
    for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  for (const name of GUARDED) walk(join(home, name));
  return files;
}

let before: Map<string, string>;
const realHome = userInfo().homedir;

/**
 * Global setup of the test run: every test process runs with a scratch HOME
 * and LINKER_HOME (vitest.config.ts), and the run fails if anything under the
 * real home's .linker or .claude changed anyway.
 */
export function setup(): void {
  before = snapshot(realHome);
}

/** Fails the run when a test wrote to the real home. */
export function teardown(): void {
  const after = snapshot(realHome);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((path) => before.get(path) !== after.get(path));
  if (changed.length > 0) {
    throw new Error(`tests changed the real home folder (${realHome}); use a scratch HOME or LINKER_HOME:\n${changed.slice(0, 20).join("\n")}`);
  }
}
