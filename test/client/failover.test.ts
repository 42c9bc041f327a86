import { afterEach, describe, expect, it } from "vitest";
import type { HubChangedEvent } from "../../packages/client/src/client-events.js";
import { LinkerClient, MemorySessionStore } from "@linker/client";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { freePort } from "./support/agents.js";
import { startTestHub, tempDir } from "./support/hubs.js";

const clients: LinkerClient[] = [];
const hubProcesses: HubProcess[] = [];
const hubs: RunningHub[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(hubProcesses.splice(0).map((hub) => hub.stop("SIGKILL")));
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

function client(name: string, urls: string[]): LinkerClient {
  const created = new LinkerClient({ name, hubs: urls, sessions: new MemorySessionStore(), backoff: { initialMs: 20, maxMs: 300 } });
  clients.push(created);
  return created;
}

describe("failover between hub URLs", () => {
  it("moves to the next hub when the current one is killed, resuming from the cursor (shared store)", async () => {
    const dataDir = tempDir("linker-shared-");
    const first = await startHubProcess({ dataDir });
    hubProcesses.push(first);
    // The standby serves the same data folder once the first hub is gone (one hub at a time holds a folder).
    const standbyPort = await freePort();
    const urls = [first.url, `http://127.0.0.1:${standbyPort}`];
    const alice = client("alice", urls);
    const bob = client("bob", urls);
    await alice.connect();
    await bob.connect();
    expect(alice.hubUrl).toBe(first.url);

    const bodies: string[] = [];
    alice.on("message", ({ message }) => bodies.push(message.body));
    const changes: HubChangedEvent[] = [];
    alice.on("hub-changed", (change) => changes.push(change));
    const recovered = alice.once("recovered");
    const lastArrived = alice.once("message", ({ message }) => message.body === "m-19");
    const halfArrived = alice.once("message", ({ message }) => message.body === "m-9");

    for (let i = 0; i < 10; i++) await bob.send({ recipient: "alice", body: `m-${i}` });
    await halfArrived;
    await first.stop("SIGKILL");
    const second = await startHubProcess({ dataDir, port: standbyPort });
    hubProcesses.push(second);
    for (let i = 10; i < 20; i++) await bob.send({ recipient: "alice", body: `m-${i}` });
    await lastArrived;

    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `m-${i}`));
    // While the standby starts, the client may try both URLs in turn; it ends on the standby.
    expect(changes[0]).toEqual({ type: "hub-changed", from: first.url, to: second.url, reason: "failover" });
    expect(changes.every((change) => change.reason === "failover")).toBe(true);
    expect((await recovered).hubChanged).toBe(true);
    expect(alice.hubUrl).toBe(second.url);
    expect(bob.hubUrl).toBe(second.url);
    expect(alice.stats.renewals).toBe(0);
  });

  it("re-registers on a hub with its own store and keeps working", async () => {
    const first = await startTestHub();
    const second = await startTestHub();
    hubs.push(first, second);
    const urls = [first.url, second.url];
    const alice = client("alice", urls);
    const bob = client("bob", urls);
    await alice.connect();
    await bob.connect();
    const renewed = alice.once("registered", (event) => event.renewed);
    const live = alice.once("caught-up");
    await first.close();
    hubs.splice(hubs.indexOf(first), 1);

    expect((await renewed).url).toBe(second.url);
    await live;
    const delivered = alice.once("message");
    const sent = await bob.send({ recipient: "alice", body: "on the second hub" });
    expect((await delivered).message.id).toBe(sent.message?.id);
    expect(alice.hubUrl).toBe(second.url);
  });

  it("tries the URLs in order when the first one is down at connect", async () => {
    const only = await startTestHub();
    hubs.push(only);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const alice = client("alice", [dead, only.url]);
    const changed = alice.once("hub-changed");
    await alice.connect();
    expect(await changed).toMatchObject({ from: dead, to: only.url, reason: "failover" });
    expect(alice.hubUrl).toBe(only.url);
  });
});
