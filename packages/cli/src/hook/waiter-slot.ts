import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The one waiter a Claude Code session may have (`linker hook --rewake`):
 * a file naming the waiting process. A new waiter takes the slot (the
 * SessionStart waiter, then one re-armed after every turn); the one it
 * replaced sees that it no longer holds the slot and ends quietly, so a
 * session never piles up waiters.
 */
export class WaiterSlot {
  private constructor(private readonly file: string) {}

  /** Takes the slot of session `key` (Claude Code's session id, or the instance name) under `dir`. */
  static async take(dir: string, key: string): Promise<WaiterSlot> {
    const safe = /^[A-Za-z0-9._-]{1,100}$/.test(key) ? key : createHash("sha256").update(key).digest("hex").slice(0, 32);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const slot = new WaiterSlot(join(dir, safe));
    const temporary = `${slot.file}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temporary, String(process.pid), { mode: 0o600 });
    await rename(temporary, slot.file);
    return slot;
  }

  /** True while this process is the session's waiter. */
  async held(): Promise<boolean> {
    try {
      return (await readFile(this.file, "utf8")).trim() === String(process.pid);
    } catch {
      return false;
    }
  }

  /** Gives the slot up, unless another waiter took it meanwhile. */
  async release(): Promise<void> {
    if (await this.held()) await rm(this.file, { force: true });
  }
}
