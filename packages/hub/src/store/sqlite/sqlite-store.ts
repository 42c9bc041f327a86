import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { HubLogger } from "../../logger.js";
import { DataDirLock } from "./data-dir-lock.js";
import Database from "better-sqlite3";
import { SchemaError } from "../store-errors.js";
import type { CommitListener, CommittedEvent, SessionRecord, Store, StoreTx } from "../store.js";
import { sqliteAudit } from "./audit.js";
import { sqliteCredentials } from "./credentials.js";
import { sqliteEvents } from "./events.js";
import { GroupCommit } from "./group-commit.js";
import { sqliteIdentity } from "./identity.js";
import { sqliteMemory } from "./memory.js";
import { sqliteMessages } from "./messages.js";
import { sqlitePresence } from "./presence.js";
import { migrate } from "./migrations.js";
import { GroupCounters } from "./counters.js";
import { StatementCache } from "./statement-cache.js";
import { sqliteTasks } from "./tasks.js";

/** WAL pages between automatic checkpoints (SQLite's default is 1000). */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Path of the database file (created with its folder if missing), or ":memory:". */
  path: string;
  /** `synchronous` pragma: NORMAL survives process crashes in WAL mode, FULL also power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** How long a write waits for another process's lock before failing with UNAVAILABLE (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Move a file that is not a usable Linker database aside and start empty. */
  reset?: boolean;
  /** Where a reset is reported. */
  logger?: HubLogger;
  /** Take the data folder's lock, so no second hub serves the file at the same time (default true). */
  lock?: boolean;
}

/** What to do about a database the hub cannot use. */
const RECOVERY = "restore it from a backup, or start the hub with --reset to move it aside and begin empty";

/** A database the hub refuses as it is: empty, corrupt or another program's. */
export class UnusableDatabaseError extends SchemaError {}

/** SQLite result codes that mean the file is not a usable database. */
const UNREADABLE = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT"]);

/** Refuses files that would silently start an empty hub: an emptied file. */
function checkFile(path: string): void {
  if (path === ":memory:" || !existsSync(path)) return;
  if (statSync(path).size === 0) {
    throw new UnusableDatabaseError(`${path} is empty (0 bytes): the hub's state is gone from it; ${RECOVERY}`);
  }
}

/**
 * Creates a missing database file whole: its first page is written under a
 * temporary name, which is then linked into place. A process killed while
 * creating it (a hub being started, then stopped at once) so never leaves an
 * empty file that every later start would refuse; of processes creating it
 * together, the first link wins and the others open that file.
 */
function createFile(path: string): void {
  if (path === ":memory:" || existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString("hex")}.creating`;
  try {
    const db = new Database(temporary);
    db.pragma("journal_mode = WAL");
    db.close();
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Opens `path` and brings its schema up to date, with errors that say what to do. */
function open(options: SqliteStoreOptions): Database.Database {
  const { path } = options;
  checkFile(path);
  createFile(path);
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    db.pragma("foreign_keys = OFF");
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    if (tables.length > 0 && !tables.some((table) => table.name === "meta")) {
      throw new UnusableDatabaseError(`${path} is an SQLite database of another program, not a Linker hub's; point the hub at another data folder, or ${RECOVERY}`);
    }
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && UNREADABLE.has(code)) {
      throw new UnusableDatabaseError(`${path} is corrupt or not a database (${code}); ${RECOVERY}`, { cause: err });
    }
    throw err;
  }
}

/** Opens the database; with `reset`, a file the hub cannot use is moved aside (with its WAL) and an empty one begins. */
function openOrReset(options: SqliteStoreOptions): Database.Database {
  try {
    return open(options);
  } catch (err) {
    if (!options.reset || !(err instanceof UnusableDatabaseError)) throw err;
    const aside = `${options.path}.unusable-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(options.path + suffix)) renameSync(options.path + suffix, aside + suffix);
    options.logger?.warn({ reason: err.message, movedTo: aside }, "moved the unusable database aside (--reset); starting an empty hub");
    return open(options);
  }
}

/**
 * The embedded default store: one SQLite file in WAL mode (or `:memory:`
 * for tests and throwaway hubs). A transaction's COMMIT has reached the WAL
 * before its promise resolves, so an acknowledged write survives a killed
 * process; several processes may open the same file one after another (hub
 * takeover). Transactions queued at the same time share one COMMIT.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly engine: GroupCommit<StoreTx>;
  private readonly listeners: CommitListener[] = [];

  private readonly lock: DataDirLock | undefined;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ":memory:" && options.lock !== false) {
      mkdirSync(dirname(options.path), { recursive: true });
      this.lock = DataDirLock.acquire(dirname(options.path));
    }
    try {
      this.db = openOrReset(options);
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    const db = this.db;
    const statements = new StatementCache(db);
    const counters = new GroupCounters(db, ["message_ordinal", "memory_revision", "task_ordinal"]);
    const next = (key: string) => () => counters.next(key);
    // Appended events reach the listeners after their transaction commits, in commit order.
    const committed = (events: CommittedEvent[]) =>
      this.engine.afterCommit(() => {
        for (const listener of this.listeners) listener(events);
      });
    const repositories = {
      identity: sqliteIdentity(db),
      presence: sqlitePresence(db),
      events: sqliteEvents(db, statements, committed),
      messages: sqliteMessages(db, statements, next("message_ordinal")),
      memory: sqliteMemory(db, next("memory_revision")),
      tasks: sqliteTasks(db, statements, next("task_ordinal")),
      credentials: sqliteCredentials(db),
      audit: sqliteAudit(db, statements),
    };
    this.engine = new GroupCommit<StoreTx>(db, (hooks) => ({ ...repositories, afterCommit: (callback) => hooks.afterCommit(callback) }), {
      begun: () => counters.begin(),
      jobStarting: () => {
        const snapshot = counters.snapshot();
        return () => counters.restore(snapshot);
      },
      committing: () => counters.flush(),
    });
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.engine.run(fn);
  }

  /** Reads through a transaction: the one connection may hold another's uncommitted writes. */
  readSession(tokenHash: string): Promise<SessionRecord | undefined> {
    return this.engine.run((tx) => tx.identity.getSession(tokenHash));
  }

  /** One hub per file at a time: only this hub ends its sessions. */
  readonly sessionsCacheable = true;

  onCommitted(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Always: one hub at a time serves a SQLite file. */
  async leadsSweeps(): Promise<boolean> {
    return true;
  }

  close(): Promise<void> {
    return this.engine
      .run(async () => undefined)
      .then(() => {
        if (this.db.open) {
          try {
            if (this.db.name !== ":memory:") this.db.pragma("wal_checkpoint(TRUNCATE)");
          } catch {
            // A full disk: the WAL stays and is checkpointed by the next hub.
          }
          this.db.close();
        }
        this.lock?.release();
      });
  }
}
