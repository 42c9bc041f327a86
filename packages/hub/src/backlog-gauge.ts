import type { StoreTx } from "./store/store.js";

/**
 * Enforces the per-instance backlog limit without counting the inbox on every
 * send. It keeps an upper bound of each instance's unread count: sends raise
 * it, reads drop it (the next send counts exactly again). Counting happens
 * only when the bound is unknown or near the limit, so the check stays cheap
 * however long an inbox grows. Over-estimates are safe: they only trigger an
 * exact count.
 */
export class BacklogGauge {
  private readonly bounds = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /**
   * Room for `n` more unread messages for `name`: resolves to the exact unread
   * count when it had to count and the limit would be exceeded, else undefined.
   */
  async overflow(tx: StoreTx, name: string, n: number, now: number): Promise<number | undefined> {
    const bound = this.bounds.get(name);
    if (bound !== undefined && bound + n <= this.limit) return undefined;
    const exact = await tx.messages.countUnread(name, now);
    this.bounds.set(name, exact);
    return exact + n > this.limit ? exact : undefined;
  }

  /** `n` messages were stored for `name` (call inside the storing transaction). */
  added(name: string, n = 1): void {
    const bound = this.bounds.get(name);
    if (bound !== undefined) this.bounds.set(name, bound + n);
  }

  /** Some of `name`'s messages were read or removed: count again next time. */
  reset(name: string): void {
    this.bounds.delete(name);
  }
}
