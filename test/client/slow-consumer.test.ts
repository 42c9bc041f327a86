import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { DisconnectedEvent } from "../../packages/client/src/client-events.js";
import { LinkerClient, MemorySessionStore } from "@linker/client";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { startTestHub } from "./support/hubs.js";

let hub: RunningHub | undefined;
const clients: LinkerClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await hub?.close();
});

describe("a slow reader", () => {
  it("holds the stream back; the hub cuts it off and it resumes from its cursor without loss", async () => {
    hub = await startTestHub({ limits: { subscriberBufferEvents: 4 } });
    const options = { hubs: hub.url, sessions: new MemorySessionStore(), backoff: { initialMs: 5, maxMs: 50 } };
    const reader = new LinkerClient({ name: "reader", ...options });
    const writer = new LinkerClient({ name: "writer", ...options, subscribe: false });
    clients.push(reader, writer);
    await reader.connect();
    await writer.connect();
    const cutOff: DisconnectedEvent[] = [];
    reader.on("disconnected", (event) => cutOff.push(event));

    const events = reader.events({ types: ["message"], capacity: 2 });
    const total = 300;
    const body = "x".repeat(4_096);
    const sending = Promise.all(Array.from({ length: total }, (_, i) => writer.send({ recipient: "reader", body: `${i}:${body}` })));
    const order: number[] = [];
    for await (const event of events) {
      order.push(Number(event.message.body.split(":")[0]));
      if (order.length % 50 === 0) await sleep(20);
      if (order.length === total) break;
    }
    await sending;

    expect(order).toHaveLength(total);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(cutOff.some((event) => event.error.codeName === "resource_exhausted")).toBe(true);
    expect(reader.state).not.toBe("closed");
  });
});
