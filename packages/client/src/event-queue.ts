/**
 * A bounded queue read with `for await`. `push` waits while `capacity` items
 * are waiting, so a slow reader slows the producer down (the hub then cuts a
 * too-slow stream off and the client resumes it from its cursor) instead of
 * letting memory grow; `pushNow` skips the bound for rare control items.
 * Breaking out of the loop closes the queue and releases waiting producers.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly readers: Array<(result: IteratorResult<T>) => void> = [];
  private readonly writers: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly capacity = 1_000,
    private readonly onClose?: () => void,
  ) {}

  /** Number of items waiting to be read. */
  get length(): number {
    return this.items.length;
  }

  /** True once closed by either side. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds an item, waiting while the queue is full; dropped once closed. */
  async push(item: T): Promise<void> {
    while (!this.closed && this.readers.length === 0 && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.writers.push(resolve));
    }
    this.pushNow(item);
  }

  /** Adds an item now, even past capacity; dropped once closed. */
  pushNow(item: T): void {
    if (this.closed) return;
    const reader = this.readers.shift();
    if (reader) reader({ value: item, done: false });
    else this.items.push(item);
  }

  /** Ends the queue: readers get what is waiting, then the end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    for (const writer of this.writers.splice(0)) writer();
    this.onClose?.();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T;
      this.writers.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
