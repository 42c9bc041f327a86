import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { LinkerService, TaskScope } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearer } from "../support/clients.js";
import { codeOf, errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

describe.each(storeKinds)("identity and presence (%s store)", (kind) => {
  let t: TestHub;
  afterEach(async () => {
    await t.close();
  });

  it("requires a valid session token for every RPC but Register and the open reads", async () => {
    t = await createTestHub(kind);
    const anonymous = createClient(LinkerService, t.transport());
    expect(await codeOf(anonymous.send({ recipient: "x", body: "hi" }))).toBe(Code.Unauthenticated);
    expect(await codeOf(anonymous.listMessages({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(anonymous.putMemory({ key: "k", value: "v" }))).toBe(Code.Unauthenticated);
    const forged = createClient(LinkerService, t.transport([bearer(() => "lk_forged")]));
    const err = await errorOf(forged.send({ recipient: "x", body: "hi" }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.message).toContain("Register");
  });

  it("wants the hub secret for the open reads of a hub that has one", async () => {
    t = await createTestHub(kind, { hubSecret: "s3cret" });
    const anonymous = createClient(LinkerService, t.transport());
    expect(await codeOf(anonymous.listInstances({}))).toBe(Code.Unauthenticated);
    const wrong = createClient(LinkerService, t.transport([bearer(() => "not-it")]));
    expect(await codeOf(wrong.listInstances({}))).toBe(Code.Unauthenticated);
    const withSecret = createClient(LinkerService, t.transport([bearer(() => "s3cret")]));
    expect((await withSecret.listInstances({})).instances).toEqual([]);
    expect(await codeOf(withSecret.send({ recipient: "x", body: "hi" }))).toBe(Code.Unauthenticated);
  });

  it("refuses to hand an existing name to someone without its token, and reclaims it with the token", async () => {
    t = await createTestHub(kind);
    const alice = await t.agent("alice");
    const bob = await t.agent("bob");
    await bob.client.send({ recipient: "alice", body: "waiting for you" });
    const thief = createClient(LinkerService, t.transport());
    expect(await codeOf(thief.register({ name: "alice" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(thief.register({ name: "alice", resumeToken: bob.token }))).toBe(Code.PermissionDenied);
    const again = await thief.register({ name: "alice", resumeToken: alice.token, description: "after restart" });
    expect(again).toMatchObject({ reclaimed: true, unreadCount: 1, sessionToken: alice.token });
    expect(again.instance?.description).toBe("after restart");
  });

  it("keeps names unique regardless of case", async () => {
    t = await createTestHub(kind);
    await t.agent("Alice");
    const other = createClient(LinkerService, t.transport());
    for (const name of ["alice", "ALICE", "aLiCe"]) {
      const error = await errorOf(other.register({ name }));
      expect(error.code, name).toBe(Code.PermissionDenied);
      expect(error.rawMessage).toContain('"Alice" is registered, and names are unique regardless of case');
    }
    expect((await other.register({ name: "alice2" })).instance?.name).toBe("alice2");
    const names = (await (await t.agent("carol")).client.listInstances({})).instances.map((i) => i.name);
    expect(names).toEqual(["Alice", "alice2", "carol"]);
  });

  it("keeps registered details a reclaiming Register leaves empty, announcing only real changes", async () => {
    t = await createTestHub(kind);
    const watcher = await t.agent("watcher");
    const events = new EventReader(watcher.client, 0n, [EventType.PRESENCE]);
    await events.caughtUp();
    const owner = createClient(LinkerService, t.transport());
    const first = await owner.register({ name: "api", description: "owns the API", capabilities: ["go"], client: "claude-code" });
    await events.until((e) => e.payload.case === "presence" && e.payload.value.instance?.name === "api");
    const visitor = await owner.register({ name: "api", resumeToken: first.sessionToken });
    expect(visitor.instance).toMatchObject({ description: "owns the API", capabilities: ["go"], client: "claude-code" });
    await owner.register({ name: "api", resumeToken: first.sessionToken, description: "now the gateway" });
    const [next] = await events.take(1);
    expect(next.payload.case === "presence" && next.payload.value.instance?.description).toBe("now the gateway");
    events.close();
  });

  it("adopts a client-proposed token for a new name, so a lost Register reply can be retried", async () => {
    t = await createTestHub(kind);
    const client = createClient(LinkerService, t.transport());
    const proposed = `lk_${"A".repeat(43)}`;
    const first = await client.register({ name: "retry", resumeToken: proposed });
    expect(first).toMatchObject({ sessionToken: proposed, reclaimed: false });
    const retried = await client.register({ name: "retry", resumeToken: proposed });
    expect(retried).toMatchObject({ sessionToken: proposed, reclaimed: true });
    const other = await client.register({ name: "other", resumeToken: "not-a-token" });
    expect(other.sessionToken).toMatch(/^lk_[A-Za-z0-9_-]{43}$/);
    expect(await codeOf(client.register({ name: "third", resumeToken: proposed }))).toBeUndefined();
    const third = await client.register({ name: "fourth", resumeToken: proposed });
    expect(third.sessionToken).not.toBe(proposed);
  });

  it("reports where the unread messages start", async () => {
    t = await createTestHub(kind);
    const alice = await t.agent("alice");
    const bob = await t.agent("bob");
    expect(bob.registered.oldestUnreadSeq).toBe(0n);
    const sent = await alice.client.send({ recipient: "bob", body: "first" });
    await alice.client.send({ recipient: "bob", body: "second" });
    const again = await createClient(LinkerService, t.transport()).register({ name: "bob", resumeToken: bob.token });
    const [oldest] = (await bob.client.listMessages({ unreadOnly: true, limit: 1 })).messages;
    expect(oldest.id).toBe(sent.message!.id);
    expect(again.oldestUnreadSeq).toBe(oldest.seq);
  });

  it("tracks presence from heartbeats and streams, sweeps it after the TTL, and announces changes", async () => {
    t = await createTestHub(kind, { presenceTtlSeconds: 10 });
    const watcher = await t.agent("watcher");
    const events = new EventReader(watcher.client, 0n, [EventType.PRESENCE]);
    await events.caughtUp();
    const worker = await t.agent("worker");
    expect((await watcher.client.listInstances({ onlineOnly: true })).instances.map((i) => i.name)).toEqual(["watcher"]);
    await worker.client.heartbeat({});
    await events.until((e) => e.payload.case === "presence" && e.payload.value.instance?.name === "worker" && e.payload.value.kind === PresenceChangeKind.JOINED);
    const online = await watcher.client.listInstances({ onlineOnly: true });
    expect(online.instances.map((i) => i.name).sort()).toEqual(["watcher", "worker"]);

    t.clock.advance(11_000);
    await t.hub.deps.presence.sweep(true);
    const left = await events.until((e) => e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.LEFT);
    expect(left.at(-1)?.payload.value).toMatchObject({ instance: { name: "worker", presence: Presence.OFFLINE } });
    // The watcher's open stream keeps it online whatever the clock says.
    const all = await watcher.client.listInstances({});
    expect(Object.fromEntries(all.instances.map((i) => [i.name, i.presence]))).toEqual({ watcher: Presence.ONLINE, worker: Presence.OFFLINE });

    const status = await worker.client.setStatus({ status: "reviewing PR 12" });
    expect(status.instance?.status).toBe("reviewing PR 12");
    await events.until((e) => e.payload.case === "presence" && e.payload.value.kind === PresenceChangeKind.UPDATED && e.payload.value.instance?.status === "reviewing PR 12");
    events.close();
  });

  it("filters instances by label", async () => {
    t = await createTestHub(kind);
    const a = await t.agent("a");
    await createClient(LinkerService, t.transport()).register({ name: "backend", labels: { role: "backend" } });
    const found = await a.client.listInstances({ labels: { role: "backend" } });
    expect(found.instances.map((i) => i.name)).toEqual(["backend"]);
  });

  it("takes an instance offline on Unregister, keeps its name reclaimable, and frees it with forget", async () => {
    t = await createTestHub(kind);
    const alice = await t.agent("alice");
    const bob = await t.agent("bob");
    await bob.client.send({ recipient: "alice", body: "x" });
    const stream = new EventReader(alice.client, 0n, [EventType.MESSAGE]);
    await stream.caughtUp();
    await alice.client.unregister({});
    expect(await codeOf(stream.take(1))).toBe(Code.Unavailable);
    expect((await bob.client.listInstances({})).instances.find((i) => i.name === "alice")?.presence).toBe(Presence.OFFLINE);
    expect(await codeOf(createClient(LinkerService, t.transport()).register({ name: "alice" }))).toBe(Code.PermissionDenied);
    const back = await createClient(LinkerService, t.transport()).register({ name: "alice", resumeToken: alice.token });
    expect(back).toMatchObject({ reclaimed: true, unreadCount: 1 });

    const carol = await t.agent("carol");
    await carol.client.unregister({ forget: true });
    expect(await codeOf(bob.client.send({ recipient: "carol", body: "gone?" }))).toBe(Code.NotFound);
    expect(await codeOf(carol.client.heartbeat({}))).toBe(Code.Unauthenticated);
    const reborn = await t.agent("carol");
    expect(reborn.registered).toMatchObject({ reclaimed: false, unreadCount: 0 });
  });

  it("requires the hub secret to register when one is configured", async () => {
    t = await createTestHub(kind, { hubSecret: "s3cret" });
    const anonymous = createClient(LinkerService, t.transport());
    expect(await codeOf(anonymous.register({ name: "alice" }))).toBe(Code.Unauthenticated);
    const withSecret = createClient(LinkerService, t.transport([bearer(() => "s3cret")]));
    expect((await withSecret.register({ name: "alice" })).sessionToken).toMatch(/^lk_/);
  });

  it("rejects invalid registrations without registering anything", async () => {
    t = await createTestHub(kind);
    const anonymous = createClient(LinkerService, t.transport());
    expect(await codeOf(anonymous.register({ name: "" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(anonymous.register({ name: "-leading-dash" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(anonymous.register({ name: "x".repeat(65) }))).toBe(Code.InvalidArgument);
    expect(await codeOf(anonymous.register({ name: "ok", capabilities: Array.from({ length: 33 }, (_, i) => `c${i}`) }))).toBe(Code.InvalidArgument);
    const probe = await t.agent("probe");
    expect((await probe.client.listInstances({})).instances.map((i) => i.name)).toEqual(["probe"]);
  });
});
