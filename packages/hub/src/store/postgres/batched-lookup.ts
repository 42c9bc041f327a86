/** Most keys read in one query. */
const MAX_BATCH = 500;

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Point reads by key, coalesced: one query is in flight at a time, and the
 * keys asked for meanwhile go out together in the next one. Many concurrent
 * calls cost a round trip or two instead of one each, on one connection.
 */
export class BatchedLookup<V> {
  private readonly waiting = new Map<string, Array<Waiter<V>>>();
  private running = false;

  /** `query` reads the rows of the given keys; a key with no row is absent from its map. */
  constructor(private readonly query: (keys: string[]) => Promise<Map<string, V>>) {}

  /** The value of `key`, read in the next query. */
  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        const batch = new Map<string, Array<Waiter<V>>>();
        for (const [key, waiters] of this.waiting) {
          if (batch.size === MAX_BATCH) break;
          batch.set(key, waiters);
          this.waiting.delete(key);
        }
        try {
          const found = await this.query([...batch.keys()]);
          for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key));
        } catch (err) {
          for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
