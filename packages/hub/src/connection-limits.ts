import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { answerCallError } from "./call-error-answer.js";

/** Bounds of what one HTTP/2 connection may have open at once. */
export interface ConnectionLimitSettings {
  /** Unary calls being answered at once. */
  callsPerConnection: number;
  /** Streaming calls (Subscribe, Publish) open at once. */
  streamsPerConnection: number;
}

/** Paths of the streaming RPCs, counted against the stream limit. */
const STREAMING = new Set(["/linker.v1.LinkerService/Subscribe", "/linker.v1.LinkerService/Publish", "/linker.v1.LinkerService/WatchHub"]);

interface Open {
  calls: number;
  streams: number;
}

/**
 * Keeps each HTTP/2 connection within its limits: a call beyond them is
 * answered at once with RESOURCE_EXHAUSTED and what to do, in the protocol
 * it was asked in, and nothing else happens, so a client that fires
 * thousands of calls at once is pushed back instead of having its connection
 * torn down by HTTP/2 flood protection, and it cannot tie up the hub for
 * everybody else.
 */
export class ConnectionLimits {
  private readonly open = new WeakMap<Http2Session, Open>();

  constructor(private readonly settings: ConnectionLimitSettings) {}

  /** Admits `req` (and counts it until its response closes), or answers it and returns false. */
  admit(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    const session = req.stream.session;
    if (!session) return true;
    let open = this.open.get(session);
    if (!open) this.open.set(session, (open = { calls: 0, streams: 0 }));
    const streaming = STREAMING.has(req.url);
    const limit = streaming ? this.settings.streamsPerConnection : this.settings.callsPerConnection;
    const current = streaming ? open.streams : open.calls;
    if (current >= limit) {
      answerCallError(
        req,
        res,
        new ConnectError(
          streaming
            ? `this connection already has ${current} streams open (limit ${limit}); close one, or open another connection`
            : `this connection already has ${current} calls in flight (limit ${limit}); wait for answers before sending more, then retry`,
          Code.ResourceExhausted,
        ),
      );
      return false;
    }
    if (streaming) open.streams += 1;
    else open.calls += 1;
    const counted = open;
    res.once("close", () => {
      if (streaming) counted.streams -= 1;
      else counted.calls -= 1;
    });
    return true;
  }
}
