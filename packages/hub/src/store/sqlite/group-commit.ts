import type Database from "better-sqlite3";
import { StoreBusyError, StoreFullError } from "../store-errors.js";

/** Most transactions that share one COMMIT. */
const MAX_GROUP = 128;

interface Job<C> {
  fn: (context: C) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Done<C> {
  job: Job<C>;
  ok: boolean;
  value: unknown;
  callbacks: Array<() => void>;
}

/** A transaction's way to run code once its writes are durable. */
export interface CommitHooks {
  /** Runs `callback` right after this transaction commits. */
  afterCommit(callback: () => void): void;
}

/** True for SQLite's "the disk (or the database's size limit) is full" errors. */
function isFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "SQLITE_FULL" || (typeof code === "string" && code.startsWith("SQLITE_IOERR") && /disk|space|full/i.test(String((err as Error).message)));
}

/** The error a failed begin, savepoint or commit is reported as. */
function storeFailure(err: unknown): unknown {
  if (isBusy(err)) return new StoreBusyError(err);
  if (isFull(err)) return new StoreFullError(err);
  return err;
}

/** What a group's life means to the store beyond SQL transactions (its counters). */
export interface GroupHooks {
  /** Right after BEGIN. */
  begun(): void;
  /** Before a job that runs in a savepoint; returns how to undo what the job changes. */
  jobStarting(): () => void;
  /** Right before COMMIT. */
  committing(): void;
}

const NO_HOOKS: GroupHooks = { begun() {}, jobStarting: () => () => undefined, committing() {} };

/** True for SQLite's "another connection holds the lock" errors. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code === "SQLITE_BUSY_SNAPSHOT";
}

/**
 * Runs transactions one at a time on one SQLite connection, sharing COMMITs:
 * jobs queued together run inside one SQLite transaction (up to MAX_GROUP),
 * each after the first in its own SAVEPOINT, so a failing job rolls back only
 * its own writes.
 * Every job is answered after its group's COMMIT, so a resolved job is
 * durable and its after-commit callbacks run in commit order. A failure to
 * begin or commit (the lock held by another process past the busy timeout)
 * rejects that group's jobs with StoreBusyError and the engine goes on.
 */
export class GroupCommit<C extends CommitHooks> {
  private readonly pending: Array<Job<C>> = [];
  private readonly callbacks: Array<() => void> = [];
  private draining = false;
  private readonly context: C;
  private readonly sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Database.Statement>;

  constructor(
    private readonly db: Database.Database,
    context: (hooks: CommitHooks) => C,
    private readonly hooks: GroupHooks = NO_HOOKS,
  ) {
    this.sql = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT job"),
      release: db.prepare("RELEASE job"),
      rollbackTo: db.prepare("ROLLBACK TO job"),
    };
    this.context = context({ afterCommit: (callback) => this.afterCommit(callback) });
  }

  /** Runs `callback` after the running transaction commits (the hook every transaction context also has). */
  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  /** Queues `fn` as one transaction; resolves with its result once it is committed. */
  run<T>(fn: (context: C) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.draining) return;
      // Start after this turn's I/O: every request that arrived with this one joins its group.
      this.draining = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        if (!this.db.open) {
          for (const job of this.pending.splice(0)) job.reject(new Error("the store is closed"));
          return;
        }
        try {
          this.sql.begin.run();
          this.hooks.begun();
        } catch (err) {
          // Every queued job waited for this lock: answer them all now rather than one busy timeout each.
          const failure = storeFailure(err);
          for (const job of this.pending.splice(0)) job.reject(failure);
          return;
        }
        const done: Array<Done<C>> = [];
        let running: Job<C> | undefined;
        try {
          // The first job of a group needs no savepoint: if it fails, nothing else ran yet and the
          // whole transaction rolls back; the next group starts with the jobs behind it.
          const first = this.pending.shift()!;
          running = first;
          const firstDone = await this.runJob(first, false);
          running = undefined;
          if (!firstDone.ok) {
            this.rollback();
            first.reject(firstDone.value);
            continue;
          }
          done.push(firstDone);
          while (this.pending.length > 0 && done.length < MAX_GROUP) {
            running = this.pending.shift()!;
            done.push(await this.runJob(running, true));
            running = undefined;
          }
          this.hooks.committing();
          this.sql.commit.run();
        } catch (err) {
          // A savepoint or commit that fails (a full disk) fails every job of the group, and none is left waiting.
          this.rollback();
          this.callbacks.length = 0;
          const failure = storeFailure(err);
          running?.reject(failure);
          for (const { job } of done) job.reject(failure);
          continue;
        }
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

  private rollback(): void {
    try {
      if (this.db.inTransaction) this.sql.rollback.run();
    } catch {
      // SQLite already rolled the transaction back (it does on some I/O errors).
    }
  }

  private async runJob(job: Job<C>, savepoint: boolean): Promise<Done<C>> {
    const undo = savepoint ? this.hooks.jobStarting() : undefined;
    if (savepoint) this.sql.savepoint.run();
    try {
      const value = await job.fn(this.context);
      if (savepoint) this.sql.release.run();
      return { job, ok: true, value, callbacks: this.callbacks.splice(0) };
    } catch (err) {
      this.callbacks.length = 0;
      if (savepoint) {
        this.sql.rollbackTo.run();
        this.sql.release.run();
        undo?.();
      }
      return { job, ok: false, value: isFull(err) ? new StoreFullError(err) : err, callbacks: [] };
    }
  }
}
