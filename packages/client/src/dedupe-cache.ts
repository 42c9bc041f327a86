/**
 * A bounded set of recently seen ids with least-recently-seen eviction. It
 * drops redelivered messages (after a reconnect or takeover) without growing
 * without bound: at most `capacity` ids are remembered.
 */
export class DedupeCache {
  private readonly ids = new Map<string, true>();

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("DedupeCache capacity must be a positive integer");
  }

  /** Number of ids remembered now. */
  get size(): number {
    return this.ids.size;
  }

  /** Whether `id` was seen (without recording it). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Records `id` and returns true if it was new, false if it was seen before
   * (a duplicate). Either way it becomes the most recently seen id.
   */
  add(id: string): boolean {
    const seen = this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return !seen;
  }

  /** Forgets every id. */
  clear(): void {
    this.ids.clear();
  }
}
