import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  createHubTransport,
  createLinkerClient,
  type HubTransport,
  type LinkerClient,
  MemorySessionStore,
  NAME_PATTERN,
  NoStoredSessionError,
  type SessionStore,
  toLinkerError,
} from "@linker/client";
import { ListMessagesResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { HttpHandlerFactory, HubAccess, HubLogger } from "@linker/hub";
import { bearerToken, isWellFormedSessionToken } from "@linker/protocol";
import { createLinkerMcpServer, type LinkerMcpServer } from "./mcp-server.js";

/** Path of the MCP endpoint on the hub port. */
export const MCP_PATH = "/mcp";

/** Path where `linker hook --http` reads (and marks read) the unread messages of an HTTP session's instance. */
export const HOOK_PATH = "/mcp/hook";

/** Header naming the instance an HTTP MCP session acts as. */
export const NAME_HEADER = "x-linker-name";

/** Options of the MCP endpoint. */
export interface McpEndpointOptions {
  /** Builds the transport the endpoint's clients use to reach their own hub (tests). */
  transport?: (url: string) => HubTransport;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  mcp: LinkerMcpServer;
  client: LinkerClient;
  /** Hash of the credential that opened the session: every later request must present the same one. */
  credential: string;
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

function reject(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

/** The credential of a session opened without one (an open hub's loopback caller). */
const ANONYMOUS = "anonymous";

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Who an MCP session acts as, taken from its credential, or why it may not start. */
type Identity = { name: string; credential: string; register: string | undefined; sessions: SessionStore | false; hubKey: string } | { status: number; message: string };

/**
 * Serves the linker_* tools over Streamable HTTP at /mcp on the hub port, so
 * an agent in a devcontainer needs no local process:
 * `claude mcp add --transport http linker http://HOST:3847/mcp --header "Authorization: Bearer <agent key>"`.
 * Identity comes from the credential, never from a header alone:
 * - an agent key acts as a name it binds (X-Linker-Name or `?name=` picks
 *   one when it binds several);
 * - on a hub open to this machine, a session token (`lk_…`, one the caller
 *   made up for a new name, or one it holds) acts as that session's name, and
 *   a caller with no credential gets a name for the life of its MCP session
 *   only: a name registered by one MCP session is never handed to another;
 * - the hub secret is refused: it is shared, so it proves no identity.
 * Every request of a session must carry the credential that opened it.
 */
export function mcpHttpEndpoint(options: McpEndpointOptions = {}): HttpHandlerFactory {
  return (hubUrl: string, logger: HubLogger, access: HubAccess) => {
    const sessions = new Map<string, HttpSession>();
    const keySessions = new MemorySessionStore();
    const selfUrl = loopbackUrlOf(hubUrl);
    const transport = options.transport ?? ((url: string) => createHubTransport(url, { ca: access.clientCa }));
    const maxSessions = access.config.limits.maxMcpSessions;

    const identify = async (req: IncomingMessage, asked: string): Promise<Identity> => {
      const bearer = bearerToken(req.headers.authorization ?? null);
      const credential = await access.identify(bearer);
      switch (credential.kind) {
        case "invalid":
          return { status: 401, message: credential.reason };
        case "secret":
          return { status: 401, message: "the hub secret is shared by everyone who holds it, so it proves no identity: /mcp needs an agent key (ask the operator: linker key create NAME)" };
        case "hub-admin":
          return { status: 403, message: "the hub's admin key acts as no instance: /mcp needs an agent key" };
        case "key": {
          const { key } = credential;
          const exact = key.names.filter((pattern) => !pattern.endsWith("*"));
          const name = asked !== "" ? asked : exact.length === 1 && key.names.length === 1 ? exact[0] : "";
          if (name === "") {
            return { status: 400, message: `the key "${key.label}" binds ${key.names.join(", ") || "no names"}: name the instance with the X-Linker-Name header or ?name=` };
          }
          if (!key.names.some((pattern) => (pattern.endsWith("*") ? name.toLowerCase().startsWith(pattern.slice(0, -1).toLowerCase()) : pattern.toLowerCase() === name.toLowerCase()))) {
            return { status: 403, message: `the key "${key.label}" does not bind the name "${name}"` };
          }
          return { name, credential: digest(bearer!), register: bearer, sessions: keySessions, hubKey: `key:${key.id}` };
        }
        case "anonymous": {
          if (asked === "") return { status: 400, message: `start a session with POST ${MCP_PATH} and the instance name in the X-Linker-Name header or ?name=` };
          if (access.mode !== "open") return { status: 401, message: "this hub needs an agent key at /mcp: send 'Authorization: Bearer <key>'" };
          if (bearer !== undefined && isWellFormedSessionToken(bearer)) {
            const store = new MemorySessionStore();
            await store.save({ hub: "mcp", name: asked, token: bearer });
            return { name: asked, credential: digest(bearer), register: undefined, sessions: store, hubKey: "mcp" };
          }
          if (bearer !== undefined) return { status: 401, message: "unknown credential: send an agent key or a session token (lk_ and 43 characters)" };
          return { name: asked, credential: ANONYMOUS, register: undefined, sessions: false, hubKey: "mcp" };
        }
      }
    };

    const start = async (req: IncomingMessage, res: ServerResponse, asked: string) => {
      if (sessions.size >= maxSessions) {
        reject(res, 429, `the hub has its limit of ${maxSessions} MCP sessions open; close one or retry later`, { "retry-after": "5" });
        return;
      }
      const identity = await identify(req, asked);
      if ("status" in identity) {
        reject(res, identity.status, identity.message);
        return;
      }
      const { name } = identity;
      const client = createLinkerClient({
        name,
        clientKind: "claude-code-http",
        hubs: [selfUrl],
        autoHub: false,
        sessions: identity.sessions,
        hubKey: identity.hubKey,
        hubSecret: identity.register,
        logger,
        transport,
      });
      const mcp = createLinkerMcpServer(client, (err) => logger.warn({ err }, "channel notification failed"));
      const mcpTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport: mcpTransport, mcp, client, credential: identity.credential });
        },
      });
      mcpTransport.onclose = () => {
        if (mcpTransport.sessionId) sessions.delete(mcpTransport.sessionId);
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
      await mcp.server.connect(mcpTransport);
      await mcpTransport.handleRequest(req, res);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
      if (existing) {
        const bearer = bearerToken(req.headers.authorization ?? null);
        if ((bearer === undefined ? ANONYMOUS : digest(bearer)) !== existing.credential) {
          reject(res, 403, "this MCP session was opened with another credential; send the same Authorization header");
          return;
        }
        await existing.transport.handleRequest(req, res);
        return;
      }
      if (typeof sessionId === "string") {
        reject(res, 404, "unknown or expired MCP session; initialize again");
        return;
      }
      const url = new URL(req.url ?? "/", "http://hub");
      const header = req.headers[NAME_HEADER];
      const name = (typeof header === "string" ? header : undefined) ?? url.searchParams.get("name") ?? "";
      if (req.method !== "POST") {
        reject(res, 405, `start a session with POST ${MCP_PATH}`, { allow: "POST" });
        return;
      }
      if (name !== "" && !NAME_PATTERN.test(name)) {
        reject(res, 400, `"${name}" is not an instance name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64`);
        return;
      }
      await start(req, res, name);
    };

    /**
     * The hook of an HTTP session: the unread messages of the instance its
     * credential acts as (the same credential, and name, the MCP session was
     * opened with), read with the session the endpoint holds for it (never
     * registering), and marked read unless `peek`. The answer is
     * ListMessages' JSON.
     */
    const hook = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://hub");
      const header = req.headers[NAME_HEADER];
      const asked = (typeof header === "string" ? header : undefined) ?? url.searchParams.get("name") ?? "";
      if (req.method !== "POST" || asked === "") {
        reject(res, 400, `POST ${HOOK_PATH} with the instance name in the X-Linker-Name header`);
        return;
      }
      const identity = await identify(req, asked);
      if ("status" in identity) {
        reject(res, identity.status, identity.message);
        return;
      }
      if (identity.sessions === false) {
        reject(res, 401, `${HOOK_PATH} needs the credential the MCP session was opened with (an agent key or a session token): a session opened without one belongs to its MCP connection alone`);
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
      const { name } = identity;
      const client = createLinkerClient({
        name,
        hubs: [selfUrl],
        autoHub: false,
        sessions: identity.sessions,
        hubKey: identity.hubKey,
        sessionMode: "stored",
        hubSecret: identity.register,
        logger,
        transport,
      });
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
        hook(req, res).catch((err: unknown) => {
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

/** The hub's own URL as seen from inside its process: a wildcard bind is reached through loopback. */
function loopbackUrlOf(hubUrl: string): string {
  const url = new URL(hubUrl);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.toString().replace(/\/+$/, "");
}
