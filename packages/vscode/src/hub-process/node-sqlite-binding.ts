/**
 * better-sqlite3's API — the part the hub's SQLite store calls — on top of
 * Node's built-in `node:sqlite` (Node 22.13+, or 22.5+ with
 * --experimental-sqlite). The hub-process bundle of the .vsix maps the
 * `better-sqlite3` import to this module, so the hub runs with no native
 * addon in any runtime that has `node:sqlite`, on the same hub.db file (WAL,
 * real file locks) as hubs that use better-sqlite3. Rows come back as
 * better-sqlite3 returns them (BLOBs as Buffer) and errors carry its
 * `SqliteError` codes (SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, …).
 */

type Row = Record<string, unknown>;

/** The part of node:sqlite's StatementSync used here. */
interface NodeStatement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
  iterate?(...params: unknown[]): IterableIterator<Row>;
}

/** The part of node:sqlite's DatabaseSync used here. */
interface NodeDatabase {
  exec(sql: string): void;
  prepare(sql: string): NodeStatement;
  close(): void;
  readonly isTransaction?: boolean;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean; open?: boolean }) => NodeDatabase;
}

/** The node:sqlite module, or undefined when this runtime does not have it (or has it behind a flag). */
export function nodeSqliteModule(): NodeSqliteModule | undefined {
  try {
    return process.getBuiltinModule?.("node:sqlite") as NodeSqliteModule | undefined;
  } catch {
    return undefined;
  }
}

/** SQLite's result-code names by number (primary codes and the extended ones code checks look for). */
const RESULT_CODES: Record<number, string> = {
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  12: "SQLITE_NOTFOUND",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  15: "SQLITE_PROTOCOL",
  16: "SQLITE_EMPTY",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  22: "SQLITE_NOLFS",
  23: "SQLITE_AUTH",
  24: "SQLITE_FORMAT",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
  27: "SQLITE_NOTICE",
  28: "SQLITE_WARNING",
  261: "SQLITE_BUSY_RECOVERY",
  517: "SQLITE_BUSY_SNAPSHOT",
  773: "SQLITE_BUSY_TIMEOUT",
  262: "SQLITE_LOCKED_SHAREDCACHE",
  275: "SQLITE_CONSTRAINT_CHECK",
  531: "SQLITE_CONSTRAINT_COMMITHOOK",
  787: "SQLITE_CONSTRAINT_FOREIGNKEY",
  1043: "SQLITE_CONSTRAINT_FUNCTION",
  1299: "SQLITE_CONSTRAINT_NOTNULL",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  1811: "SQLITE_CONSTRAINT_TRIGGER",
  2067: "SQLITE_CONSTRAINT_UNIQUE",
  2323: "SQLITE_CONSTRAINT_VTAB",
  2579: "SQLITE_CONSTRAINT_ROWID",
  264: "SQLITE_READONLY_RECOVERY",
  520: "SQLITE_READONLY_CANTLOCK",
  776: "SQLITE_READONLY_ROLLBACK",
  1032: "SQLITE_READONLY_DBMOVED",
};

/** better-sqlite3's error: `code` is SQLite's result-code name. */
export class SqliteError extends Error {
  constructor(
    message: string,
    /** SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, … */
    readonly code: string,
  ) {
    super(message);
    this.name = "SqliteError";
  }
}

/** Rethrows node:sqlite's error as better-sqlite3's SqliteError (other errors unchanged). */
function translated(err: unknown): unknown {
  const source = err as { code?: unknown; errcode?: unknown; message?: string };
  if (source?.code !== "ERR_SQLITE_ERROR" || typeof source.errcode !== "number") return err;
  const code = RESULT_CODES[source.errcode] ?? RESULT_CODES[source.errcode & 0xff] ?? `SQLITE_${source.errcode}`;
  return new SqliteError(source.message ?? code, code);
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw translated(err);
  }
}

/** better-sqlite3 takes positional values, arrays of them, and one object of named values anywhere; node:sqlite wants the object first. */
function bindings(params: unknown[]): unknown[] {
  let named: unknown;
  const positional: unknown[] = [];
  const add = (value: unknown) => {
    if (value !== null && typeof value === "object" && !(value instanceof Uint8Array) && !ArrayBuffer.isView(value)) named = value;
    else positional.push(value);
  };
  for (const param of params) {
    if (Array.isArray(param)) param.forEach(add);
    else add(param);
  }
  return named === undefined ? positional : [named, ...positional];
}

/** BLOBs as Buffer, like better-sqlite3. */
function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

function rowOf(row: Row): Row {
  const out: Row = {};
  for (const key of Object.keys(row)) out[key] = asBuffer(row[key]);
  return out;
}

/** A prepared statement with better-sqlite3's run/get/all/iterate and pluck/raw modes. */
export class Statement {
  private mode: "object" | "pluck" | "raw" = "object";

  constructor(
    private readonly statement: NodeStatement,
    /** The SQL text. */
    readonly source: string,
  ) {}

  /** Returns only the first column of each row (or turns that off). */
  pluck(toggle = true): this {
    this.mode = toggle ? "pluck" : this.mode === "pluck" ? "object" : this.mode;
    return this;
  }

  /** Returns rows as arrays (or turns that off). */
  raw(toggle = true): this {
    this.mode = toggle ? "raw" : this.mode === "raw" ? "object" : this.mode;
    return this;
  }

  /** Runs it; returns the changed-row count and the last inserted rowid. */
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const info = guarded(() => this.statement.run(...bindings(params)));
    return { changes: Number(info.changes), lastInsertRowid: info.lastInsertRowid };
  }

  /** The first row, or undefined. */
  get(...params: unknown[]): unknown {
    const row = guarded(() => this.statement.get(...bindings(params)));
    return row === undefined ? undefined : this.shape(row);
  }

  /** Every row. */
  all(...params: unknown[]): unknown[] {
    return guarded(() => this.statement.all(...bindings(params))).map((row) => this.shape(row));
  }

  /** The rows one at a time. */
  *iterate(...params: unknown[]): IterableIterator<unknown> {
    const rows = this.statement.iterate ? guarded(() => this.statement.iterate!(...bindings(params))) : guarded(() => this.statement.all(...bindings(params)))[Symbol.iterator]();
    for (;;) {
      const next = guarded(() => rows.next());
      if (next.done) return;
      yield this.shape(next.value);
    }
  }

  private shape(row: Row): unknown {
    if (this.mode === "object") return rowOf(row);
    const values = Object.keys(row).map((key) => asBuffer(row[key]));
    return this.mode === "pluck" ? values[0] : values;
  }
}

/** Options better-sqlite3 takes that mean something here. */
export interface DatabaseOptions {
  /** Open read-only. */
  readonly?: boolean;
  /** Milliseconds to wait for a lock (busy_timeout; default 5000, as better-sqlite3). */
  timeout?: number;
}

/** A function wrapped in BEGIN … COMMIT (a SAVEPOINT when already in a transaction), like better-sqlite3's db.transaction(). */
export type TransactionFunction<A extends unknown[], R> = ((...args: A) => R) & {
  deferred: (...args: A) => R;
  immediate: (...args: A) => R;
  exclusive: (...args: A) => R;
};

/** better-sqlite3's Database on node:sqlite. */
export default class Database {
  /** better-sqlite3's error class. */
  static readonly SqliteError = SqliteError;
  /** The file name. */
  readonly name: string;
  /** True for an in-memory database. */
  readonly memory: boolean;
  /** True when opened read-only. */
  readonly readonly: boolean;
  private readonly db: NodeDatabase;
  private isOpen = true;
  private savepoints = 0;

  constructor(filename = ":memory:", options: DatabaseOptions = {}) {
    const sqlite = nodeSqliteModule();
    if (!sqlite) throw new Error(`node:sqlite is not available in Node ${process.version} (it needs Node 22.13 or newer)`);
    this.name = filename;
    this.memory = filename === ":memory:" || filename === "";
    this.readonly = options.readonly === true;
    this.db = guarded(() => new sqlite.DatabaseSync(filename, { readOnly: this.readonly }));
    const timeout = Math.max(0, Math.floor(options.timeout ?? 5000));
    guarded(() => this.db.exec(`PRAGMA busy_timeout = ${timeout}`));
  }

  /** True until close(). */
  get open(): boolean {
    return this.isOpen;
  }

  /** True inside BEGIN … COMMIT. */
  get inTransaction(): boolean {
    if (!this.isOpen) return false;
    if (typeof this.db.isTransaction === "boolean") return this.db.isTransaction;
    // Node before 22.16 has no isTransaction: a BEGIN fails exactly when a transaction is open.
    try {
      this.db.exec("BEGIN DEFERRED");
    } catch {
      return true;
    }
    this.db.exec("ROLLBACK");
    return false;
  }

  /** Prepares `sql`. */
  prepare(sql: string): Statement {
    return new Statement(guarded(() => this.db.prepare(sql)), sql);
  }

  /** Runs one or more statements. */
  exec(sql: string): this {
    guarded(() => this.db.exec(sql));
    return this;
  }

  /** Runs `PRAGMA source`; returns its rows, or with `simple` the first value. */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const statement = this.prepare(`PRAGMA ${source}`);
    return options.simple ? statement.pluck().get() : statement.all();
  }

  /** Wraps `fn` in a transaction (nested calls use savepoints). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): TransactionFunction<A, R> {
    const wrap =
      (begin: string) =>
      (...args: A): R => {
        const nested = this.inTransaction;
        const savepoint = `better_sqlite3_${++this.savepoints}`;
        this.exec(nested ? `SAVEPOINT ${savepoint}` : begin);
        try {
          const result = fn(...args);
          this.exec(nested ? `RELEASE ${savepoint}` : "COMMIT");
          return result;
        } catch (err) {
          if (nested) this.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
          else if (this.inTransaction) this.exec("ROLLBACK");
          throw err;
        } finally {
          this.savepoints -= 1;
        }
      };
    return Object.assign(wrap("BEGIN"), { deferred: wrap("BEGIN DEFERRED"), immediate: wrap("BEGIN IMMEDIATE"), exclusive: wrap("BEGIN EXCLUSIVE") });
  }

  /** Closes the database (again is a no-op). */
  close(): this {
    if (this.isOpen) {
      this.isOpen = false;
      guarded(() => this.db.close());
    }
    return this;
  }
}
