import http from "node:http";
import https from "node:https";

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

/**
 * A minimal client of the Connect protocol with JSON over HTTP/1.1, for
 * `linker hook`: no protobuf runtime, no Connect library, one kept-alive
 * socket, and a deadline per call. A refused connection fails at once.
 */
export function connectJsonClient(baseUrl: string, options: { token?: string; timeoutMs: number }): ConnectJsonClient {
  const url = new URL(baseUrl);
  const transport = url.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 1 });
  const prefix = url.pathname.replace(/\/+$/, "");
  return {
    call(method, request) {
      const body = JSON.stringify(request);
      return new Promise((resolve, reject) => {
        const req = transport.request(
          {
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port,
            path: `${prefix}/linker.v1.LinkerService/${method}`,
            method: "POST",
            agent,
            timeout: options.timeoutMs,
            headers: {
              "content-type": "application/json",
              "connect-protocol-version": "1",
              "content-length": Buffer.byteLength(body),
              ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            },
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
                reject(new ConnectJsonError(`${method}: the hub's answer is not JSON (HTTP ${res.statusCode})`, "unknown", false));
                return;
              }
              if (res.statusCode === 200) resolve(parsed);
              else reject(new ConnectJsonError(`${method}: ${String(parsed.message ?? `HTTP ${res.statusCode}`)}`, String(parsed.code ?? "unknown"), false));
            });
          },
        );
        req.on("timeout", () => req.destroy(new ConnectJsonError(`${method}: no answer from ${baseUrl} within ${options.timeoutMs} ms`, "unavailable", true)));
        req.on("error", (err: NodeJS.ErrnoException) =>
          reject(err instanceof ConnectJsonError ? err : new ConnectJsonError(`cannot reach the Linker hub at ${baseUrl} (${err.code ?? err.message})`, "unavailable", true)),
        );
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
