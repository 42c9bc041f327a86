import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made = new Set<string>();

// Registered first, so it runs after the test file's own afterAll hooks have
// stopped the processes that use these folders.
afterAll(() => {
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
  made.clear();
});

/** A new empty folder under the system temp folder, deleted after the test file. */
export function tempDir(prefix = "linker-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
