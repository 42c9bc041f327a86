import type Database from "better-sqlite3";

/** Where a transaction's counter values stand when a job starts, to restore if the job rolls back. */
export type CounterSnapshot = ReadonlyMap<string, bigint>;

/**
 * The counters of `meta` (message and task ordinals, the memory revision)
 * kept in memory for one commit group: read once when the group begins,
 * incremented without a statement, written once before its COMMIT, and
 * restored to a job's starting point when that job rolls back. Each number
 * is still taken inside the transaction that uses it, so none is ever reused.
 */
export class GroupCounters {
  private values = new Map<string, bigint>();
  private readonly dirty = new Set<string>();
  private readonly read: Database.Statement<[], { key: string; value: number | bigint }>;
  private readonly write: Database.Statement<[bigint, string]>;

  constructor(db: Database.Database, keys: readonly string[]) {
    this.read = db.prepare(`SELECT key, value FROM meta WHERE key IN (${keys.map((key) => `'${key}'`).join(", ")})`);
    this.write = db.prepare("UPDATE meta SET value = ? WHERE key = ?");
  }

  /** Loads the counters at the start of a group. */
  begin(): void {
    this.values = new Map(this.read.all().map((row) => [row.key, BigInt(row.value)]));
    this.dirty.clear();
  }

  /** The next value of `key` (1 more than the last one taken). */
  next(key: string): bigint {
    const value = (this.values.get(key) ?? 0n) + 1n;
    this.values.set(key, value);
    this.dirty.add(key);
    return value;
  }

  /** Where the counters stand now. */
  snapshot(): CounterSnapshot {
    return new Map(this.values);
  }

  /** Goes back to `snapshot` (a job rolled back to its savepoint). */
  restore(snapshot: CounterSnapshot): void {
    this.values = new Map(snapshot);
  }

  /** Writes the counters the group changed; call right before COMMIT. */
  flush(): void {
    for (const key of this.dirty) this.write.run(this.values.get(key)!, key);
    this.dirty.clear();
  }
}
