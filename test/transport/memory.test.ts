import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MemoryChangeKind, MemoryConflictSchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { codeOf, errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

describe.each(storeKinds)("shared memory (%s store)", (kind) => {
  let t: TestHub;
  afterEach(async () => {
    await t.close();
  });

  it("writes, reads and revisions keys; compare-and-set loses cleanly with the current revision", async () => {
    t = await createTestHub(kind);
    const a = await t.agent("a");
    const b = await t.agent("b");
    const created = await a.client.putMemory({ key: "api/schema", value: "v1", expectedRevision: 0n });
    expect(created.entry).toMatchObject({ key: "api/schema", value: "v1", updatedBy: "a" });
    const rev1 = created.entry!.revision;
    expect(await codeOf(b.client.putMemory({ key: "api/schema", value: "dup", expectedRevision: 0n }))).toBe(Code.FailedPrecondition);
    const updated = await b.client.putMemory({ key: "api/schema", value: "v2", expectedRevision: rev1 });
    expect(updated.entry!.revision).toBeGreaterThan(rev1);
    const stale = await errorOf(a.client.putMemory({ key: "api/schema", value: "v1-again", expectedRevision: rev1 }));
    expect(stale.code).toBe(Code.FailedPrecondition);
    const [conflict] = stale.findDetails(MemoryConflictSchema);
    expect(conflict).toMatchObject({ key: "api/schema", expectedRevision: rev1, currentRevision: updated.entry!.revision });
    expect((await a.client.getMemory({ key: "api/schema" })).entry?.value).toBe("v2");
  });

  it("lets exactly one of many concurrent compare-and-set writers win", async () => {
    t = await createTestHub(kind);
    const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => t.agent(`w${i}`)));
    const base = await agents[0].client.putMemory({ key: "counter", value: "0" });
    const results = await Promise.allSettled(
      agents.map((agent) => agent.client.putMemory({ key: "counter", value: agent.name, expectedRevision: base.entry!.revision })),
    );
    const winners = results.filter((r) => r.status === "fulfilled");
    expect(winners).toHaveLength(1);
    const value = (await agents[0].client.getMemory({ key: "counter" })).entry!.value;
    expect(value).toBe((winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof agents[0]["client"]["putMemory"]>>>).value.entry!.value);
  });

  it("never reuses a revision after delete, so a stale CAS cannot succeed on a recreated key", async () => {
    t = await createTestHub(kind);
    const a = await t.agent("a");
    const first = await a.client.putMemory({ key: "k", value: "1" });
    expect(await codeOf(a.client.deleteMemory({ key: "k", expectedRevision: first.entry!.revision + 100n }))).toBe(Code.FailedPrecondition);
    const deleted = await a.client.deleteMemory({ key: "k", expectedRevision: first.entry!.revision });
    expect(deleted.revision).toBeGreaterThan(first.entry!.revision);
    expect(await codeOf(a.client.getMemory({ key: "k" }))).toBe(Code.NotFound);
    expect(await codeOf(a.client.deleteMemory({ key: "k" }))).toBe(Code.NotFound);
    const recreated = await a.client.putMemory({ key: "k", value: "2", expectedRevision: 0n });
    expect(recreated.entry!.revision).toBeGreaterThan(deleted.revision);
    expect(await codeOf(a.client.putMemory({ key: "k", value: "3", expectedRevision: first.entry!.revision }))).toBe(Code.FailedPrecondition);
  });

  it("expires keys after their TTL and announces it", async () => {
    t = await createTestHub(kind);
    const a = await t.agent("a");
    const changes = new EventReader(a.client, 0n, [EventType.MEMORY]);
    await changes.caughtUp();
    await a.client.putMemory({ key: "lease/file.ts", value: "a", ttlSeconds: 10 });
    expect((await changes.take(1))[0].payload.value).toMatchObject({ kind: MemoryChangeKind.PUT });
    t.clock.advance(10_001);
    expect(await codeOf(a.client.getMemory({ key: "lease/file.ts" }))).toBe(Code.NotFound);
    expect(await t.hub.memory.expire()).toBe(1);
    expect((await changes.take(1))[0].payload.value).toMatchObject({ kind: MemoryChangeKind.EXPIRED, entry: { key: "lease/file.ts" } });
    await a.client.putMemory({ key: "lease/file.ts", value: "b", expectedRevision: 0n });
    changes.close();
  });

  it("lists keys by prefix in pages", async () => {
    t = await createTestHub(kind);
    const a = await t.agent("a");
    for (const key of ["team/x", "team/a", "team/m", "other/z"]) await a.client.putMemory({ key, value: key });
    const page1 = await a.client.listMemory({ prefix: "team/", pageSize: 2 });
    expect(page1.entries.map((e) => e.key)).toEqual(["team/a", "team/m"]);
    const page2 = await a.client.listMemory({ prefix: "team/", pageSize: 2, pageToken: page1.nextPageToken, keysOnly: true });
    expect(page2.entries.map((e) => [e.key, e.value])).toEqual([["team/x", ""]]);
    expect(page2.nextPageToken).toBe("");
    expect(await codeOf(a.client.listMemory({ prefix: "team/", pageToken: "other/z" }))).toBe(Code.InvalidArgument);
  });

  it("rejects bad keys and oversized values without writing", async () => {
    t = await createTestHub(kind, { limits: { maxMemoryValueBytes: 8 } });
    const a = await t.agent("a");
    expect(await codeOf(a.client.putMemory({ key: "has space", value: "x" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(a.client.putMemory({ key: "", value: "x" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(a.client.putMemory({ key: "big", value: "123456789" }))).toBe(Code.ResourceExhausted);
    expect((await a.client.listMemory({})).entries).toEqual([]);
  });
});
