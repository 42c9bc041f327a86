import { createHash } from "node:crypto";
import pg from "pg";
import type { HubLogger } from "../../logger.js";
import { StoreUnreachableError } from "../store-errors.js";
import type { CommitListener, SessionRecord, Store, StoreTx } from "../store.js";
import { postgresAudit } from "./audit.js";
import { BatchedLookup } from "./batched-lookup.js";
import { postgresCredentials } from "./credentials.js";
import { EventTailer } from "./event-tailer.js";
import { postgresEvents } from "./events.js";
import { PostgresGroupCommit } from "./group-commit.js";
import { postgresIdentity, readSessions } from "./identity.js";
import { postgresMemory } from "./memory.js";
import { postgresMessages } from "./messages.js";
import { migrate } from "./migrations.js";
import { postgresPresence } from "./presence.js";
import { bigintOf, type Sql } from "./sql.js";
import { postgresTasks } from "./tasks.js";

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** Connection URL, for example postgres://linker@db.internal:5432/linker. */
  url: string;
  /** Schema that holds the hub's tables (default "public"); created when missing. */
  schema?: string;
  /** How long connecting may take before the database counts as unreachable (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Where connection trouble is logged. */
  logger?: HubLogger;
}

/** The URL with its password hidden, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the PostgreSQL URL (unparsable)";
  }
}

/** Error codes of a connection that is gone or never came. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/** True for errors that mean the connection to the database broke. */
function isConnectionError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  return typeof message === "string" && /Connection terminated|connection is closed|Client was closed|timeout exceeded when trying to connect/i.test(message);
}

/** A stable 32-bit key for the advisory locks of one schema. */
function lockClass(schema: string): number {
  return createHash("sha256").update(`linker:${schema}`).digest().readInt32BE(0);
}

/** Advisory lock ids within a schema's class. */
const LOCK = { write: 1, sweep: 2, migrate: 3 } as const;

/**
 * A store on PostgreSQL that any number of hubs share. Each hub keeps four
 * connections: one runs its transactions (group commit, like SQLite), one
 * reads the event log for its live subscribers, one reads sessions for every
 * authenticated call, batched, outside the write lock (a committed
 * revocation is seen by the next read on any hub), and one listens for other
 * hubs' commits and holds the sweep lock while this hub leads the sweeps.
 *
 * Commit order: every write transaction takes one advisory lock before
 * anything else and keeps it to its COMMIT, so transactions commit one at a
 * time across all hubs; sequence numbers therefore follow commit order, and
 * every read-check-write (claims, compare-and-set) is atomic across hubs.
 * After committing events a transaction sends NOTIFY; each hub then reads the
 * events after the last one it handed on (EventTailer).
 */
export class PostgresStore implements Store {
  private writer: pg.Client | undefined;
  private reader: pg.Client | undefined;
  private sessionReader: pg.Client | undefined;
  private listener: pg.Client | undefined;
  private leading = false;
  private relistening = false;
  private closed = false;
  private appended = false;
  private readonly listeners: CommitListener[] = [];
  private readonly lockClass: number;
  private readonly channel: string;
  private readonly schema: string;
  private readonly where: string;
  private engine!: PostgresGroupCommit<StoreTx>;
  private sessionLookup!: BatchedLookup<SessionRecord>;
  private tailer!: EventTailer;

  private constructor(private readonly options: PostgresStoreOptions) {
    this.schema = options.schema ?? "public";
    this.lockClass = lockClass(this.schema);
    this.channel = `linker_events_${createHash("sha256").update(this.schema).digest("hex").slice(0, 12)}`;
    this.where = `${redactedUrl(options.url)}${this.schema === "public" ? "" : ` (schema ${this.schema})`}`;
  }

  /** Connects, migrates the schema forward and starts following commits; refuses an unreachable or too new database. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.start();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  private async start(): Promise<void> {
    const writer = await this.writerClient();
    await migrate(writer, this.where, [this.lockClass, LOCK.migrate]);
    const head = BigInt((await writer.query<{ value: string }>("SELECT value FROM meta WHERE key = 'event_seq'")).rows[0].value);
    this.tailer = new EventTailer(() => this.readerClient(), this.listeners, this.options.logger, head);
    const sql: Sql = async (text, values) => (await (await this.writerClient()).query(text, values as unknown[])).rows;
    const sessionSql: Sql = async (text, values) => (await (await this.sessionReaderClient()).query(text, values as unknown[])).rows;
    this.sessionLookup = new BatchedLookup((tokenHashes) => readSessions(sessionSql, tokenHashes));
    const counter = (key: string) => async () =>
      bigintOf((await sql<{ value: string }>("UPDATE meta SET value = value + 1 WHERE key = $1 RETURNING value", [key]))[0].value);
    const repositories = {
      identity: postgresIdentity(sql),
      presence: postgresPresence(sql),
      events: postgresEvents(sql, (seqs) => {
        this.appended = true;
        this.tailer.appendedHere(seqs);
      }),
      messages: postgresMessages(sql),
      memory: postgresMemory(sql, counter("memory_revision")),
      tasks: postgresTasks(sql, counter("task_ordinal")),
      credentials: postgresCredentials(sql),
      audit: postgresAudit(sql),
    };
    this.engine = new PostgresGroupCommit<StoreTx>(
      {
        client: () => this.writerClient(),
        failed: (err) => this.failed(err, "writer"),
        begin: () => {
          this.appended = false;
          return `BEGIN; SELECT pg_advisory_xact_lock(${this.lockClass}, ${LOCK.write})`;
        },
        commit: () => (this.appended ? `SELECT pg_notify(${pg.escapeLiteral(this.channel)}, ''); COMMIT` : "COMMIT"),
        committed: () => {
          if (this.appended) this.tailer.poke();
        },
      },
      (hooks) => ({ ...repositories, afterCommit: (callback) => hooks.afterCommit(callback) }),
    );
    await this.listen();
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.engine.run(fn);
  }

  async readSession(tokenHash: string): Promise<SessionRecord | undefined> {
    try {
      return await this.sessionLookup.get(tokenHash);
    } catch (err) {
      throw this.failed(err, "session reader");
    }
  }

  /** Other hubs on the database end sessions too, so every call reads its session. */
  readonly sessionsCacheable = false;

  onCommitted(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Whether this hub holds the sweep lock (taken when free; lost with the listening connection). */
  async leadsSweeps(): Promise<boolean> {
    if (this.leading || this.closed) return this.leading;
    try {
      const client = await this.listenerClient();
      const { rows } = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS held", [this.lockClass, LOCK.sweep]);
      this.leading = rows[0].held;
    } catch (err) {
      this.failed(err, "listener");
    }
    return this.leading;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.engine?.close();
    this.closed = true;
    const clients = [this.writer, this.reader, this.sessionReader, this.listener];
    this.writer = this.reader = this.sessionReader = this.listener = undefined;
    await Promise.all(clients.map((client) => client?.end().catch(() => undefined)));
  }

  private async connect(role: string): Promise<pg.Client> {
    if (this.closed) throw new Error("the store is closed");
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000, application_name: `linker-hub ${role}` });
    client.on("error", (err) => this.failed(err, role));
    try {
      await client.connect();
      if (this.schema !== "public") {
        const schema = pg.escapeIdentifier(this.schema);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(`SET search_path TO ${schema}`);
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new StoreUnreachableError(
        `cannot reach PostgreSQL at ${this.where}: ${(err as Error).message}; check --postgres-url (LINKER_POSTGRES_URL) and that the server runs`,
        { cause: err },
      );
    }
    return client;
  }

  private async writerClient(): Promise<pg.Client> {
    return (this.writer ??= await this.connect("writer"));
  }

  private async readerClient(): Promise<pg.Client> {
    return (this.reader ??= await this.connect("reader"));
  }

  private async sessionReaderClient(): Promise<pg.Client> {
    return (this.sessionReader ??= await this.connect("session reader"));
  }

  private async listenerClient(): Promise<pg.Client> {
    return (this.listener ??= await this.connect("listener"));
  }

  /** Subscribes to other hubs' commits; reconnects (and catches up) when the connection breaks. */
  private async listen(): Promise<void> {
    const client = await this.listenerClient();
    client.on("notification", () => this.tailer.poke());
    await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    this.tailer.poke();
  }

  /** Drops a connection that broke (the next use reconnects) and says what the caller should see. */
  private failed(err: unknown, role: string): unknown {
    if (!isConnectionError(err) && !(err instanceof StoreUnreachableError)) return err;
    if (role === "writer") this.writer = undefined;
    if (role === "reader") this.reader = undefined;
    if (role === "session reader") this.sessionReader = undefined;
    if (role === "listener") {
      this.listener = undefined;
      this.leading = false;
      if (!this.closed && !this.relistening) {
        this.relistening = true;
        this.options.logger?.warn({ err, database: this.where }, "lost the connection that follows other hubs' commits; reconnecting");
        setTimeout(() => {
          this.relistening = false;
          void this.listen().catch((again: unknown) => this.failed(again, "listener"));
        }, 500).unref();
      }
    }
    return err instanceof StoreUnreachableError ? err : new StoreUnreachableError(`lost the connection to PostgreSQL at ${this.where}; retry`, { cause: err });
  }
}
