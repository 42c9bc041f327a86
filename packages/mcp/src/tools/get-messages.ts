import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { formatPeerMessages } from "../message-view.js";
import { defineTool } from "./define-tool.js";

/** linker_get_messages: read the inbox (consumes by default). */
export function registerGetMessagesTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_get_messages",
      description: "Read messages sent to you, oldest first: unread ones, marked read, unless told otherwise.",
      input: {
        unread_only: z.boolean().default(true).describe("Only unread messages"),
        mark_read: z.boolean().default(true).describe("Mark them read; false peeks"),
        from: z.string().optional().describe("Only from this instance"),
        limit: z.number().int().min(1).max(100).default(20).describe("At most this many"),
      },
      annotations: { destructiveHint: false, openWorldHint: false },
      noUnreadHint: true,
    },
    async (args) => {
      const result = await deps.client.listMessages({ unreadOnly: args.unread_only, markRead: args.mark_read, sender: args.from ?? "", limit: args.limit });
      for (const message of result.messages) deps.unread.remember(message);
      if (args.mark_read) deps.unread.read(result.messages.map((m) => m.id));
      const left = result.unreadCount > 0 ? `\n${result.unreadCount} unread left${result.hasMore ? ": call again" : ""}.` : result.hasMore ? "\nMore match: call again." : "";
      if (result.messages.length === 0) return `No ${args.unread_only ? "unread " : ""}messages${args.from ? ` from ${args.from}` : ""}.${left}`;
      return `${formatPeerMessages(result.messages)}${left}`;
    },
  );
}
