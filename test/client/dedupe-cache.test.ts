import { describe, expect, it } from "vitest";
import { DedupeCache } from "../../packages/client/src/dedupe-cache.js";

describe("DedupeCache", () => {
  it("reports each id new once", () => {
    const cache = new DedupeCache(10);
    expect(cache.add("a")).toBe(true);
    expect(cache.add("b")).toBe(true);
    expect(cache.add("a")).toBe(false);
    expect(cache.size).toBe(2);
  });

  it("is bounded and evicts the least recently seen id", () => {
    const cache = new DedupeCache(3);
    cache.add("a");
    cache.add("b");
    cache.add("c");
    cache.add("a"); // a is now the most recent
    cache.add("d"); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.has("b")).toBe(false);
    expect(cache.has("a")).toBe(true);
    expect(cache.add("b")).toBe(true);
    expect(cache.has("c")).toBe(false);
  });

  it("never holds more than its capacity", () => {
    const cache = new DedupeCache(100);
    for (let i = 0; i < 10_000; i++) cache.add(`id-${i}`);
    expect(cache.size).toBe(100);
    expect(cache.has("id-9999")).toBe(true);
    expect(cache.has("id-9899")).toBe(false);
  });

  it("rejects a useless capacity", () => {
    expect(() => new DedupeCache(0)).toThrow(RangeError);
  });
});
