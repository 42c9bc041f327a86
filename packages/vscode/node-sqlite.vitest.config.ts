import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "../../vitest.config.js";

/**
 * The hub's store tests with `better-sqlite3` mapped to node-sqlite-binding.ts,
 * as in the .vsix hub bundle; run under a Node that has node:sqlite
 * (npm run test:node-sqlite), so a change in how the store uses SQLite cannot
 * break the hub that windows host in a child process unnoticed.
 */
export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL("../..", import.meta.url)),
    resolve: { alias: [{ find: /^better-sqlite3$/, replacement: fileURLToPath(new URL("./src/hub-process/node-sqlite-binding.ts", import.meta.url)) }] },
  }),
);
