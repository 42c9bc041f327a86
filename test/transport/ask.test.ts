import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { codeOf, errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

describe.each(storeKinds)("ask (%s store)", (kind) => {
  let t: TestHub;
  afterEach(async () => {
    await t.close();
  });

  it("returns the reply of an online instance and marks it read", async () => {
    t = await createTestHub(kind);
    const asker = await t.agent("asker");
    const expert = await t.agent("expert");
    const inbox = new EventReader(expert.client, 0n, [EventType.MESSAGE]);
    await inbox.caughtUp();
    const answering = (async () => {
      const [query] = await inbox.take(1);
      if (query.payload.case !== "message") throw new Error("expected a message");
      expect(query.payload.value).toMatchObject({ kind: MessageKind.QUERY, sender: "asker", body: "which port?" });
      await expert.client.send({ recipient: "asker", body: "3847", kind: MessageKind.RESPONSE, replyTo: query.payload.value.id });
    })();
    const result = await asker.client.ask({ recipient: "expert", body: "which port?", timeoutMs: 5000 });
    await answering;
    expect(result.reply).toMatchObject({ body: "3847", sender: "expert", replyTo: result.query!.id, threadId: result.query!.threadId });
    expect((await asker.client.heartbeat({})).unreadCount).toBe(0);
    inbox.close();
  });

  it("fails fast when the target is unknown or offline, storing nothing", async () => {
    t = await createTestHub(kind, { presenceTtlSeconds: 5 });
    const asker = await t.agent("asker");
    const sleeper = await t.agent("sleeper");
    await sleeper.client.heartbeat({});
    expect(await codeOf(asker.client.ask({ recipient: "nobody", body: "?" }))).toBe(Code.NotFound);
    t.clock.advance(6000);
    await t.hub.deps.presence.sweep(true);
    const err = await errorOf(asker.client.ask({ recipient: "sleeper", body: "?" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.message).toContain("no responders");
    expect((await sleeper.client.listMessages({})).messages).toEqual([]);
  });

  it("times out with DEADLINE_EXCEEDED and leaves the query stored for a late reply", async () => {
    t = await createTestHub(kind, { limits: { askMaxTimeoutMs: 50 } });
    const asker = await t.agent("asker");
    const slow = await t.agent("slow");
    await slow.client.heartbeat({});
    const err = await errorOf(asker.client.ask({ recipient: "slow", body: "quick?", timeoutMs: 60_000 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.message).toContain("within 50 ms");
    const [query] = (await slow.client.listMessages({ unreadOnly: true })).messages;
    expect(query).toMatchObject({ kind: MessageKind.QUERY, body: "quick?" });
    await slow.client.send({ recipient: "asker", body: "late", kind: MessageKind.RESPONSE, replyTo: query.id });
    expect((await asker.client.listMessages({ unreadOnly: true })).messages.map((m) => m.body)).toEqual(["late"]);
  });

  it("rejects an empty question", async () => {
    t = await createTestHub(kind);
    const asker = await t.agent("asker");
    await t.agent("other");
    expect(await codeOf(asker.client.ask({ recipient: "other", body: "" }))).toBe(Code.InvalidArgument);
  });
});
