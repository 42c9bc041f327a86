import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Workspace packages resolve to their TypeScript sources (the `linker-source` export condition). */
const conditions = ["linker-source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: {
    // Only the bare "vscode" specifier (the VS Code extension's API) resolves to the test fake.
    alias: [{ find: /^vscode$/, replacement: fileURLToPath(new URL("./test/vscode/fake-vscode.ts", import.meta.url)) }],
    conditions,
  },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
