import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { encodeEnvelope, END_STREAM_FLAG } from "./direct/envelope.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Flag of the gRPC-Web envelope that carries the trailers. */
const GRPC_WEB_TRAILER_FLAG = 0x80;

/**
 * Answers a call with `error` in the protocol of its content type, without
 * reading its body: gRPC trailers-only (over HTTP/2), a gRPC-Web trailer
 * frame (over HTTP/1.1), a Connect end-of-stream message, or a Connect unary
 * error. For the answers the hub gives outside the RPC framework.
 */
export function answerCallError(req: Request, res: Response, error: ConnectError): void {
  const type = String(req.headers["content-type"] ?? "");
  req.resume();
  if (type.startsWith("application/grpc")) {
    const headers = new Headers();
    setTrailerStatus(headers, error);
    const contentType = type.startsWith("application/grpc-web") ? type : "application/grpc";
    if ("stream" in res) {
      res.stream.respond({ ":status": 200, "content-type": contentType, ...Object.fromEntries(headers) }, { endStream: true });
    } else {
      const trailer = Buffer.from([...headers].map(([name, value]) => `${name}: ${value}\r\n`).join(""));
      res.writeHead(200, { "content-type": contentType });
      res.end(encodeEnvelope(GRPC_WEB_TRAILER_FLAG, trailer));
    }
  } else if (type.startsWith("application/connect+")) {
    const json = Buffer.from(JSON.stringify({ error: JSON.parse(Buffer.from(errorToJsonBytes(error, {})).toString()) }));
    res.writeHead(200, { "content-type": type });
    res.end(encodeEnvelope(END_STREAM_FLAG, json));
  } else {
    res.writeHead(codeToHttpStatus(error.code), { "content-type": "application/json" });
    res.end(errorToJsonBytes(error, {}));
  }
}
