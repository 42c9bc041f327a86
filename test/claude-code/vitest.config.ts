import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/** A scratch home for the whole run, as in the main config: nothing touches the real ~/.linker or ~/.claude. */
const scratchHome = mkdtempSync(join(tmpdir(), "linker-claude-code-home-"));
mkdirSync(join(scratchHome, ".linker"));

/** Workspace packages resolve to their TypeScript sources (the `linker-source` export condition). */
const conditions = ["linker-source", "import", "module", "node", "default"];

/** The end-to-end suite with the real Claude Code CLI: `npm run test:claude-code`. */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    root: join(import.meta.dirname, "../.."),
    include: ["test/claude-code/**/*.e2e.ts"],
    env: { HOME: scratchHome, LINKER_HOME: join(scratchHome, ".linker"), USERPROFILE: scratchHome },
    globalSetup: ["test/support/home-guard.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
