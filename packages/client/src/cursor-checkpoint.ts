import type { ClientLogger } from "./client-logger.js";
import type { SessionStore } from "./session-store.js";

/** Delay between cursor writes to the session store. */
const SAVE_DELAY_MS = 200;

/** Where a checkpoint writes: the session store, the record's hub key and name, and the current token. */
export interface CheckpointTarget {
  /** The store; undefined keeps the cursor in this process only. */
  store: SessionStore | undefined;
  /** Which hub state the session belongs to. */
  hub: string;
  /** The instance name. */
  name: string;
  /** The session token to write beside the cursor (nothing is written without one). */
  token(): string | undefined;
  /** Where failed writes are reported. */
  logger: ClientLogger;
}

/**
 * The resume cursor (seq of the last event handed to the application) and
 * its checkpoints in the session store: written at most every 200 ms while
 * events flow, at once on `save()`, and always last-write-wins (writes are
 * serialized), so a restarted client replays only what it had not handed on.
 */
export class CursorCheckpoint {
  private seq = 0n;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly target: CheckpointTarget) {}

  /** Seq of the last event handed to the application. */
  get cursor(): bigint {
    return this.seq;
  }

  /** Where the record lives, for messages to the user. */
  get location(): string | undefined {
    return this.target.store?.describe(this.target.hub, this.target.name);
  }

  /** Moves the cursor to `seq` (where the stream resumes) without writing it. */
  reset(seq: bigint): void {
    this.seq = seq;
  }

  /** Moves the cursor forward to `seq` and schedules a write. */
  advance(seq: bigint): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    if (!this.target.store || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes token and cursor now; resolves when this write (and every earlier one) is done. */
  save(): Promise<void> {
    this.cancel();
    const { store, hub, name, logger } = this.target;
    const token = this.target.token();
    if (!store || token === undefined) return this.saving;
    const record = { hub, name, token, cursor: this.seq.toString() };
    this.saving = this.saving
      .then(() => store.save(record))
      .catch((err: unknown) => logger.warn({ err, path: store.describe(hub, name) }, "session not saved"));
    return this.saving;
  }

  /** Writes a scheduled checkpoint now and waits for every write. */
  async flush(): Promise<void> {
    if (this.timer) await this.save();
    await this.saving;
  }

  /** Drops a scheduled write; resolves when writes already started are done. */
  cancel(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.saving;
  }
}
