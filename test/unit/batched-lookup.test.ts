import { describe, expect, it } from "vitest";
import { BatchedLookup } from "../../packages/hub/src/store/postgres/batched-lookup.js";

describe("a batched lookup", () => {
  it("sends the keys asked for while a query is in flight together in the next one, each caller getting its own answer", async () => {
    const queries: string[][] = [];
    let release: () => void = () => undefined;
    const lookup = new BatchedLookup<string>(async (keys) => {
      queries.push(keys);
      if (queries.length === 1) await new Promise<void>((done) => (release = done));
      return new Map(keys.filter((key) => key !== "missing").map((key) => [key, `value of ${key}`]));
    });
    const first = lookup.get("a");
    const rest = [lookup.get("b"), lookup.get("c"), lookup.get("b"), lookup.get("missing")];
    release();
    expect(await first).toBe("value of a");
    expect(await Promise.all(rest)).toEqual(["value of b", "value of c", "value of b", undefined]);
    expect(queries).toEqual([["a"], ["b", "c", "missing"]]);
  });

  it("rejects every caller of a failed query and goes on with the next", async () => {
    let calls = 0;
    const lookup = new BatchedLookup<string>(async (keys) => {
      calls += 1;
      if (calls === 2) throw new Error("connection lost");
      return new Map(keys.map((key) => [key, key]));
    });
    const first = lookup.get("a");
    const failed = [lookup.get("b"), lookup.get("c")];
    expect(await first).toBe("a");
    await expect(failed[0]).rejects.toThrow("connection lost");
    await expect(failed[1]).rejects.toThrow("connection lost");
    expect(await lookup.get("b")).toBe("b");
    expect(calls).toBe(3);
  });
});
