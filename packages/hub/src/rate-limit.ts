/**
 * A token bucket per instance: `ratePerSecond` sustained, `burst` at once.
 * A rate of 0 disables the limit.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes `cost` tokens for `name`; false when the bucket is empty. */
  take(name: string, now: number, cost = 1): boolean {
    return this.wait(name, now, cost) === 0;
  }

  /** Takes `cost` tokens for `name` and returns 0, or takes nothing and returns the milliseconds until they are there. */
  wait(name: string, now: number, cost = 1): number {
    if (this.ratePerSecond <= 0) return 0;
    const bucket = this.buckets.get(name) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    this.buckets.set(name, bucket);
    if (bucket.tokens < cost) return Math.max(1, Math.ceil(((cost - bucket.tokens) / this.ratePerSecond) * 1000));
    bucket.tokens -= cost;
    return 0;
  }
}
