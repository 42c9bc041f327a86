import http from "node:http";
import http2 from "node:http2";

/** One request as sent, kept for the report when its answer breaks a rule. */
export interface FuzzRequest {
  /** Surface that made it. */
  surface: string;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** HTTP version to use. */
  http: "1.1" | "2";
  /** A stream that may legitimately stay open (no deadline): cut after a quiet spell instead of waiting for its end. */
  openEnded?: boolean;
}

/** What came back. */
export interface FuzzAnswer {
  /** HTTP status (0 when none came). */
  status: number;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
  /** Set when the exchange failed below HTTP (reset, hang, closed connection). */
  failure?: string;
}

/** Longest a request may take before it counts as a hang. */
export const HANG_MS = 15_000;
/** Most response bytes kept (a stream is cancelled there). */
const MAX_BODY = 256 * 1024;

function flat(headers: http2.IncomingHttpHeaders | http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  return out;
}

/** Header blocks larger than this go on their own HTTP/2 connection. */
export const OWN_CONNECTION_HEADER_BYTES = 32 * 1024;

/** Bytes of a request's path and headers, as a header block carries them before compression. */
export function headerBytes(req: FuzzRequest): number {
  return Object.entries(req.headers).reduce((sum, [name, value]) => sum + name.length + value.length, req.path.length);
}

/**
 * Sends fuzz requests over real sockets: a pool of HTTP/2 sessions (replaced
 * when one dies, which is itself reported) and keep-alive HTTP/1.1. A
 * streaming answer is read until it ends, `streamMs` passes (then cancelled:
 * a live stream is not a hang) or MAX_BODY bytes arrive.
 */
export class HttpExchange {
  private readonly sessions: http2.ClientHttp2Session[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private next = 0;

  constructor(
    private readonly url: string,
    private readonly pool = 4,
  ) {}

  private session(req: FuzzRequest): http2.ClientHttp2Session {
    // A header block past HPACK's limits closes its own connection (COMPRESSION_ERROR, the peer's
    // fault); it goes on a connection of its own so it takes no other request with it.
    if (headerBytes(req) > OWN_CONNECTION_HEADER_BYTES) {
      const own = http2.connect(this.url, { maxSendHeaderBlockLength: 1024 * 1024 });
      own.on("error", () => undefined);
      setTimeout(() => own.close(), HANG_MS).unref();
      return own;
    }
    const index = this.next++ % this.pool;
    let session = this.sessions[index];
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(this.url, { maxSendHeaderBlockLength: 1024 * 1024 });
      session.on("error", () => undefined);
      this.sessions[index] = session;
    }
    return session;
  }

  /** Sends `req`; never throws. Only open-ended streams are cut (after `streamMs` of quiet); others must end by themselves. */
  send(req: FuzzRequest, streamMs = 300): Promise<FuzzAnswer> {
    const quietMs = req.openEnded ? streamMs : HANG_MS;
    return req.http === "2" ? this.send2(req, quietMs) : this.send1(req, quietMs);
  }

  private send2(req: FuzzRequest, streamMs: number): Promise<FuzzAnswer> {
    return new Promise((done) => {
      const answer: FuzzAnswer = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0) };
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      let stream: http2.ClientHttp2Stream;
      // Only a stream cut short is reset: resetting one whose answer has ended is a frame on a closed
      // stream, and nghttp2 closes a connection that sends more than 1000 resets (plus 33 a second).
      const finish = (failure?: string, cut = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(hang);
        clearTimeout(quiet);
        answer.body = Buffer.concat(chunks);
        if (failure) answer.failure = failure;
        if (cut && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
        done(answer);
      };
      const hang = setTimeout(() => finish(`no answer within ${HANG_MS} ms`, true), HANG_MS);
      let quiet: NodeJS.Timeout | undefined;
      try {
        stream = this.session(req).request({ ":method": req.method, ":path": req.path, ...req.headers });
      } catch (err) {
        clearTimeout(hang);
        done({ ...answer, failure: `could not start a stream: ${(err as Error).message}` });
        return;
      }
      stream.on("response", (headers) => {
        answer.status = Number(headers[":status"]);
        answer.headers = flat(headers);
        quiet = setTimeout(() => finish(streamMs === HANG_MS ? `the answer did not end within ${HANG_MS} ms` : undefined, true), streamMs);
      });
      stream.on("trailers", (trailers) => (answer.trailers = flat(trailers)));
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
        if (size > MAX_BODY) finish(undefined, true);
      });
      stream.on("end", () => finish());
      stream.on("error", (err) => finish(answer.status === 0 ? `stream error before an answer: ${err.message}` : undefined));
      stream.on("close", () => {
        if (!settled && answer.status === 0) finish(`stream closed with code ${stream.rstCode} before an answer`);
        else finish();
      });
      // A GET stream is ended by the request itself (Node sends END_STREAM with its headers).
      if (req.method === "GET") {
        if (!stream.writableEnded) stream.end();
      } else {
        stream.end(Buffer.from(req.body));
      }
    });
  }

  private async send1(req: FuzzRequest, streamMs: number): Promise<FuzzAnswer> {
    const first = await this.send1Once(req, streamMs, this.agent);
    // A keep-alive socket the hub closed as idle just as the request went out fails before any
    // answer; that is HTTP/1.1's own race, so the request is sent again on a fresh connection.
    if (first.reusedSocketFailed) return this.send1Once(req, streamMs, undefined);
    return first;
  }

  private send1Once(req: FuzzRequest, streamMs: number, agent: http.Agent | undefined): Promise<FuzzAnswer & { reusedSocketFailed?: boolean }> {
    const { hostname, port } = new URL(this.url);
    return new Promise((done) => {
      const answer: FuzzAnswer = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0) };
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (failure?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(hang);
        clearTimeout(quiet);
        answer.body = Buffer.concat(chunks);
        if (failure) answer.failure = failure;
        request.destroy();
        done(answer);
      };
      const hang = setTimeout(() => finish(`no answer within ${HANG_MS} ms`), HANG_MS);
      let quiet: NodeJS.Timeout | undefined;
      const request = http.request({ hostname, port, path: req.path, method: req.method, headers: req.headers, agent: agent ?? false }, (res) => {
        answer.status = res.statusCode ?? 0;
        answer.headers = flat(res.headers);
        quiet = setTimeout(() => finish(streamMs === HANG_MS ? `the answer did not end within ${HANG_MS} ms` : undefined), streamMs);
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => finish());
        res.on("error", () => finish());
      });
      request.on("error", (err) => {
        if (answer.status === 0 && request.reusedSocket && (err as NodeJS.ErrnoException).code === "ECONNRESET") {
          settled = true;
          clearTimeout(hang);
          done({ ...answer, reusedSocketFailed: true });
          return;
        }
        finish(answer.status === 0 ? `request failed before an answer: ${err.message}` : undefined);
      });
      request.end(Buffer.from(req.body));
    });
  }

  /** Closes every connection. */
  close(): void {
    for (const session of this.sessions) session?.close();
    this.agent.destroy();
  }
}
