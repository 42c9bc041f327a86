import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { join } from "node:path";
import { pino } from "pino";
import { createLinkerClient, FileSessionStore, detectWorkspace, nameFromFolder, projectDir } from "@linker/client";
import { linkerHome } from "@linker/protocol";
import { mcpHubStarter } from "./hub-starter.js";
import { createLinkerMcpServer } from "./mcp-server.js";

/** Options of `linker mcp`. */
export interface McpServerOptions {
  /** Instance name (default `$LINKER_NAME`, else derived from the working folder). */
  name?: string;
  /** Hub URLs (default `$LINKER_URL`/`$LINKER_HUB_URL`, else http://127.0.0.1:3847). */
  hubs?: string | string[];
  /** Serve the hub in this process when none answers, and take over when it dies (default true). */
  autoHub?: boolean;
  /** Data folder of an auto-started hub and of stored sessions (default `$LINKER_HOME` or ~/.linker). */
  dataDir?: string;
  /** What this instance works on. */
  description?: string;
  /** Secret the hub requires for Register (default `$LINKER_HUB_SECRET`). */
  hubSecret?: string;
}

/**
 * Runs the MCP server on stdio for Claude Code: registers the instance (same
 * name, same inbox across restarts), serves the linker_* tools and pushes
 * incoming messages as channel events. stdout carries only the protocol;
 * logs go to stderr. Resolves when the client closes stdin or a signal stops it.
 */
export async function runMcpServer(options: McpServerOptions = {}): Promise<void> {
  const cwd = projectDir(process.env, process.cwd());
  const logger = pino({ level: process.env.LINKER_LOG_LEVEL ?? "info", base: { component: "linker-mcp" } }, pino.destination(2));
  const name = options.name ?? (process.env.LINKER_NAME || nameFromFolder(cwd));
  const dataDir = options.dataDir ?? linkerHome(process.env);
  const client = createLinkerClient({
    name,
    description: options.description ?? "",
    clientKind: "claude-code",
    workspace: detectWorkspace(cwd),
    hubs: options.hubs,
    autoHub: options.autoHub === false ? false : { dataDir, start: mcpHubStarter(logger) },
    home: dataDir,
    sessions: new FileSessionStore(join(dataDir, "sessions")),
    hubSecret: options.hubSecret ?? process.env.LINKER_HUB_SECRET,
    logger,
  });
  const mcp = createLinkerMcpServer(client, (err) => logger.warn({ err }, "channel notification failed"));
  // Answer the MCP client first (tools/list needs no hub), then register: this
  // server owns the registration, and every tool call waits for it.
  const transport = new StdioServerTransport();
  await mcp.server.connect(transport);
  client.connect().then(
    (registered) => logger.info({ name, reclaimed: registered.reclaimed, unread: registered.unreadCount, hub: client.hubUrl }, "registered"),
    (err: unknown) => logger.error({ err }, "not registered yet; the next tool call tries again"),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    transport.onclose = stop;
    process.stdin.once("end", stop);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  mcp.dispose();
  await mcp.server.close().catch(() => undefined);
  await client.close();
}
