import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { FileSessionStore, LinkerClient, LinkerError, type LinkerClientOptions, sessionHubKey } from "@linker/client";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { startTestHub, tempDir } from "./support/hubs.js";

const clients: LinkerClient[] = [];
/** The home the clients' sessions are keyed by (the stores themselves live in temp folders). */
const HOME = "/linker-test-home";
const hubs: RunningHub[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

async function hub(options: Parameters<typeof startTestHub>[0] = {}): Promise<RunningHub> {
  const running = await startTestHub(options);
  hubs.push(running);
  return running;
}

async function connect(options: LinkerClientOptions): Promise<LinkerClient> {
  const client = new LinkerClient({ backoff: { initialMs: 10, maxMs: 200 }, home: HOME, ...options });
  clients.push(client);
  await client.connect();
  return client;
}

describe("FileSessionStore", () => {
  it("keeps one private file per hub and name", async () => {
    const dir = join(tempDir(), "sessions");
    const store = new FileSessionStore(dir);
    await store.save({ hub: "url:http://a", name: "alice", token: "t1", cursor: "42" });
    await store.save({ hub: "url:http://b", name: "alice", token: "t2" });
    expect(await store.load("url:http://a", "alice")).toMatchObject({ token: "t1", cursor: "42" });
    expect(await store.load("url:http://b", "alice")).toMatchObject({ token: "t2", cursor: undefined });
    expect(await store.load("url:http://a", "bob")).toBeUndefined();
    const path = store.path("url:http://a", "alice");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await store.delete("url:http://a", "alice");
    expect(await store.load("url:http://a", "alice")).toBeUndefined();
  });

  it("ignores a damaged file instead of failing", async () => {
    const store = new FileSessionStore(join(tempDir(), "sessions"));
    await store.save({ hub: "h", name: "n", token: "t" });
    writeFileSync(store.path("h", "n"), "{ not json");
    expect(await store.load("h", "n")).toBeUndefined();
  });
});

describe("session persistence", () => {
  it("reclaims the same inbox after a restart and gets exactly what was sent meanwhile", async () => {
    const running = await hub();
    const sessions = new FileSessionStore(join(tempDir(), "sessions"));
    const bob = await connect({ name: "bob", hubs: running.url, sessions });
    let alice = await connect({ name: "alice", hubs: running.url, sessions });
    const seenBefore: string[] = [];
    alice.on("message", ({ message }) => seenBefore.push(message.body));
    const secondArrived = alice.once("message", ({ message }) => message.body === "before-2");
    await bob.send({ recipient: "alice", body: "before-1" });
    await bob.send({ recipient: "alice", body: "before-2" });
    await secondArrived;
    const firstToken = alice.sessionToken;
    await alice.close();

    const stored = JSON.parse(readFileSync(sessions.path(sessionHubKey([running.url], HOME), "alice"), "utf8"));
    expect(stored.token).toBe(firstToken);
    expect(BigInt(stored.cursor)).toBe(alice.cursor);

    for (let i = 1; i <= 3; i++) await bob.send({ recipient: "alice", body: `offline-${i}` });

    alice = new LinkerClient({ name: "alice", hubs: running.url, sessions, home: HOME });
    clients.push(alice);
    const seenAfter: string[] = [];
    alice.on("message", ({ message }) => seenAfter.push(message.body));
    const registered = await alice.connect();
    expect(registered.reclaimed).toBe(true);
    expect(alice.sessionToken).toBe(firstToken);
    expect(seenBefore).toEqual(["before-1", "before-2"]);
    expect(seenAfter).toEqual(["offline-1", "offline-2", "offline-3"]);
  });

  it("without a stored cursor, resumes from the oldest unread message", async () => {
    const running = await hub();
    const sessions = new FileSessionStore(join(tempDir(), "sessions"));
    const bob = await connect({ name: "bob", hubs: running.url, sessions });
    const alice = await connect({ name: "alice", hubs: running.url, sessions, subscribe: false });
    await bob.send({ recipient: "alice", body: "read-1" });
    const unread = await bob.send({ recipient: "alice", body: "unread-1" });
    await bob.send({ recipient: "alice", body: "unread-2" });
    await alice.ack({ messageIds: (await alice.listMessages({})).messages.filter((m) => m.body === "read-1").map((m) => m.id) });
    const token = alice.sessionToken!;
    await alice.close();
    await sessions.save({ hub: sessionHubKey([running.url], HOME), name: "alice", token });

    const again = new LinkerClient({ name: "alice", hubs: running.url, sessions, home: HOME });
    clients.push(again);
    const bodies: string[] = [];
    again.on("message", ({ message }) => bodies.push(message.body));
    await again.connect();
    expect(bodies).toEqual(["unread-1", "unread-2"]);
    expect(again.cursor).toBeGreaterThan(unread.message!.seq);
  });

  it("re-registers by itself when a takeover hub does not know the session", async () => {
    const first = await hub();
    const port = first.port;
    const sessions = new FileSessionStore(join(tempDir(), "sessions"));
    const alice = await connect({ name: "alice", hubs: first.url, sessions });
    const bob = await connect({ name: "bob", hubs: first.url, sessions });
    const renewed = alice.once("registered", (event) => event.renewed);
    const live = alice.once("caught-up");
    await first.close();
    hubs.splice(hubs.indexOf(first), 1);
    await hub({ port, dataDir: tempDir() });

    const registered = await renewed;
    expect(registered.reclaimed).toBe(false);
    await live;
    const delivered = alice.once("message");
    const sent = await bob.send({ recipient: "alice", body: "after the swap" });
    expect((await delivered).message.id).toBe(sent.message?.id);
    expect(alice.stats.renewals).toBe(1);
    expect(bob.stats.renewals).toBe(1);
    expect(alice.sessionToken).not.toBe(undefined);
    const stored = await sessions.load(sessionHubKey([first.url], HOME), "alice");
    expect(stored?.token).toBe(alice.sessionToken);
  });

  it("refuses a stored session the hub ended, pointing at the session file", async () => {
    const running = await hub();
    const sessions = new FileSessionStore(join(tempDir(), "sessions"));
    await connect({ name: "alice", hubs: running.url, sessions: false });
    await sessions.save({ hub: sessionHubKey([running.url], HOME), name: "alice", token: "lk_not-a-session-of-alice" });
    const client = new LinkerClient({ name: "alice", hubs: running.url, sessions, home: HOME });
    clients.push(client);
    const error = await client.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(LinkerError);
    expect((error as LinkerError).code).toBe(Code.PermissionDenied);
    expect((error as LinkerError).hint).toContain(sessions.path(sessionHubKey([running.url], HOME), "alice"));
  });

  it("deletes the stored session on unregister", async () => {
    const running = await hub();
    const sessions = new FileSessionStore(join(tempDir(), "sessions"));
    const alice = await connect({ name: "alice", hubs: running.url, sessions });
    expect(await sessions.load(sessionHubKey([running.url], HOME), "alice")).toBeDefined();
    await alice.unregister({ forget: true });
    expect(await sessions.load(sessionHubKey([running.url], HOME), "alice")).toBeUndefined();
    const again = await connect({ name: "alice", hubs: running.url, sessions });
    expect(again.registered?.reclaimed).toBe(false);
  });
});
