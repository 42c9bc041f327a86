import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubConfig } from "../../packages/hub/src/config.js";
import { startHub } from "../../packages/hub/src/start-hub.js";
import { tempDir } from "../support/temp-dir.js";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService, SendRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearer, registerAgent } from "../support/clients.js";
import { type Hub, killAll, launchHub, removeTempDirs } from "./harness.js";

/** The transports whose Send, Broadcast and Subscribe the hub serves on its direct path, and the HTTP/1.1 one connect-node serves. */
const TRANSPORTS: Record<string, (url: string, interceptors: ReturnType<typeof bearer>[]) => Transport> = {
  "gRPC over h2c (direct)": (url, interceptors) => createGrpcTransport({ baseUrl: url, interceptors }),
  "Connect binary over h2c (direct)": (url, interceptors) => createConnectTransport({ baseUrl: url, httpVersion: "2", interceptors }),
  "Connect JSON over HTTP/1.1 (connect-node)": (url, interceptors) =>
    createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false, interceptors }),
};

interface Outcome {
  code: Code | "ok";
  message?: string;
  details?: string[];
}

async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { code: "ok" };
  } catch (err) {
    const error = ConnectError.from(err);
    return { code: error.code, message: error.rawMessage, details: error.details.map((d) => ("desc" in d ? d.desc.typeName : d.type)) };
  }
}

describe("Send, Broadcast and Subscribe on the direct path answer exactly as connect-node does", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await launchHub({ args: ["--max-message-bytes", "1024"] });
  });
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it("gives the same results and errors, with details, over every protocol", async () => {
    const results: Record<string, Outcome[]> = {};
    for (const [i, [label, transport]] of Object.entries(TRANSPORTS).entries()) {
      let token: string | undefined;
      const client = createClient(LinkerService, transport(hub.url, [bearer(() => token)]));
      const anonymous = createClient(LinkerService, transport(hub.url, []));
      const sink = `sink-${i}`;
      await anonymous.register({ name: sink });
      token = (await client.register({ name: `sender-${i}` })).sessionToken;
      results[label] = [
        await outcomeOf(client.send({ recipient: sink, body: "hello" })),
        await outcomeOf(client.send({ recipient: "nobody-here", body: "hello" })),
        await outcomeOf(client.send({ recipient: "bad name!", body: "hello" })),
        await outcomeOf(client.send({ recipient: sink, body: "x".repeat(2000) })),
        await outcomeOf(client.send({ recipient: sink, body: "" })),
        await outcomeOf(anonymous.send({ recipient: sink, body: "hello" })),
        await outcomeOf(client.broadcast({ body: "to all" })),
        await outcomeOf(client.broadcast({ body: "" })),
        await outcomeOf(client.broadcast({ body: "x".repeat(2000) })),
        await outcomeOf(anonymous.broadcast({ body: "to all" })),
        await outcomeOf(
          (async () => {
            for await (const _ of client.subscribe({ types: [99 as EventType] })) break;
          })(),
        ),
      ];
    }
    const [direct, connect, node] = Object.values(results);
    expect(direct.map((o) => o.code)).toEqual([
      "ok",
      Code.NotFound,
      Code.InvalidArgument,
      Code.ResourceExhausted,
      Code.InvalidArgument,
      Code.Unauthenticated,
      "ok",
      Code.InvalidArgument,
      Code.ResourceExhausted,
      Code.Unauthenticated,
      Code.InvalidArgument,
    ]);
    // Messages name per-run instances; compare them with the names taken out.
    const normalized = (outcomes: Outcome[]) => outcomes.map((o) => ({ ...o, message: o.message?.replace(/(sink|sender)-\d/g, "NAME") }));
    expect(normalized(direct)).toEqual(normalized(node));
    expect(normalized(connect)).toEqual(normalized(node));
    expect(direct[2].details).toEqual(["buf.validate.Violations"]);
  });

  it("answers a body that is not the request message with INVALID_ARGUMENT, and a compressed one through connect-node", async () => {
    const session = http2.connect(hub.url);
    try {
      const call = (headers: http2.OutgoingHttpHeaders, body: Buffer) =>
        new Promise<{ headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
          const stream = session.request({ ":method": "POST", ":path": "/linker.v1.LinkerService/Send", te: "trailers", ...headers });
          let head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
          let trailers: http2.IncomingHttpHeaders = {};
          stream.on("response", (h) => (head = h));
          stream.on("trailers", (t) => (trailers = t));
          stream.on("error", reject);
          stream.on("data", () => undefined);
          stream.on("end", () => resolve({ headers: head, trailers }));
          stream.end(body);
        });
      const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
      const grpc = await call({ "content-type": "application/grpc" }, garbage);
      expect(grpc.headers["grpc-status"]).toBe(String(Code.InvalidArgument));
      expect(decodeURIComponent(String(grpc.headers["grpc-message"]))).toContain("not a valid linker.v1.SendRequest");
      const truncated = await call({ "content-type": "application/grpc" }, Buffer.from([0, 0, 0, 0, 9, 1]));
      expect(truncated.headers["grpc-status"]).toBe(String(Code.InvalidArgument));
      const message = Buffer.from(toBinary(SendRequestSchema, create(SendRequestSchema, { recipient: "x", body: "y" })));
      const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
      const unauthenticated = await call({ "content-type": "application/grpc" }, envelope);
      expect(unauthenticated.headers["grpc-status"]).toBe(String(Code.Unauthenticated));
    } finally {
      session.close();
    }
  });
});

describe("the direct path", () => {
  it("serves Send and Subscribe over HTTP/2 for gRPC and Connect binary, through the same interceptors", async () => {
    const seen: string[] = [];
    const recorder: Interceptor = (next) => async (req) => {
      // The direct path hands interceptors its own header view instead of a copied Headers object.
      seen.push(`${req.method.name}:${req.header instanceof Headers ? "connect-node" : "direct"}`);
      return next(req);
    };
    const dataDir = tempDir();
    const running = await startHub(hubConfig({ port: 0, dataDir }), { logger: pino({ level: "silent" }), interceptors: [recorder] });
    try {
      const factories = [
        (interceptors: Interceptor[]) => createGrpcTransport({ baseUrl: running.url, interceptors }),
        (interceptors: Interceptor[]) => createConnectTransport({ baseUrl: running.url, httpVersion: "2", interceptors }),
      ];
      for (const [i, factory] of factories.entries()) {
        const agent = await registerAgent(factory, `agent-${i}`);
        await agent.client.send({ recipient: agent.name, body: "to myself" });
      }
      expect(seen.filter((entry) => entry.startsWith("Send:"))).toEqual(["Send:direct", "Send:direct"]);
      expect(seen.filter((entry) => entry.startsWith("Register:"))).toEqual(["Register:connect-node", "Register:connect-node"]);
    } finally {
      await running.close();
    }
  });
});
