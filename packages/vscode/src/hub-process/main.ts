import { hubStarter, runHubProcess, StoreUnavailableError } from "@linker/client";
import { shippedDashboardDir } from "../hosting-paths.js";
import Database, { nodeSqliteModule } from "./node-sqlite-binding.js";

/** Flags that turn node:sqlite on in runtimes that have it behind one (Node 22.5–22.12, 23.0–23.3). */
const SQLITE_FLAG = "--experimental-sqlite";

/** True when this runtime's Node has node:sqlite behind SQLITE_FLAG. */
function hasSqliteBehindFlag(version: string): boolean {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return (major === 22 && minor >= 5 && minor < 13) || (major === 23 && minor < 4);
}

/** Opens an in-memory database through the binding the hub will use; returns what it is. */
function checkStore(): string {
  if (!nodeSqliteModule()) {
    const flagged = hasSqliteBehindFlag(process.version) && !process.execArgv.includes(SQLITE_FLAG);
    throw new StoreUnavailableError(
      `node:sqlite is missing${flagged ? ` (this Node has it behind ${SQLITE_FLAG})` : ""}; the hub needs Node 22.13 or newer`,
      flagged ? [SQLITE_FLAG] : [],
    );
  }
  const db = new Database(":memory:");
  try {
    const version = db.prepare("SELECT sqlite_version() AS version").pluck().get();
    return `node:sqlite (SQLite ${String(version)})`;
  } finally {
    db.close();
  }
}

// node:sqlite's experimental warning is expected here; every other warning still prints.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning" || !/SQLite/i.test(warning.message)) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

/**
 * The hub child process of the .vsix: the Linker hub, with `better-sqlite3`
 * mapped to node:sqlite (bundle.ts), run by a window that cannot load a
 * native addon in its extension host (hub-process-starter.ts starts it).
 */
void runHubProcess({ start: hubStarter({ dashboardDir: shippedDashboardDir(process.argv[1]) }), checkStore });
