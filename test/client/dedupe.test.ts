import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService, type SubscribeResponse, SubscribeResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { LinkerClient, MemorySessionStore } from "@linker/client";

function messageEvent(seq: bigint, id: string, body: string): Event {
  return create(EventSchema, {
    seq,
    payload: { case: "message", value: create(MessageSchema, { id, seq, sender: "peer", recipient: "me", body }) },
  });
}

function item(event: Event): SubscribeResponse {
  return create(SubscribeResponseSchema, { item: { case: "event", value: event } });
}

function caughtUp(seq: bigint): SubscribeResponse {
  return create(SubscribeResponseSchema, { item: { case: "caughtUp", value: { seq } } });
}

/**
 * A hub that delivers at least once: its first stream redelivers m1 under a
 * new seq, then breaks; its second stream ignores the cursor and replays
 * events the client already has, then redelivers m2 and m3 under new seqs.
 */
function redeliveringHub(subscribeCalls: bigint[]): Partial<ServiceImpl<typeof LinkerService>> {
  return {
    register: (req) => ({ sessionToken: "token", reclaimed: false, headSeq: 0n, instance: { name: req.name } }),
    async *subscribe(req) {
      subscribeCalls.push(req.afterSeq);
      if (subscribeCalls.length === 1) {
        yield item(messageEvent(1n, "m1", "one"));
        yield item(messageEvent(2n, "m2", "two"));
        yield item(messageEvent(3n, "m1", "one again"));
        yield caughtUp(3n);
        yield item(messageEvent(4n, "m3", "three"));
        throw new ConnectError("the hub is shutting down", Code.Unavailable);
      }
      yield item(messageEvent(3n, "m1", "replayed below the cursor"));
      yield item(messageEvent(4n, "m3", "replayed below the cursor"));
      yield item(messageEvent(5n, "m2", "two again"));
      yield item(messageEvent(6n, "m3", "three again"));
      yield item(messageEvent(7n, "m4", "four"));
      yield caughtUp(7n);
      await new Promise(() => undefined);
    },
  };
}

const clients: LinkerClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

describe("client-side dedupe", () => {
  it("hands each message to the application once, across redelivery and reconnect", async () => {
    const subscribeCalls: bigint[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(LinkerService, redeliveringHub(subscribeCalls));
    });
    const client = new LinkerClient({
      name: "me",
      hubs: "http://fake-hub",
      transport: () => transport,
      sessions: new MemorySessionStore(),
      backoff: { initialMs: 1, maxMs: 5 },
    });
    clients.push(client);
    const bodies: string[] = [];
    const states: string[] = [];
    client.on("message", ({ message }) => bodies.push(`${message.id}:${message.body}`));
    for (const type of ["connected", "caught-up", "disconnected", "recovered"] as const) client.on(type, () => states.push(type));
    const recovered = client.once("recovered");
    await client.connect();
    // Events before a caught-up are delivered before it is reported.
    await recovered;

    expect(bodies).toEqual(["m1:one", "m2:two", "m3:three", "m4:four"]);
    expect(client.stats.duplicatesDropped).toBe(3);
    expect(subscribeCalls).toEqual([0n, 4n]);
    expect(client.cursor).toBe(7n);
    expect(states).toEqual(["connected", "caught-up", "disconnected", "connected", "caught-up", "recovered"]);
  });

  it("forgets the oldest ids beyond its capacity", async () => {
    const transport = createRouterTransport(({ service }) => {
      service(LinkerService, {
        register: (req) => ({ sessionToken: "token", reclaimed: false, headSeq: 0n, instance: { name: req.name } }),
        async *subscribe() {
          for (let i = 1n; i <= 5n; i++) yield item(messageEvent(i, `id-${i}`, "first"));
          yield item(messageEvent(6n, "id-5", "dropped: still remembered"));
          yield item(messageEvent(7n, "id-1", "delivered: forgotten"));
          yield caughtUp(7n);
          await new Promise(() => undefined);
        },
      });
    });
    const client = new LinkerClient({ name: "me", hubs: "http://fake-hub", transport: () => transport, sessions: false, dedupeCapacity: 3 });
    clients.push(client);
    const ids: string[] = [];
    client.on("message", ({ message }) => ids.push(message.id));
    await client.connect();
    expect(ids).toEqual(["id-1", "id-2", "id-3", "id-4", "id-5", "id-1"]);
    expect(client.stats.duplicatesDropped).toBe(1);
  });
});
