import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createLinkerClient, FileSessionStore, type LinkerClient } from "@linker/client";
import type { HttpHandlerFactory, HubLogger } from "@linker/hub";
import { bearerToken } from "@linker/protocol";
import { createLinkerMcpServer, type LinkerMcpServer } from "./mcp-server.js";

/** Path of the MCP endpoint on the hub port. */
export const MCP_PATH = "/mcp";

/** Header naming the instance an HTTP MCP session acts as. */
export const NAME_HEADER = "x-linker-name";

/** Options of the MCP endpoint. */
export interface McpEndpointOptions {
  /** Folder where the endpoint keeps the session tokens of its instances (`<LINKER_HOME>/mcp-http-sessions`). */
  dataDir: string;
  /** Secret required as `Authorization: Bearer` (the hub secret), if any. */
  secret?: string;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  mcp: LinkerMcpServer;
  client: LinkerClient;
}

function reject(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

/**
 * Serves the linker_* tools over Streamable HTTP at /mcp on the hub port, so
 * an agent in a devcontainer needs no local process:
 * `claude mcp add --transport http linker http://HOST:3847/mcp --header "X-Linker-Name: my-agent"`.
 * Each MCP session acts as the instance named by the X-Linker-Name header (or
 * `?name=`) of its initialize request, registered through the hub's own API,
 * so names are protected exactly as for any other client.
 */
export function mcpHttpEndpoint(options: McpEndpointOptions): HttpHandlerFactory {
  return (hubUrl: string, logger: HubLogger) => {
    const sessions = new Map<string, HttpSession>();
    const store = new FileSessionStore(options.dataDir);
    const secret = options.secret ? Buffer.from(options.secret) : undefined;

    const start = async (req: IncomingMessage, res: ServerResponse, name: string) => {
      const client = createLinkerClient({ name, clientKind: "claude-code-http", hubs: [hubUrl], autoHub: false, sessions: store, hubSecret: options.secret, logger });
      const mcp = createLinkerMcpServer(client, (err) => logger.warn({ err }, "channel notification failed"));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, mcp, client });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        mcp.dispose();
        void client.close();
      };
      try {
        await client.connect();
      } catch (err) {
        await client.close();
        reject(res, 403, `cannot act as "${name}": ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      await mcp.server.connect(transport);
      await transport.handleRequest(req, res);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      if (secret) {
        const token = bearerToken(req.headers.authorization ?? null);
        const given = token === undefined ? undefined : Buffer.from(token);
        if (!given || given.length !== secret.length || !timingSafeEqual(given, secret)) {
          reject(res, 401, "this hub requires its secret: send 'Authorization: Bearer <hub secret>'");
          return;
        }
      }
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (existing) {
        await existing.transport.handleRequest(req, res);
        return;
      }
      if (typeof sessionId === "string") {
        reject(res, 404, "unknown or expired MCP session; initialize again");
        return;
      }
      const url = new URL(req.url ?? "/", "http://hub");
      const name = (req.headers[NAME_HEADER] as string | undefined) ?? url.searchParams.get("name") ?? "";
      if (req.method !== "POST" || name === "") {
        reject(res, 400, `start a session with POST ${MCP_PATH} and the instance name in the X-Linker-Name header or ?name=`);
        return;
      }
      await start(req, res, name);
    };

    const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== MCP_PATH) return false;
      if (req.httpVersionMajor !== 1) {
        (res as ServerResponse).writeHead(505).end("the MCP endpoint speaks HTTP/1.1");
        return true;
      }
      handle(req, res).catch((err: unknown) => {
        logger.error({ err }, "MCP request failed");
        if (!res.headersSent) reject(res, 500, "internal error");
      });
      return true;
    };
    return Object.assign(handler as Parameters<typeof Object.assign>[0], {
      async close() {
        await Promise.all([...sessions.values()].map((s) => s.transport.close()));
      },
    }) as ReturnType<HttpHandlerFactory>;
  };
}
