import type { ClientBase } from "pg";
import { SchemaError } from "../store-errors.js";
import { initial } from "./migrations/0001-initial.js";
import { leanEventIndexes } from "./migrations/0002-lean-event-indexes.js";
import { broadcastsStoredOnce } from "./migrations/0003-broadcasts-stored-once.js";
import { credentialsAndAudit } from "./migrations/0004-credentials-and-audit.js";

/** One step of the PostgreSQL schema, applied in its own transaction. */
export interface PostgresMigration {
  /** The schema version after this step. */
  version: number;
  /** What the step changes. */
  name: string;
  /** The SQL it runs. */
  sql: string;
}

/** Every schema step, oldest first; the last one is the version this code writes. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: "initial schema", sql: initial },
  { version: 2, name: "lean event indexes", sql: leanEventIndexes },
  { version: 3, name: "broadcasts stored once", sql: broadcastsStoredOnce },
  { version: 4, name: "credentials and audit", sql: credentialsAndAudit },
];

/** The schema version this code reads and writes. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1].version;

/** The schema version recorded in the current schema (0 when it holds no Linker tables). */
export async function schemaVersion(client: ClientBase): Promise<number> {
  const table = await client.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'meta'");
  if (table.rowCount === 0) return 0;
  const row = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  return row.rows.length > 0 ? Number(row.rows[0].value) : 0;
}

/**
 * Brings the current schema to POSTGRES_SCHEMA_VERSION, one migration per
 * transaction, while holding `lock` (an advisory lock) so replicas starting
 * together migrate once. A database written by a newer Linker is refused,
 * never touched; a schema that holds other tables but no Linker ones too.
 */
export async function migrate(client: ClientBase, where: string, lock: [number, number]): Promise<{ from: number; to: number }> {
  await client.query("SELECT pg_advisory_lock($1, $2)", lock);
  try {
    const from = await schemaVersion(client);
    if (from > POSTGRES_SCHEMA_VERSION) {
      throw new SchemaError(
        `${where} has schema version ${from}, newer than this hub knows (${POSTGRES_SCHEMA_VERSION}); run a newer Linker on it, or point this one at another database`,
      );
    }
    if (from === 0) {
      const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()");
      if (tables.rowCount! > 0) {
        throw new SchemaError(`${where} already holds tables of another program (${tables.rows[0].tablename}, …); give Linker a database or schema of its own`);
      }
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= from) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [migration.version]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
    }
    return { from, to: POSTGRES_SCHEMA_VERSION };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1, $2)", lock);
  }
}
