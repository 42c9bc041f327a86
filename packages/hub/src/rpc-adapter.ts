import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type ConnectRouterOptions, type ContextValues, createConnectRouter, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { isClientFaultMessage } from "./errors.js";
import type { HubLogger } from "./logger.js";
import { answerUnansweredCall } from "./unanswered-call.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Rewrites one chunk of a Connect end-stream or gRPC-web trailer envelope that carries such an error. */
function correctEnvelope(chunk: Uint8Array): Uint8Array {
  if (chunk.length < 5 || (chunk[0] !== 0x02 && chunk[0] !== 0x80)) return chunk;
  const text = Buffer.from(chunk.subarray(5)).toString("utf8");
  let fixed: string | undefined;
  if (chunk[0] === 0x02) {
    try {
      const end = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (end.error?.code === "internal" && isClientFaultMessage(end.error.message ?? null)) {
        end.error.code = "invalid_argument";
        fixed = JSON.stringify(end);
      }
    } catch {
      return chunk;
    }
  } else if (/^grpc-status: ?13\r?$/m.test(text) && isClientFaultMessage(/^grpc-message: ?(.*?)\r?$/m.exec(text)?.[1] ?? null)) {
    fixed = text.replace(/^grpc-status: ?13/m, "grpc-status: 3");
  }
  if (fixed === undefined) return chunk;
  const body = Buffer.from(fixed, "utf8");
  const header = Buffer.alloc(5);
  header[0] = chunk[0];
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

async function* correctedBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of body) yield correctEnvelope(chunk);
}

/** The response with framework INTERNAL errors that are the client's fault turned into INVALID_ARGUMENT. */
async function corrected(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status === 505) {
    // A streaming method over HTTP/1.1: the client's choice of transport, answered as a client error.
    const body = Buffer.from(JSON.stringify({ code: "invalid_argument", message: "this method streams in both directions: call it over HTTP/2" }));
    return { status: 400, header: new Headers({ "content-type": "application/json", "content-length": String(body.length) }), body: (async function* () { yield body; })() };
  }
  for (const headers of [res.header, res.trailer]) {
    if (headers?.get("grpc-status") === "13" && isClientFaultMessage(headers.get("grpc-message"))) headers.set("grpc-status", "3");
  }
  const type = res.header?.get("content-type") ?? "";
  if (res.status === 500 && type.startsWith("application/json") && res.body) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      const error = JSON.parse(text) as { code?: string; message?: string };
      if (error.code === "internal" && isClientFaultMessage(error.message ?? null)) {
        error.code = "invalid_argument";
        const body = Buffer.from(JSON.stringify(error));
        res.header?.set("content-length", String(body.length));
        return { ...res, status: 400, body: (async function* () { yield body; })() };
      }
    } catch {
      // Not a Connect error body: leave it.
    }
    return { ...res, body: (async function* () { yield Buffer.concat(chunks); })() };
  }
  if (res.body && (type.startsWith("application/connect+") || type.startsWith("application/grpc-web"))) return { ...res, body: correctedBody(res.body) };
  return res;
}

/** Options of the hub's RPC adapter: connectNodeAdapter's, minus the fallback. */
export interface RpcAdapterOptions extends ConnectRouterOptions {
  /** Registers the services. */
  routes: (router: ConnectRouter) => void;
  /** Context values of each call. */
  contextValues?: (req: Request) => ContextValues;
  /** Where a call the framework failed to answer is logged. */
  logger?: HubLogger;
}

/**
 * Serves the routes like connect-node's adapter, and corrects the codes of
 * errors the framework raises before any interceptor runs (a request body
 * that does not decode is INVALID_ARGUMENT, never INTERNAL or HTTP 500).
 */
export function rpcAdapter(options: RpcAdapterOptions): (req: Request, res: Response) => void {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) paths.set(handler.requestPath, handler);
  return (req, res) => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const uReq = universalRequestFromNodeRequest(req as IncomingMessage, res as ServerResponse, undefined, options.contextValues?.(req));
    handler(uReq)
      .then(corrected)
      .then((uRes) => universalResponseToNodeResponse(uRes, res as ServerResponse))
      .catch((err: unknown) => {
        // The client went away mid-response (nothing to answer), or the framework could not answer.
        if (!res.destroyed && !res.writableEnded) answerUnansweredCall(req, res, err, options.logger);
      });
  };
}
