import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * Answers a call the RPC framework failed to answer, so no call is left
 * hanging. The framework fails this way when the text of its own error cannot
 * be written: a request whose decode error quotes text that is not
 * well-formed Unicode (a lone surrogate) cannot have that text percent-encoded
 * into grpc-message. Such a failure is the request's (INVALID_ARGUMENT); any
 * other is the hub's (INTERNAL). The answer is in the call's own protocol:
 * gRPC trailers-only, a gRPC-Web trailer frame, a Connect end-stream message,
 * or a Connect unary error. A response already under way is cut instead,
 * which ends only this call's stream.
 */
export function answerUnansweredCall(req: Request, res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const clientFault = err instanceof URIError;
  const code = clientFault ? "invalid_argument" : "internal";
  const grpcStatus = clientFault ? "3" : "13";
  const message = clientFault ? "the request could not be decoded: it carries text that is not well-formed Unicode" : "the hub could not answer this call; see its log";
  const type = String(req.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc-web")) {
    const trailer = Buffer.from(`grpc-status: ${grpcStatus}\r\ngrpc-message: ${encodeURIComponent(message)}\r\n`);
    const frame = Buffer.alloc(5 + trailer.length);
    frame[0] = 0x80;
    frame.writeUInt32BE(trailer.length, 1);
    trailer.copy(frame, 5);
    res.writeHead(200, { "content-type": type.startsWith("application/grpc-web-text") ? "application/grpc-web+proto" : type });
    res.end(frame);
  } else if (type.startsWith("application/grpc")) {
    res.writeHead(200, { "content-type": "application/grpc", "grpc-status": grpcStatus, "grpc-message": encodeURIComponent(message) });
    res.end();
  } else if (type.startsWith("application/connect+")) {
    const end = Buffer.from(JSON.stringify({ error: { code, message } }));
    const frame = Buffer.alloc(5 + end.length);
    frame[0] = 0x02;
    frame.writeUInt32BE(end.length, 1);
    end.copy(frame, 5);
    res.writeHead(200, { "content-type": "application/connect+json" });
    res.end(frame);
  } else {
    res.writeHead(clientFault ? 400 : 500, { "content-type": "application/json" });
    res.end(JSON.stringify({ code, message }));
  }
}
