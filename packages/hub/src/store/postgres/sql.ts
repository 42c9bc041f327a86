import type { QueryResultRow } from "pg";

/** Runs one statement on the connection of the running transaction. */
export type Sql = <Row extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) => Promise<Row[]>;

/** A BIGINT column, which node-postgres returns as text. */
export function bigintOf(value: string | number | bigint): bigint {
  return BigInt(value);
}

/** A BIGINT column holding milliseconds, or null. */
export function msOf(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}
