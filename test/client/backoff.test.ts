import { describe, expect, it } from "vitest";
import { Backoff } from "../../packages/client/src/backoff.js";

describe("Backoff", () => {
  it("grows the ceiling exponentially and never exceeds maxMs", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, multiplier: 2, random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays.slice(0, 5)).toEqual([99, 199, 399, 799, 999]);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(1_000);
    expect(Math.max(...delays.slice(5))).toBe(999);
  });

  it("uses full jitter: every delay is uniform in [0, ceiling]", () => {
    let i = 0;
    const samples = [0, 0.5, 0.25, 0.75];
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000, random: () => samples[i++ % samples.length] });
    expect(backoff.next()).toBe(0);
    expect(backoff.next()).toBe(200);
    expect(backoff.next()).toBe(200);
    expect(backoff.next()).toBe(1_200);
  });

  it("stays bounded over many random attempts", () => {
    const backoff = new Backoff({ initialMs: 50, maxMs: 700 });
    for (let n = 0; n < 1_000; n++) {
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(700);
    }
    expect(backoff.ceilingMs).toBe(700);
  });

  it("starts over after reset", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    backoff.next();
    expect(backoff.ceilingMs).toBe(800);
    backoff.reset();
    expect(backoff.ceilingMs).toBe(100);
    expect(backoff.next()).toBe(50);
  });
});
