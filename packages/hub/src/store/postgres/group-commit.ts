import type { ClientBase } from "pg";
import type { CommitHooks } from "../sqlite/group-commit.js";

/** Most transactions that share one COMMIT. */
const MAX_GROUP = 64;

interface Job<C> {
  fn: (context: C) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** How the engine reaches the database. */
export interface PostgresConnection {
  /** The connection transactions run on (reconnected after a failure). */
  client(): Promise<ClientBase>;
  /** The error to answer a failed group with: a broken connection becomes UNAVAILABLE (and is replaced), anything else as it is. */
  failed(err: unknown): unknown;
  /** Statements that open every group's transaction (BEGIN and the write lock), sent as one round trip. */
  begin(): string;
  /** Statements that end every group's transaction (announcing appended events, then COMMIT), sent as one round trip. */
  commit(): string;
  /** Runs after every COMMIT. */
  committed(): void;
}

/**
 * Runs transactions one at a time on one PostgreSQL connection, sharing
 * COMMITs: jobs queued together run inside one transaction, each in its own
 * SAVEPOINT, so a failing job rolls back only its own writes, and every job
 * is answered after its group's COMMIT. A broken connection rejects the
 * group it broke with an UNAVAILABLE error and the next group reconnects.
 */
export class PostgresGroupCommit<C extends CommitHooks> {
  private readonly pending: Array<Job<C>> = [];
  private readonly callbacks: Array<() => void> = [];
  private draining = false;
  private closed = false;
  private readonly context: C;

  constructor(
    private readonly connection: PostgresConnection,
    context: (hooks: CommitHooks) => C,
  ) {
    this.context = context({ afterCommit: (callback) => this.afterCommit(callback) });
  }

  /** Runs `callback` after the running transaction commits. */
  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  /** Queues `fn` as one transaction; resolves with its result once it is committed. */
  run<T>(fn: (context: C) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Lets queued jobs finish and refuses new ones. */
  async close(): Promise<void> {
    await this.run(async () => undefined).catch(() => undefined);
    this.closed = true;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        const done: Array<{ job: Job<C>; ok: boolean; value: unknown; callbacks: Array<() => void> }> = [];
        let client: ClientBase | undefined;
        try {
          client = await this.connection.client();
          await client.query(this.connection.begin());
          const single = group.length === 1;
          // Each job runs in its own savepoint; releasing one and opening the next is one round trip.
          if (!single) await client.query("SAVEPOINT job");
          for (const [i, job] of group.entries()) {
            const next = i + 1 < group.length ? "; SAVEPOINT job" : "";
            try {
              const value = await job.fn(this.context);
              if (!single) await client.query(`RELEASE SAVEPOINT job${next}`);
              done.push({ job, ok: true, value, callbacks: this.callbacks.splice(0) });
            } catch (err) {
              this.callbacks.length = 0;
              if (single) throw err;
              await client.query(`ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job${next}`);
              done.push({ job, ok: false, value: err, callbacks: [] });
            }
          }
          await client.query(this.connection.commit());
        } catch (err) {
          this.callbacks.length = 0;
          await client?.query("ROLLBACK").catch(() => undefined);
          const failure = this.connection.failed(err);
          for (const job of group) job.reject(failure);
          continue;
        }
        this.connection.committed();
        for (const { job, ok, value, callbacks } of done) {
          if (!ok) {
            job.reject(value);
            continue;
          }
          for (const callback of callbacks) callback();
          job.resolve(value);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
