import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService, type SubscribeResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { GrpcWireConnection } from "./grpc-wire-client.js";

/**
 * Which client a scenario drives the server with: the generated connect-es
 * client speaking gRPC over h2c, the same client speaking the Connect protocol
 * over h2c, or the lean HTTP/2 gRPC client of this folder.
 */
export type ClientKind = "connect-es" | "connect-es-connect-protocol" | "lean-h2";

/** How a client kind is named in the report. */
export function describeClient(kind: ClientKind): string {
  switch (kind) {
    case "connect-es":
      return "connect-es gRPC client";
    case "connect-es-connect-protocol":
      return "connect-es Connect-protocol client";
    case "lean-h2":
      return "lean-h2 gRPC client";
  }
}

/** A Subscribe stream opened by a bench agent. */
export interface AgentStream {
  /** Resolves when the stream has sent `caught_up`. */
  readonly caughtUp: Promise<void>;
  /** Settles when the stream ends; rejects when it ends with an error. */
  readonly ended: Promise<void>;
  /** Closes the stream from the client side. */
  cancel(): void;
}

/** Who a registered instance is: enough to act as it on any connection. */
export interface AgentIdentity {
  /** Registered name. */
  readonly name: string;
  /** Session token. */
  readonly token: string;
  /** Highest event sequence number when it registered. */
  readonly headSeq: bigint;
}

/** A registered instance acting through one client connection. */
export interface BenchAgent extends AgentIdentity {
  /** Sends a direct text message. */
  send(recipient: string, body: string): Promise<void>;
  /** Broadcasts a text message to every other registered instance. */
  broadcast(body: string): Promise<void>;
  /** Opens the agent's event stream; `onResponse` gets every item, `caught_up` included. */
  subscribe(afterSeq: bigint, types: EventType[], onResponse: (response: SubscribeResponse) => void): AgentStream;
}

/** One HTTP/2 connection to a server; agents registered on it share it. */
export interface BenchConnection {
  /** Registers `name` and returns an agent that calls through this connection. */
  register(name: string): Promise<BenchAgent>;
  /** Acts as an instance registered earlier (on any connection) through this connection. */
  actAs(identity: AgentIdentity): BenchAgent;
  /** Closes the connection and every stream on it. */
  close(): void;
}

/** Opens one HTTP/2 connection to `url` for clients of `kind`. */
export function openConnection(kind: ClientKind, url: string): BenchConnection {
  if (kind === "lean-h2") return openWireConnection(url);
  return openConnectConnection(url, kind === "connect-es" ? "grpc" : "connect");
}

function watchCaughtUp(): { caughtUp: Promise<void>; seen: (response: SubscribeResponse) => void; fail: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const caughtUp = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  caughtUp.catch(() => {});
  return {
    caughtUp,
    seen: (response) => {
      if (response.item.case === "caughtUp") resolve();
    },
    fail: (err) => reject(err),
  };
}

function openConnectConnection(url: string, protocol: "grpc" | "connect"): BenchConnection {
  const sessionManager = new Http2SessionManager(url);
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl: url, sessionManager })
      : createConnectTransport({ baseUrl: url, httpVersion: "2", sessionManager });
  const client = createClient(LinkerService, transport);
  const actAs = (identity: AgentIdentity): BenchAgent => {
    const headers = { authorization: `Bearer ${identity.token}` };
    return {
      ...identity,
      async send(recipient, body) {
        await client.send({ recipient, body }, { headers });
      },
      async broadcast(body) {
        await client.broadcast({ body }, { headers });
      },
      subscribe(afterSeq, types, onResponse) {
        const controller = new AbortController();
        const watch = watchCaughtUp();
        const ended = (async () => {
          try {
            for await (const response of client.subscribe({ afterSeq, types }, { headers, signal: controller.signal })) {
              watch.seen(response);
              onResponse(response);
            }
          } catch (err) {
            if (!controller.signal.aborted) throw err;
          }
        })();
        ended.then(
          () => watch.fail(new Error("stream ended before caught_up")),
          (err: unknown) => watch.fail(err),
        );
        ended.catch(() => {});
        return { caughtUp: watch.caughtUp, ended, cancel: () => controller.abort() };
      },
    };
  };
  return {
    async register(name) {
      const registered = await client.register({ name });
      return actAs({ name, token: registered.sessionToken, headSeq: registered.headSeq });
    },
    actAs,
    close() {
      sessionManager.abort();
    },
  };
}

function openWireConnection(url: string): BenchConnection {
  const connection = new GrpcWireConnection(url);
  const { register, send, broadcast, subscribe } = LinkerService.method;
  const actAs = (identity: AgentIdentity): BenchAgent => {
    const { token } = identity;
    return {
      ...identity,
      async send(recipient, body) {
        await connection.unary(send, { recipient, body }, token);
      },
      async broadcast(body) {
        await connection.unary(broadcast, { body }, token);
      },
      subscribe(afterSeq, types, onResponse) {
        const watch = watchCaughtUp();
        const stream = connection.serverStream(subscribe, { afterSeq, types }, token, (response) => {
          watch.seen(response);
          onResponse(response);
        });
        stream.ended.then(
          () => watch.fail(new Error("stream ended before caught_up")),
          (err: unknown) => watch.fail(err),
        );
        return { caughtUp: watch.caughtUp, ended: stream.ended, cancel: () => stream.cancel() };
      },
    };
  };
  return {
    async register(name) {
      const registered = await connection.unary(register, { name });
      return actAs({ name, token: registered.sessionToken, headSeq: registered.headSeq });
    },
    actAs,
    close() {
      connection.close();
    },
  };
}
