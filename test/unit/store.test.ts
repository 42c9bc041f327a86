import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { EventType, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { EVERYONE, type Store, type StoreTx } from "../../packages/hub/src/store/store.js";
import { createStore, storeKinds } from "../support/test-hub.js";

function message(id: string, sender: string, recipient: string, extra: Partial<Omit<Message, "$typeName" | "$unknown">> = {}): Message {
  return create(MessageSchema, { id, sender, recipient, body: id, threadId: extra.threadId ?? id, sentAt: timestampFromMs(1000), ...extra });
}

/** Stores a message with one event per recipient (a direct message; a broadcast as older hubs stored it). */
async function deliver(tx: StoreTx, m: Message, recipients: string[]): Promise<bigint[]> {
  await tx.messages.insert(m);
  return tx.events.append(recipients.map((audience) => ({ audience, at: 1000, payload: { case: "message", value: m } })));
}

/** Stores a broadcast once: one event to everyone, with an inbox entry per recipient. */
async function broadcast(tx: StoreTx, m: Message, recipients: string[]): Promise<bigint> {
  await tx.messages.insert(m);
  const [seq] = await tx.events.append([{ audience: EVERYONE, at: 1000, payload: { case: "message", value: m }, recipients }]);
  return seq;
}

const inboxOf = (tx: StoreTx, recipient: string, unreadOnly = false) =>
  tx.messages.listInbox({ recipient, unreadOnly, sender: "", afterSeq: 0n, limit: 10, now: 0 });

describe.each(storeKinds)("store contract (%s)", (kind) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  it("rolls back every write of a failed transaction and runs no after-commit callback", async () => {
    store = await createStore(kind);
    let called = false;
    await expect(
      store.transaction(async (tx) => {
        await tx.identity.putInstance(create(InstanceSchema, { name: "a" }));
        await deliver(tx, message("m1", "a", "b"), ["b"]);
        await tx.memory.put(create(MemoryEntrySchema, { key: "k", revision: await tx.memory.nextRevision() }));
        await tx.tasks.put(create(TaskSchema, { id: "t1", status: TaskStatus.PENDING }));
        tx.afterCommit(() => (called = true));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(called).toBe(false);
    await store.transaction(async (tx) => {
      expect(await tx.identity.getInstance("a")).toBeUndefined();
      expect(await tx.messages.get("m1")).toBeUndefined();
      expect(await tx.events.head()).toBe(0n);
      expect(await tx.memory.get("k")).toBeUndefined();
      expect(await tx.memory.nextRevision()).toBe(1n);
      expect(await tx.tasks.get("t1")).toBeUndefined();
      expect(await tx.messages.countUnread("b", 0)).toBe(0);
    });
  });

  it("assigns increasing sequence numbers and reads events by audience, cursor and type", async () => {
    store = await createStore(kind);
    const seqs = await store.transaction(async (tx) => {
      const a = await deliver(tx, message("m1", "a", "b"), ["b"]);
      const b = await tx.events.append([
        { audience: EVERYONE, at: 2000, payload: { case: "presence", value: { $typeName: "linker.v1.PresenceChange", kind: PresenceChangeKind.JOINED } } },
      ]);
      const c = await deliver(tx, message("m2", "a", "c"), ["c"]);
      return [...a, ...b, ...c];
    });
    expect(seqs).toEqual([1n, 2n, 3n]);
    await store.transaction(async (tx) => {
      const forB = await tx.events.read({ audiences: ["b", EVERYONE], afterSeq: 0n, limit: 10, types: [], now: 0 });
      expect(forB.map((e) => [e.seq, e.payload.case])).toEqual([
        [1n, "message"],
        [2n, "presence"],
      ]);
      expect(forB[0].payload.value).toMatchObject({ id: "m1", seq: 1n });
      expect((await tx.events.read({ audiences: ["b", EVERYONE], afterSeq: 1n, limit: 10, types: [], now: 0 })).map((e) => e.seq)).toEqual([2n]);
      expect((await tx.events.read({ audiences: ["b", EVERYONE], afterSeq: 0n, limit: 10, types: [EventType.PRESENCE], now: 0 })).map((e) => e.seq)).toEqual([2n]);
      expect((await tx.events.read({ audiences: ["b", EVERYONE], afterSeq: 0n, limit: 1, types: [], now: 0 })).map((e) => e.seq)).toEqual([1n]);
      expect(await tx.events.head()).toBe(3n);
    });
  });

  it("tracks delivered and read per recipient and only reports changes once", async () => {
    store = await createStore(kind);
    await store.transaction(async (tx) => {
      await deliver(tx, message("m1", "a", EVERYONE), ["b", "c"]);
      expect(await tx.messages.recipientsOf("m1")).toEqual(["b", "c"]);
      expect((await tx.messages.markDelivered("b", ["m1"], 5)).map((m) => m.id)).toEqual(["m1"]);
      expect(await tx.messages.markDelivered("b", ["m1"], 6)).toEqual([]);
      const read = await tx.messages.markRead("b", ["m1", "unknown"], 7);
      expect(read.map((m) => [m.id, Number(m.readAt?.seconds ?? -1)])).toEqual([["m1", 0]]);
      expect(await tx.messages.markRead("b", ["m1"], 8)).toEqual([]);
      expect(await tx.messages.countUnread("b", 0)).toBe(0);
      expect(await tx.messages.countUnread("c", 0)).toBe(1);
      expect((await tx.messages.getInboxEntry("c", "m1"))?.readAt).toBeUndefined();
    });
  });

  it("stores a broadcast once and keeps each recipient's delivered and read state apart", async () => {
    store = await createStore(kind);
    const committed: { audience: string; recipients?: readonly string[]; seq: bigint }[] = [];
    store.onCommitted((events) => committed.push(...events.map((e) => ({ audience: e.audience, recipients: e.recipients, seq: e.event.seq }))));
    const seq = await store.transaction(async (tx) => {
      await deliver(tx, message("d1", "a", "b"), ["b"]);
      return broadcast(tx, message("all", "a", EVERYONE, { threadId: "t" }), ["b", "c"]);
    });
    expect(seq).toBe(2n);
    await expect.poll(() => committed.length).toBe(2);
    expect(committed[1]).toEqual({ audience: EVERYONE, recipients: ["b", "c"], seq: 2n });
    await store.transaction(async (tx) => {
      const read = (viewer?: string) => tx.events.read({ audiences: [viewer ?? "b", EVERYONE], viewer, afterSeq: 0n, limit: 10, types: [], now: 0 });
      expect((await read("b")).map((e) => [e.seq, e.payload.case === "message" && e.payload.value.id])).toEqual([
        [1n, "d1"],
        [2n, "all"],
      ]);
      expect(await tx.events.read({ audiences: ["d", EVERYONE], viewer: "d", afterSeq: 0n, limit: 10, types: [], now: 0 })).toEqual([]);
      expect((await read()).map((e) => e.seq)).toEqual([1n, 2n]);
      expect(await tx.messages.recipientsOf("all")).toEqual(["b", "c"]);
      expect((await inboxOf(tx, "b")).map((m) => [m.id, m.seq])).toEqual([
        ["d1", 1n],
        ["all", 2n],
      ]);
      expect((await tx.messages.markDelivered("b", ["all", "d1"], 5)).map((m) => m.id)).toEqual(["d1", "all"]);
      expect(await tx.messages.markDelivered("b", ["all"], 6)).toEqual([]);
      expect((await tx.messages.markRead("c", ["all", "d1"], 7)).map((m) => [m.id, m.seq, Number(m.readAt?.nanos)])).toEqual([["all", 2n, 7_000_000]]);
      expect(await tx.messages.markRead("c", ["all"], 8)).toEqual([]);
      expect(await tx.messages.countUnread("b", 0)).toBe(2);
      expect(await tx.messages.countUnread("c", 0)).toBe(0);
      expect(await tx.messages.countUnread("d", 0)).toBe(0);
      expect((await tx.messages.getInboxEntry("b", "all"))?.deliveredAt).toBeDefined();
      expect((await tx.messages.getInboxEntry("b", "all"))?.readAt).toBeUndefined();
      expect(await tx.messages.getInboxEntry("d", "all")).toBeUndefined();
      const [forB] = (await read("b")).filter((e) => e.seq === 2n);
      expect(forB.payload.value).toMatchObject({ id: "all", seq: 2n });
      expect(forB.payload.case === "message" && forB.payload.value.readAt).toBeUndefined();
      const [forC] = (await tx.events.read({ audiences: ["c", EVERYONE], viewer: "c", afterSeq: 1n, limit: 10, types: [], now: 0 }));
      expect(forC.payload.case === "message" && forC.payload.value.readAt).toBeTruthy();
      const thread = (viewer: string) => tx.messages.conversation({ viewer, threadId: "t", afterCursor: 0n, limit: 10 });
      expect((await thread("c")).messages.map((m) => [m.id, m.seq, !!m.readAt])).toEqual([["all", 2n, true]]);
      expect((await thread("d")).messages).toEqual([]);
    });
  });

  it("prunes a broadcast's entries as they expire or are read, then its event and message, and forgets a deleted instance's", async () => {
    store = await createStore(kind);
    await store.transaction(async (tx) => {
      await broadcast(tx, message("all", "a", EVERYONE), ["b", "c", "d"]);
      await tx.messages.markRead("b", ["all"], 1000);
      await tx.events.deleteAudience("d");
      expect(await inboxOf(tx, "d")).toEqual([]);
      await tx.messages.prune(2000, 1800);
      expect(await inboxOf(tx, "b")).toEqual([]);
      expect((await inboxOf(tx, "c")).map((m) => m.id)).toEqual(["all"]);
      expect(await tx.messages.get("all")).toBeDefined();
      await tx.messages.markRead("c", ["all"], 1500);
      await tx.messages.prune(2000, 1800);
      expect(await inboxOf(tx, "c")).toEqual([]);
      expect(await tx.events.read({ audiences: [EVERYONE], afterSeq: 0n, limit: 10, types: [], now: 0 })).toEqual([]);
      expect(await tx.messages.get("all")).toBeUndefined();
    });
  });

  it("reads a session from committed state only, and not once its key's sessions end", async () => {
    store = await createStore(kind);
    let pending: Promise<unknown> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.identity.putInstance(create(InstanceSchema, { name: "a" }));
        await tx.identity.putSession("h-rolled-back", "a", 1000, "key-1");
        pending = store.readSession("h-rolled-back");
        // Gives a concurrent read the time to run while this transaction is still open.
        await new Promise((done) => setTimeout(done, 20));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await pending).toBeUndefined();
    await store.transaction(async (tx) => {
      await tx.identity.putInstance(create(InstanceSchema, { name: "a" }));
      await tx.identity.putSession("h1", "a", 1000, "key-1");
    });
    expect(await store.readSession("h1")).toEqual({ name: "a", keyId: "key-1" });
    await store.transaction((tx) => tx.identity.deleteSessionsOfKey("key-1"));
    expect(await store.readSession("h1")).toBeUndefined();
  });

  it("finds messages by idempotency key per sender", async () => {
    store = await createStore(kind);
    await store.transaction(async (tx) => {
      await deliver(tx, message("m1", "a", "b", { idempotencyKey: "k" }), ["b"]);
      expect((await tx.messages.findByIdempotencyKey("a", "k"))?.id).toBe("m1");
      expect(await tx.messages.findByIdempotencyKey("x", "k")).toBeUndefined();
    });
  });

  it("prunes expired unread, old read messages and old events, keeping unread ones", async () => {
    store = await createStore(kind);
    await store.transaction(async (tx) => {
      await deliver(tx, message("keep", "a", "b"), ["b"]);
      await deliver(tx, message("expired", "a", "b", { expiresAt: timestampFromMs(1500) }), ["b"]);
      await deliver(tx, message("read", "a", "b"), ["b"]);
      await tx.messages.markRead("b", ["read"], 1000);
      const removed = (await tx.messages.prune(2000, 1800)) + (await tx.events.prune(1800));
      expect(removed).toBeGreaterThanOrEqual(2);
      expect((await tx.messages.listInbox({ recipient: "b", unreadOnly: false, sender: "", afterSeq: 0n, limit: 10, now: 0 })).map((m) => m.id)).toEqual(["keep"]);
    });
  });
});

/** A small operation language run against both stores; both must answer identically. */
type Op =
  | { op: "send"; from: number; to: number[]; key: string }
  | { op: "broadcast"; from: number; to: number[] }
  | { op: "read"; who: number; upTo: number }
  | { op: "put"; key: string }
  | { op: "delete"; key: string }
  | { op: "task"; assignee: number }
  | { op: "fail" };

const names = ["a", "b", "c"];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("send" as const), from: fc.nat(2), to: fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 3 }), key: fc.constantFrom("", "k1", "k2") }),
  fc.record({ op: fc.constant("broadcast" as const), from: fc.nat(2), to: fc.uniqueArray(fc.nat(2), { maxLength: 3 }) }),
  fc.record({ op: fc.constant("read" as const), who: fc.nat(2), upTo: fc.nat(20) }),
  fc.record({ op: fc.constant("put" as const), key: fc.constantFrom("x", "y", "x/z") }),
  fc.record({ op: fc.constant("delete" as const), key: fc.constantFrom("x", "y", "x/z") }),
  fc.record({ op: fc.constant("task" as const), assignee: fc.nat(3) }),
  fc.constant({ op: "fail" as const }),
);

async function apply(store: Store, ops: Op[]): Promise<unknown[]> {
  const out: unknown[] = [];
  let n = 0;
  for (const op of ops) {
    n++;
    const result = await store
      .transaction(async (tx) => {
        switch (op.op) {
          case "send": {
            const sender = names[op.from];
            if (op.key !== "" && (await tx.messages.findByIdempotencyKey(sender, op.key))) return "duplicate";
            return deliver(tx, message(`m${n}`, sender, "x", { idempotencyKey: op.key }), op.to.map((i) => names[i]));
          }
          case "broadcast":
            return broadcast(tx, message(`m${n}`, names[op.from], EVERYONE), op.to.map((i) => names[i]));
          case "read": {
            const inbox = await tx.messages.listInbox({ recipient: names[op.who], unreadOnly: true, sender: "", afterSeq: 0n, limit: op.upTo, now: 0 });
            return (await tx.messages.markRead(names[op.who], inbox.map((m) => m.id), n)).map((m) => m.id);
          }
          case "put":
            return tx.memory.put(create(MemoryEntrySchema, { key: op.key, value: `v${n}`, revision: await tx.memory.nextRevision() }));
          case "delete":
            await tx.memory.delete(op.key);
            return "deleted";
          case "task":
            return tx.tasks.put(create(TaskSchema, { id: `t${n % 4}`, assignee: names[op.assignee] ?? "", status: TaskStatus.PENDING }));
          case "fail":
            await deliver(tx, message(`m${n}`, "a", "x"), ["b"]);
            throw new Error("rolled back");
        }
      })
      .catch((err: Error) => `error: ${err.message}`);
    out.push(result);
  }
  out.push(
    await store.transaction(async (tx) => ({
      head: await tx.events.head(),
      events: (await tx.events.read({ audiences: [...names, EVERYONE], afterSeq: 0n, limit: 1000, types: [], now: 0 })).map((e) => [e.seq, e.payload.case, e.payload.value]),
      seen: await Promise.all(
        names.map(async (viewer) => (await tx.events.read({ audiences: [viewer, EVERYONE], viewer, afterSeq: 0n, limit: 1000, types: [], now: 0 })).map((e) => [e.seq, e.payload.value])),
      ),
      inboxes: await Promise.all(names.map((name) => inboxOf(tx, name))),
      unread: await Promise.all(names.map((name) => tx.messages.countUnread(name, 0))),
      memory: await tx.memory.list({ prefix: "", afterKey: "", limit: 100 }),
      tasks: (await tx.tasks.list({ statuses: [], limit: 100 })).map((r) => [r.ordinal, r.task]),
      revision: await tx.memory.nextRevision(),
    })),
  );
  return out;
}

describe("store equivalence", () => {
  const other = storeKinds.at(-1)!;
  it(`gives the same answers from SQLite and ${other} for any sequence of operations`, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        const [sqlite, compared] = await Promise.all([createStore("sqlite"), createStore(other)]);
        try {
          expect(await apply(compared, ops)).toEqual(await apply(sqlite, ops));
        } finally {
          await Promise.all([sqlite.close(), compared.close()]);
        }
      }),
      { numRuns: other === "postgres" ? 60 : 150 },
    );
  });
});
