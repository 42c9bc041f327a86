import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Name of the lock file beside hub.db. */
export const LOCK_FILE = "hub.lock";
/** Who holds the lock, for the message a second hub shows. */
const HOLDER_FILE = "hub.lock.json";

/** A second hub tried to serve a data folder another hub serves. */
export class DataDirLockedError extends Error {}

/**
 * The lock that makes one hub at a time serve a data folder: a small SQLite
 * file beside hub.db whose write lock the hub holds while it runs. The
 * operating system drops the lock when the process ends however it ends, so
 * a hub that takes over from one that crashed gets it at once; a second hub
 * started while the first runs is refused, told which process holds it.
 */
export class DataDirLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock of `dir`, or throws DataDirLockedError naming the hub that holds it. */
  static acquire(dir: string): DataDirLock {
    const path = join(dir, LOCK_FILE);
    const db = new Database(path);
    try {
      db.pragma("journal_mode = DELETE");
      db.pragma("busy_timeout = 0");
    } catch (err) {
      const holder = DataDirLock.holder(dir);
      db.close();
      if ((err as { code?: string }).code === "SQLITE_BUSY") throw DataDirLock.locked(dir, holder);
      throw err;
    }
    try {
      // The open write transaction is the lock (nothing is ever written in it).
      db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      const holder = DataDirLock.holder(dir);
      db.close();
      if ((err as { code?: string }).code === "SQLITE_BUSY") throw DataDirLock.locked(dir, holder);
      throw err;
    }
    try {
      writeFileSync(join(dir, HOLDER_FILE), `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`);
    } catch {
      // The holder's details are only for the message another hub shows.
    }
    return new DataDirLock(db);
  }

  private static holder(dir: string): string {
    try {
      const row = JSON.parse(readFileSync(join(dir, HOLDER_FILE), "utf8")) as { pid: number; host: string; startedAt: string };
      return `process ${row.pid} on ${row.host}, started ${row.startedAt}`;
    } catch {
      return "another process";
    }
  }

  private static locked(dir: string, holder: string): DataDirLockedError {
    return new DataDirLockedError(
      `another hub is serving the data folder ${dir} (${holder}); stop it first, point this hub at it as a client (it serves the same data), or give this hub another --data-dir`,
    );
  }

  /** Lets the next hub take the folder. */
  release(): void {
    if (!this.db.open) return;
    try {
      this.db.exec("ROLLBACK");
    } catch {
      // Already ended.
    }
    this.db.close();
  }
}
