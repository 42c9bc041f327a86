import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { answerCallError } from "./call-error-answer.js";
import type { HubLogger } from "./logger.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * Answers a call the RPC framework failed to answer, so no call is left
 * hanging. The framework fails this way when the text of its own error cannot
 * be written: a request whose decode error quotes text that is not
 * well-formed Unicode (a lone surrogate) cannot have that text percent-encoded
 * into grpc-message. Such a failure is the request's (INVALID_ARGUMENT); any
 * other is the hub's (INTERNAL, logged with its cause). A response already
 * under way is cut instead, which ends only this call's stream.
 */
export function answerUnansweredCall(req: Request, res: Response, err: unknown, logger?: HubLogger): void {
  const clientFault = err instanceof URIError;
  if (!clientFault) logger?.error({ err, path: req.url }, "the RPC framework failed to answer a call");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error = clientFault
    ? new ConnectError("the request could not be decoded: it carries text that is not well-formed Unicode", Code.InvalidArgument)
    : new ConnectError("the hub could not answer this call; see its log", Code.Internal);
  answerCallError(req, res, error);
}
