import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_mark_read: acknowledge messages (senders get read receipts). */
export function registerMarkReadTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_mark_read",
      title: "Mark messages read",
      description: "Acknowledge messages you have handled (for example ones pushed into your session). Their senders get read receipts.",
      input: { message_ids: z.array(z.string()).min(1).max(1000).describe("Ids of messages in your inbox") },
      output: {
        acknowledged: z.number().describe("Messages newly marked read"),
        unread_count: z.number().describe("Unread messages left"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const result = await deps.client.ack({ messageIds: args.message_ids });
      deps.unread.read(args.message_ids);
      return {
        text: `Marked ${result.acknowledged} read; ${result.unreadCount} unread left.`,
        structured: { acknowledged: result.acknowledged, unread_count: result.unreadCount },
      };
    },
  );
}
