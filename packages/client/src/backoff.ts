/** Shape of a reconnect schedule. */
export interface BackoffOptions {
  /** Upper bound of the first delay, in milliseconds (default 100). */
  initialMs?: number;
  /** Largest delay ever returned, in milliseconds (default 3000). */
  maxMs?: number;
  /** Growth of the upper bound per attempt (default 2). */
  multiplier?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random
 * time in [0, min(maxMs, initialMs * multiplier^n)], so reconnecting clients
 * spread out instead of arriving together, and no wait exceeds `maxMs`.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = Math.max(1, options.initialMs ?? 100);
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 3_000);
    this.multiplier = Math.max(1, options.multiplier ?? 2);
    this.random = options.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Upper bound of the next delay. */
  get ceilingMs(): number {
    return Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt);
  }

  /** The next delay in milliseconds; never more than `maxMs`. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceilingMs);
    if (this.ceilingMs < this.maxMs) this.attempt += 1;
    return Math.min(this.maxMs, Math.max(0, delay));
  }

  /** Starts again from the first delay (after a connection worked). */
  reset(): void {
    this.attempt = 0;
  }
}
