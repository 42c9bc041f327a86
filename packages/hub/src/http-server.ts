import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** The first bytes an HTTP/2 client with prior knowledge (h2c) sends. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Streams a client may open at once on one HTTP/2 connection, as far as HTTP/2 is concerned. */
const H2_MAX_CONCURRENT_STREAMS = 100_000;

/** Memory nghttp2 may use for one connection before it resets streams, in megabytes (default 10). */
const H2_MAX_SESSION_MEMORY_MB = 256;

/** A listening server that speaks HTTP/1.1 and h2c on one port. */
export interface DualServer {
  /** The bound port. */
  port: number;
  /** Stops accepting connections, lets in-flight requests finish for `graceMs`, then closes all. */
  close(graceMs?: number): Promise<void>;
}

/** How the port serves beyond plain HTTP. */
export interface ListenOptions {
  /** Serve TLS with this certificate and key (HTTP/2 by ALPN, and HTTP/1.1) instead of cleartext. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Bytes of request headers accepted; larger ones get 431 (default 16 KiB). */
  maxHeaderBytes?: number;
}

/** Headers an HTTP/2 stream may carry before the session refuses it outright; the handler answers 431 above maxHeaderBytes. */
const H2_HEADER_LIST_LIMIT = 1024 * 1024;

/** Size of a request's headers as HTTP/2 counts them (name + value + 32 per field). */
function headerBytes(req: http.IncomingMessage | http2.Http2ServerRequest): number {
  let total = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) total += raw[i].length + raw[i + 1].length + 32;
  return total;
}

/**
 * Serves `handler` over HTTP/1.1 and cleartext HTTP/2 on one port by reading
 * each connection's first bytes: the HTTP/2 preface goes to the h2c server,
 * anything else to the HTTP/1.1 server. Connect, gRPC and gRPC-Web clients all
 * reach the same handler. With `tls`, the port speaks TLS only, choosing
 * HTTP/2 or HTTP/1.1 by ALPN. Requests whose headers exceed the limit are
 * answered 431 on either version instead of losing their connection.
 */
export async function listenDual(
  handler: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<DualServer> {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  const guarded = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (headerBytes(req) > maxHeaderBytes) {
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (req.httpVersionMajor === 1) headers.connection = "close";
      res.writeHead(431, headers);
      res.end(`request headers are larger than the hub accepts (${maxHeaderBytes} bytes)\n`);
      return;
    }
    try {
      handler(req, res);
    } catch {
      // A request that breaks its handler ends that request, never the process.
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("the hub could not handle this request\n");
      } else {
        res.destroy();
      }
    }
  };
  const h2Settings = { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS, maxHeaderListSize: H2_HEADER_LIST_LIMIT };
  if (options.tls) return listenTls(guarded, host, port, options.tls, h2Settings, maxHeaderBytes);
  const h1 = http.createServer({ maxHeaderSize: maxHeaderBytes }, guarded as http.RequestListener);
  h1.keepAliveTimeout = 5_000;
  // HTTP/2 itself never refuses or resets a burst of streams (REFUSED_STREAM, ENHANCE_YOUR_CALM tear
  // calls down without a reason); the hub's own per-connection limits answer the excess instead.
  const h2 = http2.createServer(
    { settings: h2Settings, maxSessionMemory: H2_MAX_SESSION_MEMORY_MB },
    guarded as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const sockets = new Set<net.Socket>();
  // Small RPC answers go out at once: Nagle's algorithm would hold them back for the client's delayed ACK.
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("readable", () => {
      const head: Buffer | null = socket.read(Math.min(H2_PREFACE.length, socket.readableLength)) ?? socket.read();
      if (head === null) {
        socket.destroy();
        return;
      }
      socket.unshift(head);
      if (H2_PREFACE.subarray(0, head.length).equals(head)) {
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // The HTTP/1.1 server never listens itself; without "listening" Node does not
  // track its connections, so idle ones would not close and timeouts not apply.
  h1.emit("listening");
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    async close(graceMs = 2_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      h1.close();
      h1.closeIdleConnections();
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** The TLS variant of listenDual: one secure HTTP/2 server that also takes HTTP/1.1 (ALPN). */
async function listenTls(
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  host: string,
  port: number,
  tls: { cert: string | Buffer; key: string | Buffer },
  settings: http2.Settings,
  maxHeaderBytes: number,
): Promise<DualServer> {
  const server = http2.createSecureServer(
    { ...tls, allowHTTP1: true, settings, maxSessionMemory: H2_MAX_SESSION_MEMORY_MB, maxHeaderSize: maxHeaderBytes } as http2.SecureServerOptions,
    handler,
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    async close(graceMs = 2_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
