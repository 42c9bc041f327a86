import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** A scratch home for the whole run: tests and the processes they start never see the real one. */
const scratchHome = mkdtempSync(join(tmpdir(), "linker-test-home-"));
mkdirSync(join(scratchHome, ".linker"));

/** Workspace packages resolve to their TypeScript sources (the `linker-source` export condition). */
const conditions = ["linker-source", "node"];

export default defineConfig({
  resolve: {
    // Only the bare "vscode" specifier (the VS Code extension's API) resolves to the test fake.
    alias: [{ find: /^vscode$/, replacement: fileURLToPath(new URL("./test/vscode/fake-vscode.ts", import.meta.url)) }],
    conditions,
  },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    env: { HOME: scratchHome, LINKER_HOME: join(scratchHome, ".linker"), USERPROFILE: scratchHome },
    globalSetup: ["test/support/home-guard.ts", "test/support/postgres-server.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
