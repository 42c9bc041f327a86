import { LinkerClient, MemorySessionStore } from "@linker/client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { freePort, killAll, launchHub, removeTempDirs, tempDir, waitFor } from "../e2e/harness.js";

describe("LinkerClient.sendMany", () => {
  const clients: LinkerClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await killAll();
  });
  afterAll(removeTempDirs);
  const client = async (name: string, url: string, subscribe: boolean) => {
    const c = new LinkerClient({ name, hubs: url, sessions: new MemorySessionStore(), subscribe, eventTypes: [EventType.MESSAGE], backoff: { initialMs: 50, maxMs: 300 } });
    clients.push(c);
    await c.connect();
    return c;
  };

  it("stores many messages over one stream, resumes after the hub is killed and restarted, and stores none twice", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const dataDir = tempDir();
    // bob reads nothing here: room for all of it unread; and no per-instance rate, this is bulk.
    const args = ["--max-backlog", "100000", "--send-rate", "0"];
    let hub = await launchHub({ port, dataDir, args });
    const bob = await client("bob", hub.url, true);
    const got: number[] = [];
    bob.on("message", ({ message }) => got.push(Number(message.body)));
    const alice = await client("alice", hub.url, false);
    const TOTAL = 20_000;
    const publications = Array.from({ length: TOTAL }, (_, i) => ({ send: { recipient: "bob", body: String(i) } }));
    let answered = 0;
    let restart: Promise<void> | undefined;
    const answers = await alice.sendMany(publications, {
      onAnswer: () => {
        if (++answered !== 2_000) return;
        // Killed while most of the stream is still to come.
        hub.child.kill("SIGKILL");
        restart = hub.exited.then(async () => {
          hub = await launchHub({ port, dataDir, args });
        });
      },
    });
    expect(restart, "the hub died in the middle of the stream").toBeDefined();
    await restart;
    expect(answers.map((a) => Number(a.sequence))).toEqual(publications.map((_, i) => i));
    expect(answers.filter((a) => a.outcome.case !== "sent").map((a) => a.outcome)).toEqual([]);
    await waitFor("bob to get all of them", () => got.length >= TOTAL, 30_000);
    expect(got).toEqual(publications.map((_, i) => i));
  });
});
