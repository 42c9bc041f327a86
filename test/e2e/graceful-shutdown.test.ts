import { existsSync, statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import { type Agent, registerAgent, transportFor } from "../support/clients.js";
import { recordStream } from "./event-recorder.js";
import { codeName, killAll, launchHub, PROTOCOLS, removeTempDirs, transports, waitFor } from "./harness.js";

/** Follows Health.Watch for the whole server and records the statuses. */
function watchHealth(client: Client<typeof Health>) {
  const statuses: ServingStatus[] = [];
  let markServing!: () => void;
  let notServing!: (err: Error) => void;
  const serving = new Promise<void>((resolve, reject) => {
    markServing = resolve;
    notServing = reject;
  });
  serving.catch(() => undefined);
  const ended = (async () => {
    try {
      for await (const response of client.watch({ service: "" })) {
        statuses.push(response.status);
        if (response.status === ServingStatus.SERVING) markServing();
      }
      return { statuses, error: undefined };
    } catch (err) {
      return { statuses, error: ConnectError.from(err) };
    } finally {
      notServing(new Error(`the health watch ended before SERVING: ${statuses.join(", ")}`));
    }
  })();
  return { serving, ended };
}

describe("graceful shutdown on SIGTERM", () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it("ends Subscribe streams with UNAVAILABLE and their resume cursor, tells health watchers, exits 0 and keeps the data", async () => {
    const hub = await launchHub();
    const sender = await registerAgent(transports(hub.url, "grpc"), "sender");
    const receivers = new Map<string, Agent>();
    for (const protocol of PROTOCOLS) receivers.set(protocol, await registerAgent(transports(hub.url, protocol), `receiver-${protocol}`));

    const streams = new Map([...receivers].map(([protocol, agent]) => [protocol, recordStream(agent.client, 0n)]));
    for (const stream of streams.values()) await stream.caughtUp;

    const sentIds = new Map<string, string[]>();
    for (const [protocol, agent] of receivers) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await sender.client.send({ recipient: agent.name, body: `before shutdown ${i}` });
        ids.push(response.message!.id);
      }
      sentIds.set(protocol, ids);
    }
    for (const [protocol, stream] of streams) {
      const ids = sentIds.get(protocol)!;
      await stream.until("the messages sent before shutdown", (events) => ids.every((id) => events.some((e) => e.messageId === id)));
    }

    // Health watchers learn that the hub is going away before their stream ends.
    const watches = PROTOCOLS.map((protocol) => watchHealth(createClient(Health, transportFor(hub.url, protocol))));
    for (const watch of watches) await watch.serving;

    const exitCode = await hub.stop("SIGTERM");
    expect(exitCode, `hub stderr:\n${hub.stderr()}`).toBe(0);

    const cursors = new Map<string, bigint>();
    for (const [protocol, stream] of streams) {
      const error = await stream.ended;
      expect(error, `${protocol} stream must end with an error`).toBeInstanceOf(ConnectError);
      expect(codeName(error!.code), `${protocol}: ${error!.message}`).toBe(codeName(Code.Unavailable));
      const lastSeq = stream.events[stream.events.length - 1].seq;
      expect(error!.rawMessage).toContain(`after_seq=${lastSeq}`);
      cursors.set(protocol, lastSeq);
    }

    for (const [i, watch] of watches.entries()) {
      const outcome = await watch.ended;
      expect(outcome.statuses, PROTOCOLS[i]).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      expect(outcome.error, `${PROTOCOLS[i]} health watch should end cleanly`).toBeUndefined();
    }

    // The store was closed cleanly: the WAL is checkpointed and the file is intact.
    const dbPath = join(hub.dataDir, "hub.db");
    const wal = `${dbPath}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0, "the WAL should be checkpointed on shutdown").toBe(true);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((db.prepare("SELECT COUNT(*) AS n FROM messages").get() as { n: number }).n).toBe(6);
    } finally {
      db.close();
    }

    // A new hub on the same data dir serves the stored messages to the old sessions.
    const restarted = await launchHub({ dataDir: hub.dataDir });
    for (const protocol of PROTOCOLS) {
      const agent = await registerAgent(transports(restarted.url, protocol), `receiver-${protocol}`, {
        resumeToken: receivers.get(protocol)!.token,
      });
      expect(agent.registered.reclaimed).toBe(true);
      const inbox = await agent.client.listMessages({});
      expect(inbox.messages.map((m) => m.id)).toEqual(sentIds.get(protocol));

      // Resuming from the cursor in the error replays nothing already seen.
      const resumed = recordStream(agent.client, cursors.get(protocol)!);
      await resumed.caughtUp;
      expect(resumed.events.filter((e) => e.messageId !== undefined)).toEqual([]);
      expect(resumed.events.every((e) => e.seq > cursors.get(protocol)!)).toBe(true);
      await resumed.cancel();
    }
    expect(await restarted.stop("SIGTERM")).toBe(0);
  });

  it("closes idle HTTP/1.1 keep-alive connections at once instead of waiting out the grace period", async () => {
    const hub = await launchHub();
    const { port } = new URL(hub.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    socket.on("error", () => undefined);
    const body = "{}";
    socket.write(
      `POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`,
    );
    await waitFor("the health check response", () => /\r\n\r\n\{"status":"SERVING"\}$/.test(received));
    expect(received).toMatch(/^HTTP\/1\.1 200/);

    // The connection is idle now; a graceful stop should close it right away.
    const signaledAt = Date.now();
    expect(await hub.stop("SIGTERM")).toBe(0);
    const closedAfterMs = (await closed) - signaledAt;
    expect(closedAfterMs, "an idle keep-alive connection held the shutdown open until the 2 s grace timer destroyed it").toBeLessThan(1_000);
  });
});
