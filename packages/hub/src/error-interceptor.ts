import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { HubLogger } from "./logger.js";
import { toConnectError } from "./errors.js";

/** Whether `err` (or an error it wraps) says the client closed its side: a stream ended early or a socket reset. */
function isClientGone(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = err; current instanceof Error && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const code = (current as NodeJS.ErrnoException).code;
    if (code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNRESET" || code === "ERR_HTTP2_STREAM_CANCEL" || current.message === "Premature close") {
      return true;
    }
  }
  return false;
}

/**
 * Turns every error an RPC throws, including errors in the middle of a
 * stream, into a ConnectError with the code that `toConnectError` assigns,
 * and logs unexpected ones. A client that went away (it closed a stream or
 * its connection) is normal: that is CANCELED, logged at debug.
 */
export function createErrorInterceptor(logger: HubLogger): Interceptor {
  const convert = (err: unknown, procedure: string, signal: AbortSignal) => {
    const deadline = signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded;
    if (!(err instanceof ConnectError) && !deadline && (signal.aborted || isClientGone(err))) {
      logger.debug({ procedure, reason: err instanceof Error ? err.message : String(err) }, "client went away");
      return new ConnectError("the client closed the call", Code.Canceled, undefined, undefined, err);
    }
    const error = toConnectError(err);
    if (error.code === Code.Internal || error.code === Code.Unknown) {
      logger.error({ err, procedure }, "rpc failed unexpectedly");
    }
    return error;
  };
  return (next) => async (req) => {
    const procedure = req.url;
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw convert(err, procedure, req.signal);
    }
    if (!res.stream) return res;
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          throw convert(err, procedure, req.signal);
        }
      })(),
    };
  };
}
