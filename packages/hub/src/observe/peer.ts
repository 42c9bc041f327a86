import { createContextKey } from "@connectrpc/connect";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

/** The Node request behind an RPC (absent for in-process transports). */
export const nodeRequestKey = createContextKey<IncomingMessage | Http2ServerRequest | undefined>(undefined, {
  description: "node request of the call",
});

/** Where a request came from, as the socket and the headers tell it. */
export interface Peer {
  /** Remote IP address (IPv4-mapped IPv6 addresses shown as IPv4), if known. */
  address: string | undefined;
  /** The Host (HTTP/1.1) or :authority (HTTP/2) the client asked for. */
  host: string | undefined;
  /** The Origin header a browser sent, if any. */
  origin: string | undefined;
}

/** The peer of a Node request. */
export function peerOf(req: IncomingMessage | Http2ServerRequest | undefined): Peer {
  if (!req) return { address: undefined, host: undefined, origin: undefined };
  const raw = req.socket?.remoteAddress;
  const host = req.headers[":authority"] ?? req.headers.host;
  const origin = req.headers.origin;
  return {
    address: raw?.startsWith("::ffff:") ? raw.slice(7) : raw,
    host: typeof host === "string" ? host : undefined,
    origin: typeof origin === "string" ? origin : undefined,
  };
}

/** The host name of a Host header or URL authority ("[::1]:3847" → "::1"; "" when malformed). */
export function hostnameOf(authority: string): string {
  try {
    return new URL(`http://${authority}`).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return "";
  }
}
