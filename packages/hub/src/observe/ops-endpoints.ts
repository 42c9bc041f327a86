import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { bearerToken } from "@linker/protocol";
import type { Hub } from "../hub.js";
import type { HubLogger } from "../logger.js";
import { createHubMetrics } from "./hub-metrics.js";
import type { ObserverPolicy } from "./observer-access.js";
import { peerOf } from "./peer.js";

/** Longest a readiness probe waits for the store. */
const READY_TIMEOUT_MS = 2_000;

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Writes a short plain-text answer. */
export function answerText(res: Response, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", ...headers });
  res.end(`${text}\n`);
}

/** The operational HTTP endpoints of one hub. */
export interface OpsEndpoints {
  /** Serves /metrics, /healthz and /readyz; returns false for other paths. */
  handle(req: Request, res: Response, path: string): boolean;
  /** Makes /readyz answer 503 from now on (the hub is stopping). */
  stopping(): void;
}

/**
 * `/healthz` (the process serves HTTP), `/readyz` (the store answers and the
 * hub is not stopping) and `/metrics` (Prometheus text, readable by whoever
 * the observer policy admits, since it names instances).
 */
export function opsEndpoints(hub: Hub, policy: ObserverPolicy, logger: HubLogger): OpsEndpoints {
  const registry = createHubMetrics(hub);
  let stopping = false;
  const ready = async (): Promise<string | undefined> => {
    if (stopping) return "the hub is shutting down";
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`the store did not answer within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    });
    try {
      return await Promise.race([hub.deps.store.transaction((tx) => tx.events.head()).then(() => undefined), late]);
    } catch (err) {
      return `the store failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      clearTimeout(timer);
    }
  };
  const serveMetrics = async (req: Request, res: Response): Promise<void> => {
    try {
      // The policy may consult the store (agent keys): a refusal arrives asynchronously.
      await policy({ method: "metrics", bearer: bearerToken(req.headers.authorization), peer: peerOf(req) });
    } catch (err) {
      const error = ConnectError.from(err);
      answerText(res, error.code === Code.Unauthenticated ? 401 : 403, error.rawMessage);
      return;
    }
    try {
      const text = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      if (req.method === "HEAD") res.end();
      else res.end(text);
    } catch (err) {
      logger.warn({ err }, "metrics could not be collected");
      answerText(res, 503, "metrics could not be collected; see the hub's log");
    }
  };
  return {
    stopping() {
      stopping = true;
    },
    handle(req, res, path) {
      if (path !== "/metrics" && path !== "/healthz" && path !== "/readyz") return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        answerText(res, 405, `${path} answers GET only`, { allow: "GET, HEAD" });
        return true;
      }
      if (path === "/healthz") {
        answerText(res, 200, "ok");
        return true;
      }
      if (path === "/readyz") {
        void ready().then((reason) => answerText(res, reason === undefined ? 200 : 503, reason ?? "ready"));
        return true;
      }
      void serveMetrics(req, res);
      return true;
    },
  };
}
