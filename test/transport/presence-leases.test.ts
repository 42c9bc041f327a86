import { Code, createRouterTransport } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Event, EventType, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { hubConfig } from "../../packages/hub/src/config.js";
import { createHealthService } from "../../packages/hub/src/health.js";
import { createHub, type Hub } from "../../packages/hub/src/hub.js";
import { hubRouter, openStore } from "../../packages/hub/src/start-hub.js";
import { connectErrorOf } from "../e2e/harness.js";
import { registerAgent } from "../support/clients.js";
import { EventReader } from "../support/event-reader.js";
import { FakeClock } from "../support/test-hub.js";
import { tempDir } from "../support/temp-dir.js";
import { join } from "node:path";
import { SqliteStore } from "../../packages/hub/src/store/sqlite/sqlite-store.js";

const TTL_SECONDS = 10;

/** A hub on the SQLite file of `dataDir`, reached over an in-memory transport. */
async function hubOn(dataDir: string, clock: FakeClock, takeover: { crashedBefore?: boolean } = {}) {
  const config = hubConfig({ dataDir, presenceTtlSeconds: TTL_SECONDS });
  const logger = pino({ level: "silent" });
  // A hub taking over from one that crashed finds the data folder's lock free: the lock is not what this test is about.
  const store = takeover.crashedBefore ? new SqliteStore({ path: join(dataDir, "hub.db"), lock: false }) : await openStore(config);
  const hub = createHub({ config, store, logger, clock });
  await hub.ready;
  const { routes, options } = hubRouter(hub, createHealthService([LinkerService.typeName]), config, logger);
  const agent = (name: string) => registerAgent((interceptors) => createRouterTransport(routes, { router: options, transport: { interceptors } }), name);
  return { hub, agent };
}

describe("presence leases", () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.close();
  });

  it("keep an instance online for the hub that takes over the file, until its lease expires unrenewed", async () => {
    const dataDir = tempDir();
    const clock = new FakeClock();
    const first = await hubOn(dataDir, clock);
    hubs.push(first.hub);
    const worker = await first.agent("worker");
    const stream = new EventReader(worker.client, 0n, [EventType.PRESENCE]);
    const joined = (e: Event) => e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.JOINED;
    if (!(await stream.caughtUp()).some(joined)) await stream.until(joined);

    // A second hub opens the same file while the first one's lease is live (as after a crash of the first).
    const second = await hubOn(dataDir, clock, { crashedBefore: true });
    hubs.push(second.hub);
    const watcher = await second.agent("watcher");
    const seen = new EventReader(watcher.client, 0n, [EventType.PRESENCE]);
    await seen.caughtUp();
    const listed = await watcher.client.listInstances({});
    expect(Object.fromEntries(listed.instances.map((i) => [i.name, i.presence]))).toMatchObject({ worker: Presence.ONLINE, watcher: Presence.ONLINE });

    // The first hub stops renewing (it is gone); the second hub's sweep ends the expired lease.
    first.hub.deps.presence.close();
    clock.advance(TTL_SECONDS * 1000 + 1);
    await second.hub.deps.presence.sweep(true);
    const left = await seen.until((e) => e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.LEFT);
    expect(left.at(-1)?.payload.value).toMatchObject({ instance: { name: "worker", presence: Presence.OFFLINE } });
    expect((await watcher.client.listInstances({ onlineOnly: true })).instances.map((i) => i.name)).toEqual(["watcher"]);
    stream.close();
    seen.close();
  });

  it("count an instance online on another hub as soon as its stream caught up or its heartbeat returned, before that hub heard of it", async () => {
    // Two hubs on one file: the SQLite store hands a hub only its own commits, so
    // the asking hub never hears the other's JOINED events; only the leases tell it.
    const dataDir = tempDir();
    const clock = new FakeClock();
    const asking = await hubOn(dataDir, clock);
    hubs.push(asking.hub);
    // (The data folder's lock keeps a second live hub off one file; the store underneath is what replicas share.)
    const serving = await hubOn(dataDir, clock, { crashedBefore: true });
    hubs.push(serving.hub);
    const asker = await asking.agent("asker");
    const streaming = await serving.agent("streaming");
    const beating = await serving.agent("beating");
    const stream = new EventReader(streaming.client, 0n, [EventType.MESSAGE]);
    await stream.caughtUp();
    await beating.client.heartbeat({});
    expect(asking.hub.deps.presence.isOnline("streaming")).toBe(false);

    const online = await asker.client.listInstances({ onlineOnly: true });
    expect(online.instances.map((i) => i.name).sort()).toEqual(["beating", "streaming"]);
    expect((await asker.client.send({ recipient: "streaming", body: "there?" })).recipientOnline).toBe(true);
    const asked = await connectErrorOf(asker.client.ask({ recipient: "beating", body: "anyone?", timeoutMs: 50 }));
    expect(asked.code, asked.rawMessage).toBe(Code.DeadlineExceeded);
    const broadcast = await asker.client.broadcast({ body: "online ones", onlineOnly: true });
    expect(broadcast.recipients.sort()).toEqual(["beating", "streaming"]);

    // Once the heartbeat ages out and the sweep ends its lease, the answer follows the lease.
    clock.advance(TTL_SECONDS * 1000 + 1);
    await serving.hub.deps.presence.renew();
    await serving.hub.deps.presence.sweep(true);
    const later = await asker.client.listInstances({ onlineOnly: true });
    expect(later.instances.map((i) => i.name)).toEqual(["streaming"]);
    const refused = await connectErrorOf(asker.client.ask({ recipient: "beating", body: "still?", timeoutMs: 50 }));
    expect(refused.code).toBe(Code.Unavailable);
    stream.close();
  });

  it("renewal keeps a streaming instance's lease alive past the TTL, and a heartbeat-only one expires", async () => {
    const clock = new FakeClock();
    const { hub, agent } = await hubOn(tempDir(), clock);
    hubs.push(hub);
    const streaming = await agent("streaming");
    const beating = await agent("beating");
    const stream = new EventReader(streaming.client, 0n, [EventType.PRESENCE]);
    await stream.caughtUp();
    await beating.client.heartbeat({});
    for (let i = 0; i < 4; i++) {
      clock.advance(3_000);
      await hub.deps.presence.renew();
      await hub.deps.presence.sweep(true);
    }
    const online = await streaming.client.listInstances({ onlineOnly: true });
    expect(online.instances.map((i) => i.name)).toEqual(["streaming"]);
    const events = await stream.until((e) => e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.LEFT);
    const leftNames = events.flatMap((e) => (e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.LEFT ? [e.payload.value.instance?.name] : []));
    expect(leftNames).toEqual(["beating"]);
    stream.close();
  });
});
