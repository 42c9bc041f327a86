import type Database from "better-sqlite3";
import { SchemaError } from "../store-errors.js";
import { initial } from "./migrations/0001-initial.js";
import { caseInsensitiveNames } from "./migrations/0002-case-insensitive-names.js";
import { presenceLeases } from "./migrations/0003-presence-leases.js";
import { leanEventIndexes } from "./migrations/0004-lean-event-indexes.js";
import { broadcastsStoredOnce } from "./migrations/0005-broadcasts-stored-once.js";
import { credentialsAndAudit } from "./migrations/0006-credentials-and-audit.js";

/** One step of the schema, applied in its own transaction. */
export interface Migration {
  /** The schema version after this step. */
  version: number;
  /** What the step changes. */
  name: string;
  /** The SQL it runs. */
  sql: string;
}

/** Every schema step, oldest first; the last one is the version this code writes. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial schema", sql: initial },
  { version: 2, name: "case-insensitive names", sql: caseInsensitiveNames },
  { version: 3, name: "presence leases", sql: presenceLeases },
  { version: 4, name: "lean event indexes", sql: leanEventIndexes },
  { version: 5, name: "broadcasts stored once", sql: broadcastsStoredOnce },
  { version: 6, name: "credentials and audit", sql: credentialsAndAudit },
];

/** The schema version this code reads and writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;

/** The schema version recorded in `db` (0 for a new, empty database). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!table) return 0;
  const row = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
  return row?.value ?? 0;
}

/**
 * Brings `db` to SQLITE_SCHEMA_VERSION, one migration per transaction, and
 * returns the versions it found and left. A database written by a newer
 * Linker is refused, never touched.
 */
export function migrate(db: Database.Database, path: string): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SQLITE_SCHEMA_VERSION) {
    throw new SchemaError(
      `${path} has schema version ${from}, newer than this hub knows (${SQLITE_SCHEMA_VERSION}); run a newer Linker on it, or point this one at another data folder`,
    );
  }
  for (const migration of SQLITE_MIGRATIONS) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(migration.version);
    }).immediate();
  }
  return { from, to: SQLITE_SCHEMA_VERSION };
}
