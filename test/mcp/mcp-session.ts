import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { LINKER_BIN } from "../support/hub-process.js";
import { tempDir } from "../support/temp-dir.js";

/** A channel event as Claude Code receives it. */
export interface ChannelEvent {
  /** The pushed text. */
  content: string;
  /** String attributes. */
  meta: Record<string, string>;
}

const channelNotification = z.object({
  method: z.literal("notifications/claude/channel"),
  params: z.object({ content: z.string(), meta: z.record(z.string(), z.string()) }),
});

/** One `linker mcp` process driven by the MCP SDK's own Client over stdio. */
export class McpSession {
  /** Channel events received so far. */
  readonly channel: ChannelEvent[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    readonly name: string,
    readonly client: Client,
    readonly transport: StdioClientTransport,
  ) {}

  /** Starts `linker mcp --name <name>` against `hubUrl` with its own LINKER_HOME. */
  static async start(name: string, hubUrl: string, home = tempDir(`linker-mcp-${name}-`)): Promise<McpSession> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [LINKER_BIN, "mcp", "--name", name, "--hub", hubUrl],
      env: { ...(process.env as Record<string, string>), LINKER_HOME: home, LINKER_LOG_LEVEL: "warn" },
      stderr: "pipe",
    });
    const client = new Client({ name: "linker-test", version: "1.0.0" });
    const session = new McpSession(name, client, transport);
    client.setNotificationHandler(channelNotification, (notification) => {
      session.channel.push(notification.params);
      for (const wake of session.waiters.splice(0)) wake();
    });
    await client.connect(transport);
    return session;
  }

  /** Calls a tool and returns its result. */
  async call(tool: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    return (await this.client.callTool({ name: tool, arguments: args })) as CallToolResult;
  }

  /** Calls a tool that must succeed and returns its text (the tools answer in text only). */
  async ok(tool: string, args: Record<string, unknown> = {}): Promise<string> {
    const result = await this.call(tool, args);
    if (result.isError) throw new Error(`${tool} failed: ${text(result)}`);
    if (result.structuredContent !== undefined) throw new Error(`${tool} returned structured content, which Claude Code would show the model instead of the text`);
    return text(result);
  }

  /** Polls linker_list_instances until `name` shows with presence `online`. */
  async untilListed(name: string, online: boolean): Promise<void> {
    const line = new RegExp(`^${online ? "online" : "offline"} ${name}( |$)`, "m");
    const deadline = Date.now() + 20_000;
    while (!line.test(await this.ok("linker_list_instances"))) {
      if (Date.now() > deadline) throw new Error(`${this.name} never saw ${name} ${online ? "online" : "offline"}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for a channel event matching `test`. */
  async channelEvent(test: (event: ChannelEvent) => boolean): Promise<ChannelEvent> {
    for (;;) {
      const found = this.channel.find(test);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Closes the session (the server process exits when stdin closes). */
  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The first id after "id " in a tool's text. */
export function idIn(text: string): string {
  const match = /\bid ([0-9a-f-]{36})\b/.exec(text);
  if (!match) throw new Error(`no id in: ${text}`);
  return match[1];
}

/** The text of a tool result. */
export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}
