import { Code, ConnectError } from "@connectrpc/connect";

/** Node error codes meaning the connection was never made, so the hub never saw the request. */
const NOT_CONNECTED_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/** Node error codes meaning an established connection broke. */
const BROKEN_CONNECTION_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_PING_CANCEL",
  "ERR_HTTP2_ERROR",
]);

/** The node error codes found along an error's `cause` chain. */
export function nodeErrorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** True when the error came from a hub's response rather than from the connection. */
function fromHubResponse(err: ConnectError): boolean {
  for (const _ of err.metadata.keys()) return true;
  return false;
}

/**
 * True when the request certainly never reached a hub (nothing listens, the
 * host is unknown): any RPC, even one with side effects, is safe to retry.
 */
export function neverReachedHub(err: unknown): boolean {
  return nodeErrorCodes(err).some((code) => NOT_CONNECTED_CODES.has(code));
}

/**
 * True when the hub could not be reached or the connection to it broke: the
 * signal to fail over to another hub URL or to take the hub over. Errors the
 * hub itself answered with (for example Ask's "no responders" UNAVAILABLE)
 * are not hub failures.
 */
export function isHubFailure(err: unknown): boolean {
  const codes = nodeErrorCodes(err);
  if (codes.some((code) => NOT_CONNECTED_CODES.has(code) || BROKEN_CONNECTION_CODES.has(code))) return true;
  if (!(err instanceof ConnectError)) return false;
  if (err.code === Code.Unavailable) return !fromHubResponse(err);
  // The HTTP/2 session to a dead hub closes its streams with RST_STREAM CANCEL.
  if (err.code === Code.Canceled) return !fromHubResponse(err) && /http\/2 stream closed/i.test(err.rawMessage);
  if ((err.code === Code.Aborted || err.code === Code.Internal || err.code === Code.Unknown) && !fromHubResponse(err)) {
    return codes.length > 0 || /protocol error|missing trailer|stream closed|socket hang up|premature/i.test(err.rawMessage);
  }
  return false;
}
