import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EventSchema, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { Fanout } from "../../packages/hub/src/fanout.js";
import { EVERYONE } from "../../packages/hub/src/store/store.js";
import { Subscription } from "../../packages/hub/src/subscription.js";

const messageEvent = (seq: bigint) =>
  create(EventSchema, { seq, payload: { case: "message", value: create(MessageSchema, { id: `m${seq}` }) } });
const memoryEvent = (seq: bigint) => create(EventSchema, { seq, payload: { case: "memory", value: {} } });

describe("Subscription", () => {
  it("hands over buffered events in order as one batch", async () => {
    const sub = new Subscription("bob", new Set(), 10);
    sub.push(messageEvent(1n));
    sub.push(messageEvent(2n));
    expect(await sub.next(new AbortController().signal)).toEqual([messageEvent(1n), messageEvent(2n)]);
  });

  it("filters by event type", async () => {
    const sub = new Subscription("bob", new Set([EventType.MEMORY]), 10);
    sub.push(messageEvent(1n));
    sub.push(memoryEvent(2n));
    expect(await sub.next(new AbortController().signal)).toEqual([memoryEvent(2n)]);
  });

  it("stops buffering past its capacity and reports the overflow instead of growing", async () => {
    const sub = new Subscription("bob", new Set(), 3);
    for (let i = 1n; i <= 10n; i++) sub.push(messageEvent(i));
    expect(await sub.next(new AbortController().signal)).toEqual({ kind: "overflow" });
    expect(sub.takeOverflow()).toBe(true);
    sub.push(messageEvent(11n));
    expect(await sub.next(new AbortController().signal)).toEqual([messageEvent(11n)]);
  });

  it("wakes a waiting reader on push, close and abort", async () => {
    const sub = new Subscription("bob", new Set(), 3);
    const waiting = sub.next(new AbortController().signal);
    sub.push(messageEvent(1n));
    expect(await waiting).toHaveLength(1);
    const closing = sub.next(new AbortController().signal);
    sub.close(new Error("bye"));
    expect(await closing).toMatchObject({ kind: "closed", error: { message: "bye" } });
    const other = new Subscription("carol", new Set(), 3);
    const abort = new AbortController();
    const aborted = other.next(abort.signal);
    abort.abort();
    expect(await aborted).toMatchObject({ kind: "closed" });
  });
});

describe("Fanout", () => {
  it("routes events to their audience and everyone's events to all", async () => {
    const fanout = new Fanout();
    const bob = fanout.subscribe("bob", new Set(), 10);
    const carol = fanout.subscribe("carol", new Set(), 10);
    fanout.publish([
      { audience: "bob", event: messageEvent(1n) },
      { audience: EVERYONE, event: memoryEvent(2n) },
    ]);
    const signal = new AbortController().signal;
    expect(await bob.next(signal)).toEqual([messageEvent(1n), memoryEvent(2n)]);
    expect(await carol.next(signal)).toEqual([memoryEvent(2n)]);
    fanout.unsubscribe(bob);
    expect(fanout.count("bob")).toBe(0);
    fanout.closeAll(new Error("shutdown"));
    expect(await carol.next(signal)).toMatchObject({ kind: "closed" });
  });

  it("hands one broadcast event object to its recipients only, and everyone's events by the types each stream takes", async () => {
    const fanout = new Fanout();
    const bob = fanout.subscribe("bob", new Set(), 10);
    const carol = fanout.subscribe("carol", new Set([EventType.MESSAGE]), 10);
    const dave = fanout.subscribe("dave", new Set([EventType.MEMORY, EventType.MESSAGE]), 10);
    const watcher = fanout.watch(new Set(), 10);
    const broadcast = messageEvent(1n);
    fanout.publish([
      { audience: EVERYONE, event: broadcast, recipients: ["bob", "carol", "erin"] },
      { audience: EVERYONE, event: memoryEvent(2n) },
    ]);
    const signal = new AbortController().signal;
    const [toBob, toCarol] = [await bob.next(signal), await carol.next(signal)] as [unknown[], unknown[]];
    expect(toBob).toEqual([broadcast, memoryEvent(2n)]);
    expect(toBob[0]).toBe(broadcast);
    expect(toCarol).toEqual([broadcast]);
    expect(toCarol[0]).toBe(broadcast);
    expect(await dave.next(signal)).toEqual([memoryEvent(2n)]);
    expect(await watcher.next(signal)).toEqual([broadcast, memoryEvent(2n)]);
    fanout.unsubscribe(dave);
    fanout.publish([{ audience: EVERYONE, event: memoryEvent(3n) }]);
    expect(await bob.next(signal)).toEqual([memoryEvent(3n)]);
    expect(fanout.sizes()).toEqual({ subscribers: 2, watchers: 1 });
  });
});
