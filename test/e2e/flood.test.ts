import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearer } from "../support/clients.js";
import { type Hub, killAll, launchHub, removeTempDirs } from "./harness.js";

/** Sends `count` messages at once from one connection and tallies how each call ended. */
async function burst(url: string, grpc: boolean, count: number) {
  let token: string | undefined;
  const make = grpc ? createGrpcTransport : createConnectTransport;
  const client = createClient(LinkerService, make({ baseUrl: url, httpVersion: "2", interceptors: [bearer(() => token)] }));
  token = (await client.register({ name: `flooder-${grpc ? "grpc" : "connect"}` })).sessionToken;
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.send({ recipient: "sink", body: `flood ${i}` }).then(
        () => "ok",
        (err: unknown) => ConnectError.from(err),
      ),
    ),
  );
  return { client, outcomes };
}

describe("a burst far beyond what one connection may have in flight", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await launchHub({ args: ["--max-calls-per-connection", "100"] });
    const sink = createClient(LinkerService, createConnectTransport({ baseUrl: hub.url, httpVersion: "1.1" }));
    await sink.register({ name: "sink" });
  });
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it.each([true, false])("is pushed back call by call with a reason, and the connection lives on (gRPC: %s)", { timeout: 60_000 }, async (grpc) => {
    const { client, outcomes } = await burst(hub.url, grpc, 5000);
    const refused = outcomes.filter((o): o is ConnectError => o !== "ok");
    expect(outcomes.filter((o) => o === "ok").length).toBeGreaterThanOrEqual(100);
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toMatch(/calls in flight \(limit 100\); wait for answers before sending more/);
    }
    // The same client, on the same connection, goes on working.
    expect((await client.send({ recipient: "sink", body: "after the burst" })).message?.body).toBe("after the burst");
    expect(hub.child.exitCode).toBeNull();
  });
});
