import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type PublishRequest, PublishRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { registerAgent } from "../support/clients.js";
import { EventReader } from "../support/event-reader.js";
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { freePort, killAll, launchHub, removeTempDirs, tempDir } from "./harness.js";

/** Both protocols over HTTP/2: a Publish stream is full duplex. */
const duplex = (protocol: "grpc" | "connect", url: string) => (interceptors: Interceptor[]) =>
  protocol === "grpc" ? createGrpcTransport({ baseUrl: url, interceptors }) : createConnectTransport({ baseUrl: url, httpVersion: "2", interceptors });

/** Messages offered on the Publish stream. */
const TOTAL = 20_000;
/** The hub is killed once this many have been acknowledged. */
const KILL_AFTER = 4_000;

describe("Publish when the hub is SIGKILLed mid-stream", () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it.each(["grpc", "connect"] as const)("keeps every acknowledged message, once and in order, for the restarted hub (%s)", { timeout: 90_000 }, async (protocol) => {
    const dataDir = tempDir();
    const port = await freePort();
    // A bulk sender: no per-instance send rate.
    const args = ["--send-rate", "0"];
    const hub = await launchHub({ dataDir, port, args });
    const sender = await registerAgent(duplex(protocol, hub.url), "sender");
    const receiver = await registerAgent(duplex(protocol, hub.url), "receiver");
    async function* offered(): AsyncIterable<PublishRequest> {
      for (let i = 0; i < TOTAL; i++) yield create(PublishRequestSchema, { sequence: BigInt(i), message: { case: "send", value: { recipient: "receiver", body: `p-${i}` } } });
    }
    const acknowledged: number[] = [];
    let ended: unknown;
    try {
      for await (const answer of sender.client.publish(offered())) {
        expect(answer.outcome.case).toBe("sent");
        acknowledged.push(Number(answer.sequence));
        if (acknowledged.length === KILL_AFTER) hub.child.kill("SIGKILL");
      }
    } catch (err) {
      ended = err;
    }
    expect(ended, "the stream ends with the hub").toBeDefined();
    expect(await hub.exited).toBe("SIGKILL");
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged).toEqual(acknowledged.map((_, i) => i));

    const again = await launchHub({ dataDir, port, args });
    const back = await registerAgent(duplex(protocol, again.url), "receiver", { resumeToken: receiver.token });
    expect(back.registered.reclaimed).toBe(true);
    const inbox = new EventReader(back.client, 0n, [EventType.MESSAGE]);
    const stored = EventReader.bodies(await inbox.caughtUp()).map((body) => Number(body.slice(2)));
    inbox.close();
    // Every acknowledged message is there once; the ones after it that committed but were not yet
    // answered may be there too, in order, and nothing is there twice.
    expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect(stored).toEqual(stored.map((_, i) => i));
    expect(stored.length).toBeLessThanOrEqual(TOTAL);
  });
});
