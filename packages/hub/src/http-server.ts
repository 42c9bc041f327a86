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

/**
 * Serves `handler` over HTTP/1.1 and cleartext HTTP/2 on one port by reading
 * each connection's first bytes: the HTTP/2 preface goes to the h2c server,
 * anything else to the HTTP/1.1 server. Connect, gRPC and gRPC-Web clients all
 * reach the same handler.
 */
export async function listenDual(
  handler: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void,
  host: string,
  port: number,
): Promise<DualServer> {
  const h1 = http.createServer(handler as http.RequestListener);
  h1.keepAliveTimeout = 5_000;
  // HTTP/2 itself never refuses or resets a burst of streams (REFUSED_STREAM, ENHANCE_YOUR_CALM tear
  // calls down without a reason); the hub's own per-connection limits answer the excess instead.
  const h2 = http2.createServer(
    { settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS }, maxSessionMemory: H2_MAX_SESSION_MEMORY_MB },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
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
