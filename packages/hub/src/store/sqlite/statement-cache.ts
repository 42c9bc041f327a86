import type Database from "better-sqlite3";

/**
 * Prepares each SQL text once per connection and reuses the statement, for
 * queries whose text depends on the request (filters, list lengths).
 */
export class StatementCache {
  private readonly prepared = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(private readonly db: Database.Database) {}

  /** The prepared statement for `sql`. */
  get<Row>(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.prepared.get(sql);
    if (!statement) this.prepared.set(sql, (statement = this.db.prepare<unknown[], unknown>(sql)));
    return statement as Database.Statement<unknown[], Row>;
  }
}

/** Reads an INTEGER column that may come back as a number or a bigint. */
export function bigintOf(value: number | bigint): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}
