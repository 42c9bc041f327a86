import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";

/** URL of this run's PostgreSQL server ("" when the run has none). */
export const postgresUrl = inject("postgresUrl");

const databases: string[] = [];

afterAll(async () => {
  if (databases.length === 0) return;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  for (const name of databases.splice(0)) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await client.end();
});

/** A new, empty database on this run's server, dropped after the test file; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const name = `linker_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await client.end();
  databases.push(name);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A new schema name for a store of its own in a shared database. */
export function freshSchema(): string {
  return `t_${randomBytes(6).toString("hex")}`;
}

/** Drops a schema made by `freshSchema` and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
