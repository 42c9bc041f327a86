import { afterEach, describe, expect, it } from "vitest";
import type { DisconnectedEvent, RecoveredEvent } from "../../packages/client/src/client-events.js";
import { LinkerClient, MemorySessionStore, type WireProtocol } from "@linker/client";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { freePort } from "./support/agents.js";

const clients: LinkerClient[] = [];
const hubs: HubProcess[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(hubs.splice(0).map((hub) => hub.stop("SIGKILL")));
});

async function startHub(options: { port: number; dataDir?: string }): Promise<HubProcess> {
  const hub = await startHubProcess(options);
  hubs.push(hub);
  return hub;
}

const MAX_BACKOFF_MS = 400;

describe.each<WireProtocol>(["grpc", "connect"])("reconnect over %s", (protocol) => {
  it("resumes with no gap and no duplicate after the hub is SIGKILLed and restarted", async () => {
    const port = await freePort();
    const first = await startHub({ port });
    const sessions = new MemorySessionStore();
    const options = { hubs: first.url, sessions, protocol, backoff: { initialMs: 20, maxMs: MAX_BACKOFF_MS } };
    const alice = new LinkerClient({ name: "alice", ...options });
    const bob = new LinkerClient({ name: "bob", ...options });
    clients.push(alice, bob);
    await alice.connect();
    await bob.connect();

    const received: string[] = [];
    const ids: string[] = [];
    alice.on("message", ({ message }) => {
      received.push(message.body);
      ids.push(message.id);
    });
    const disconnects: DisconnectedEvent[] = [];
    alice.on("disconnected", (event) => disconnects.push(event));
    const recovered = alice.once("recovered");
    const allArrived = alice.once("message", ({ message }) => message.body === "m-39");
    const halfArrived = alice.once("message", ({ message }) => message.body === "m-19");

    for (let i = 0; i < 20; i++) await bob.send({ recipient: "alice", body: `m-${i}` });
    await halfArrived;

    await first.stop("SIGKILL");
    // Sends made while no hub runs wait (retrying) until the restarted hub stores them.
    const sending = (async () => {
      for (let i = 20; i < 40; i++) await bob.send({ recipient: "alice", body: `m-${i}` });
    })();
    const restarted = await startHub({ port, dataDir: first.dataDir });
    expect(restarted.url).toBe(first.url);
    await sending;
    await allArrived;
    const { durationMs, hubChanged }: RecoveredEvent = await recovered;

    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => `m-${i}`));
    expect(new Set(ids).size).toBe(40);
    expect(durationMs).toBeGreaterThan(0);
    expect(hubChanged).toBe(false);
    expect(disconnects.length).toBeGreaterThan(0);
    for (const event of disconnects) {
      expect(event.retryInMs).toBeLessThanOrEqual(MAX_BACKOFF_MS);
      expect(event.error.hubUrl).toBe(first.url);
      expect(event.error.hubFailure).toBe(true);
    }
    expect(alice.state).toBe("live");
  });
});
