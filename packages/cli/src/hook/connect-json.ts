import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";
import { cleartextRefusal } from "@linker/protocol";

/** A Connect error as the hub answered it (JSON error body), or a failure to reach the hub. */
export class ConnectJsonError extends Error {
  constructor(
    message: string,
    /** The Connect code ("unauthenticated", …), or "unavailable" when the hub could not be reached. */
    readonly code: string,
    /** True when no hub answered (nothing listens, or no answer in time). */
    readonly unreachable: boolean,
  ) {
    super(message);
    this.name = "ConnectJsonError";
  }
}

/** One hub connection for a few unary calls (kept alive between them). */
export interface ConnectJsonClient {
  /** Calls `method` of linker.v1.LinkerService with a JSON request; resolves with the JSON response. */
  call(method: string, request: object): Promise<Record<string, unknown>>;
  /** Closes the connection. */
  close(): void;
}

/** Where and how one JSON POST goes. */
export interface JsonPost {
  /** Full URL. */
  url: string;
  /** Extra headers (authorization, …). */
  headers: Record<string, string>;
  /** Give up after this long without an answer. */
  timeoutMs: number;
  /** Name of the call, for errors. */
  what: string;
  /** A kept-alive agent to reuse, if any. */
  agent?: http.Agent;
  /** PEM of a CA to trust for an https:// hub besides the system's (a self-signed hub's ca.pem). */
  ca?: string;
}

/** The CAs an https:// request trusts: the system's and `ca`. */
function trusted(ca: string | undefined): string[] | undefined {
  return ca === undefined ? undefined : [...rootCertificates, ca];
}

/**
 * POSTs a JSON body and resolves with the JSON answer of a 200, or rejects
 * with a ConnectJsonError carrying the Connect error code of the answer, or
 * `unreachable` when nothing answered (a refused connection fails at once).
 * A credential goes over https://, or over http:// to this machine only.
 */
export function postJson(post: JsonPost, request: object): Promise<Record<string, unknown>> {
  const url = new URL(post.url);
  const refusal = Object.keys(post.headers).some((name) => name.toLowerCase() === "authorization") ? cleartextRefusal(url) : undefined;
  if (refusal !== undefined) return Promise.reject(new ConnectJsonError(refusal, "failed_precondition", false));
  const transport = url.protocol === "https:" ? https : http;
  const body = JSON.stringify(request);
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: "POST",
        agent: post.agent,
        // A kept-alive agent carries its own trust; a one-off https:// request takes the CA here.
        ...(post.agent === undefined ? { ca: trusted(post.ca) } : {}),
        timeout: post.timeoutMs,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...post.headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            reject(new ConnectJsonError(`${post.what}: the answer is not JSON (HTTP ${res.statusCode})`, "unknown", false));
            return;
          }
          if (res.statusCode === 200) resolve(parsed);
          else {
            const error = (typeof parsed.error === "object" && parsed.error !== null ? parsed.error : parsed) as { message?: unknown; code?: unknown };
            reject(new ConnectJsonError(`${post.what}: ${String(error.message ?? `HTTP ${res.statusCode}`)}`, String(error.code ?? "unknown"), false));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new ConnectJsonError(`${post.what}: no answer from ${url.origin} within ${post.timeoutMs} ms`, "unavailable", true)));
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err instanceof ConnectJsonError) return reject(err);
      const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code ?? "");
      const why = untrusted ? `${err.code}: its certificate is not trusted here; pass the hub's ca.pem with --ca or LINKER_CA` : (err.code ?? err.message);
      reject(new ConnectJsonError(`cannot reach the Linker hub at ${url.origin} (${why})`, "unavailable", true));
    });
    req.end(body);
  });
}

/**
 * A minimal client of the Connect protocol with JSON over HTTP/1.1, for
 * `linker hook`: no protobuf runtime, no Connect library, one kept-alive
 * socket, and a deadline per call.
 */
export function connectJsonClient(baseUrl: string, options: { token?: string; timeoutMs: number; ca?: string }): ConnectJsonClient {
  const url = new URL(baseUrl);
  const agent = url.protocol === "https:" ? new https.Agent({ keepAlive: true, maxSockets: 1, ca: trusted(options.ca) }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const prefix = baseUrl.replace(/\/+$/, "");
  const headers: Record<string, string> = { "connect-protocol-version": "1", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  return {
    call: (method, request) => postJson({ url: `${prefix}/linker.v1.LinkerService/${method}`, headers, timeoutMs: options.timeoutMs, what: method, agent }, request),
    close: () => agent.destroy(),
  };
}
