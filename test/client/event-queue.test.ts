import { describe, expect, it } from "vitest";
import { EventQueue } from "../../packages/client/src/event-queue.js";

describe("EventQueue", () => {
  it("hands items to a waiting reader in order", async () => {
    const queue = new EventQueue<number>(10);
    const first = queue.next();
    await queue.push(1);
    await queue.push(2);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it("holds the producer back while full", async () => {
    const queue = new EventQueue<number>(2);
    await queue.push(1);
    await queue.push(2);
    let third = false;
    const pushing = queue.push(3).then(() => (third = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    expect(queue.length).toBe(2);
    await queue.next();
    await pushing;
    expect(third).toBe(true);
    expect(queue.length).toBe(2);
  });

  it("lets control items past the bound", () => {
    const queue = new EventQueue<number>(1);
    queue.pushNow(1);
    queue.pushNow(2);
    expect(queue.length).toBe(2);
  });

  it("ends for-await after close, releasing blocked producers", async () => {
    let closed = 0;
    const queue = new EventQueue<number>(1, () => closed++);
    await queue.push(1);
    const blocked = queue.push(2);
    const seen: number[] = [];
    for await (const item of queue) {
      seen.push(item);
      break;
    }
    await blocked;
    expect(seen).toEqual([1]);
    expect(queue.isClosed).toBe(true);
    expect(closed).toBe(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
