import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { createLinkerClient, FileSessionStore, type LinkerClient, NoStoredSessionError, toLinkerError } from "@linker/client";
import { ListMessagesResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { HttpHandlerFactory, HubLogger } from "@linker/hub";
import { bearerToken } from "@linker/protocol";
import { createLinkerMcpServer, type LinkerMcpServer } from "./mcp-server.js";

/** Path of the MCP endpoint on the hub port. */
export const MCP_PATH = "/mcp";

/** Path where `linker hook --http` reads (and marks read) the unread messages of an HTTP session's instance. */
export const HOOK_PATH = "/mcp/hook";

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

/** The body of a small request (at most 4 KiB). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 4096) req.destroy(new Error("request body too large"));
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
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

    const authorized = (req: IncomingMessage): boolean => {
      if (!secret) return true;
      const token = bearerToken(req.headers.authorization ?? null);
      const given = token === undefined ? undefined : Buffer.from(token);
      return given !== undefined && given.length === secret.length && timingSafeEqual(given, secret);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      if (!authorized(req)) {
        reject(res, 401, "this hub requires its secret: send 'Authorization: Bearer <hub secret>'");
        return;
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

    /**
     * The hook of an HTTP session: the unread messages of the named instance,
     * read with the session this endpoint stored for it (never registering),
     * and marked read unless `peek`. The answer is ListMessages' JSON.
     */
    const hook = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://hub");
      const name = (req.headers[NAME_HEADER] as string | undefined) ?? url.searchParams.get("name") ?? "";
      if (req.method !== "POST" || name === "") {
        reject(res, 400, `POST ${HOOK_PATH} with the instance name in the X-Linker-Name header`);
        return;
      }
      let body: { limit?: unknown; peek?: unknown } = {};
      try {
        body = JSON.parse((await readBody(req)) || "{}") as typeof body;
      } catch {
        reject(res, 400, "the body is not JSON");
        return;
      }
      const limit = typeof body.limit === "number" && Number.isInteger(body.limit) && body.limit >= 1 && body.limit <= 100 ? body.limit : 20;
      const client = createLinkerClient({ name, hubs: [hubUrl], autoHub: false, sessions: store, sessionMode: "stored", hubSecret: options.secret, logger });
      try {
        const page = await client.listMessages({ unreadOnly: true, limit });
        if (page.messages.length > 0 && body.peek !== true) await client.ack({ messageIds: page.messages.map((m) => m.id) });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(toJson(ListMessagesResponseSchema, page)));
      } catch (err) {
        // Say what happened without the hub's file paths.
        const error = toLinkerError(err, { rpc: "hook" });
        const message = err instanceof NoStoredSessionError ? `no session of "${name}" at this hub: no HTTP MCP session of that name was opened here` : error.reason;
        res.writeHead(error.code === Code.NotFound ? 404 : 502, { "content-type": "application/json" }).end(JSON.stringify({ code: error.codeName, message }));
      } finally {
        await client.close();
      }
    };

    const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
      const path = (req.url ?? "").split("?")[0];
      if (path === HOOK_PATH) {
        if (!authorized(req)) reject(res, 401, "this hub requires its secret: send 'Authorization: Bearer <hub secret>'");
        else hook(req, res).catch((err: unknown) => {
          logger.error({ err }, "MCP hook request failed");
          if (!res.headersSent) reject(res, 500, "internal error");
        });
        return true;
      }
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
