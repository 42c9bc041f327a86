import http from "node:http";
import https from "node:https";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { cleartextRefusal } from "@linker/protocol";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";

/** Wire protocol to a hub: Connect (default, over HTTP/2), gRPC over h2c, or gRPC-Web. */
export type WireProtocol = "grpc" | "connect" | "grpc-web";

/** How to reach one hub. */
export interface HubTransportOptions {
  /** Protocol (default "connect"). */
  protocol?: WireProtocol;
  /** HTTP version for "connect" and "grpc-web" (default "2" for the default protocol, else "1.1"; "2" means h2c). gRPC always uses h2c. */
  httpVersion?: "1.1" | "2";
  /** Interval of HTTP/2 PING frames that detect a dead connection (default 10 s). */
  pingIntervalMs?: number;
  /** Time a PING may go unanswered before the connection counts as dead (default 5 s). */
  pingTimeoutMs?: number;
  /** Extra interceptors (logging, tracing). */
  interceptors?: Interceptor[];
  /** PEM certificate(s) to trust for an https:// hub besides the system's (a self-signed hub's ca.pem). */
  ca?: string | Buffer;
}

/**
 * Refuses to send a credential (a session token or key in Authorization) in
 * clear text to a host beyond this machine: over http:// only loopback hubs
 * get one; anything else needs https://.
 */
export function cleartextGuard(url: string): Interceptor {
  const refusal = cleartextRefusal(new URL(url));
  return (next) => async (req) => {
    if (refusal !== undefined && req.header.has("authorization")) throw new ConnectError(refusal, Code.FailedPrecondition);
    return next(req);
  };
}

/** A transport to one hub URL, with the connections it owns. */
export interface HubTransport {
  /** Base URL. */
  url: string;
  /** The Connect transport. */
  transport: Transport;
  /** Closes the connections (open calls fail). */
  close(): void;
}

/**
 * Builds a transport to one hub over HTTP/2 (h2c, or TLS for https:// URLs)
 * or HTTP/1.1 whose connections the caller can close, so a client never keeps
 * its process alive after `close()`. Credentials go only to https:// hubs and
 * loopback ones (cleartextGuard).
 */
export function createHubTransport(url: string, options: HubTransportOptions = {}): HubTransport {
  // The Connect protocol over HTTP/2 costs the hub about a third less CPU per
  // call than gRPC (npm run bench), with the same streaming and errors.
  const protocol = options.protocol ?? "connect";
  const httpVersion = protocol === "grpc" ? "2" : (options.httpVersion ?? (options.protocol === undefined ? "2" : "1.1"));
  const interceptors = [...(options.interceptors ?? []), cleartextGuard(url)];
  const secure = url.startsWith("https:");
  const tls = secure && options.ca !== undefined ? { ca: options.ca } : {};
  if (httpVersion === "2") {
    const sessionManager = new Http2SessionManager(
      url,
      {
        pingIntervalMs: options.pingIntervalMs ?? 10_000,
        pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
      },
      tls,
    );
    const common = { baseUrl: url, httpVersion: "2" as const, sessionManager, interceptors };
    const transport =
      protocol === "grpc"
        ? createGrpcTransport(common)
        : protocol === "connect"
          ? createConnectTransport(common)
          : createGrpcWebTransport(common);
    return { url, transport, close: () => sessionManager.abort() };
  }
  const agent = secure ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
  const common = { baseUrl: url, httpVersion: "1.1" as const, nodeOptions: { agent }, interceptors };
  const transport = protocol === "connect" ? createConnectTransport(common) : createGrpcWebTransport(common);
  return { url, transport, close: () => agent.destroy() };
}
