import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { processAlive } from "../process-alive.js";

/** The ways a message reaches a Claude Code session's model without the model asking for it. */
export type PresentingPath = "watch" | "hook" | "drain" | "rewake" | "bridge";

/** What a claim file holds. */
interface ClaimRecord {
  /** The path that claimed the message. */
  by: PresentingPath;
  /** The claiming process. */
  pid: number;
  /** When it claimed it (ms since the epoch). */
  at: number;
  /** True once the model was handed the message; false while the hand-off is under way. */
  done: boolean;
}

/** A claim still under way after this long, by a process that is gone, is given up. */
const STALE_PENDING_MS = 5_000;

/** Message ids are hub-made UUIDs (time-ordered); anything else is not a file name we write. */
const MESSAGE_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/**
 * Which messages of one instance were already presented to its session's
 * model, shared by every process that can present one: the plugin monitor
 * (`linker watch`), the hooks (`linker hook`: prompt, drain, rewake) and the
 * bridge. Each message id is claimed by creating a file exclusively (one
 * atomic step, so of two paths that see the same message only one presents
 * it), then marked done once handed over; a claim under way whose process
 * died is given up, so a crash in between does not swallow the message.
 * Messages the model reads itself (linker_get_messages) need no claim.
 */
export class PresentedLedger {
  constructor(
    /** The folder of claim files. */
    readonly dir: string,
  ) {}

  /** The ledger of `name` on the hub state `hubKey`, under `$LINKER_HOME/presented`. */
  static of(home: string, hubKey: string, name: string): PresentedLedger {
    const digest = createHash("sha256").update(`${hubKey}\n${name}`).digest("hex").slice(0, 16);
    return new PresentedLedger(join(home, "presented", `${name}-${digest}`));
  }

  private file(id: string): string | undefined {
    return MESSAGE_ID.test(id) ? join(this.dir, id) : undefined;
  }

  /**
   * Claims message `id` for `by`: true when this call is the one that
   * presents it (nobody claimed it before, or a claimant died mid-way).
   * An id that cannot be a message id is never claimed.
   */
  async claim(id: string, by: PresentingPath): Promise<boolean> {
    const file = this.file(id);
    if (!file) return false;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, "wx", 0o600);
        try {
          await handle.writeFile(JSON.stringify({ by, pid: process.pid, at: Date.now(), done: false } satisfies ClaimRecord));
        } finally {
          await handle.close();
        }
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const record = await this.read(file);
      const abandoned = record !== undefined && !record.done && record.pid !== process.pid && !processAlive(record.pid) && Date.now() - record.at > STALE_PENDING_MS;
      if (!abandoned) return false;
      await rm(file, { force: true });
    }
    return false;
  }

  /** Marks a claim done: the model was handed the message. */
  async presented(id: string): Promise<void> {
    const file = this.file(id);
    if (!file) return;
    const record = await this.read(file);
    if (record && record.pid === process.pid) await writeFile(file, JSON.stringify({ ...record, done: true }), { mode: 0o600 });
  }

  /** Gives a claim of this process back (the hand-off failed), so another path can present the message. */
  async release(id: string): Promise<void> {
    const file = this.file(id);
    if (!file) return;
    const record = await this.read(file);
    if (record && record.pid === process.pid) await rm(file, { force: true });
  }

  /** True when some path claimed `id` (done or under way). */
  async claimed(id: string): Promise<boolean> {
    const file = this.file(id);
    if (!file) return true;
    try {
      await stat(file);
      return true;
    } catch {
      return false;
    }
  }

  /** Deletes claims older than `maxAgeMs` (the hub prunes read messages after its retention, 7 days by default). */
  async sweep(maxAgeMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const cutoff = Date.now() - maxAgeMs;
    for (const name of names) {
      const file = join(this.dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private async read(file: string): Promise<ClaimRecord | undefined> {
    try {
      const value = JSON.parse(await readFile(file, "utf8")) as Partial<ClaimRecord>;
      if (typeof value.pid === "number" && typeof value.at === "number") return { by: value.by ?? "hook", pid: value.pid, at: value.at, done: value.done === true };
      return { by: "hook", pid: 0, at: 0, done: true };
    } catch {
      // Being written right now (created empty, content follows): a live claim.
      return undefined;
    }
  }
}
