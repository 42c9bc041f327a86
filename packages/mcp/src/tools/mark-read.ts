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
      description: "Mark messages you handled read (for example ones pushed into your session); their senders get read receipts.",
      input: { message_ids: z.array(z.string()).min(1).max(1000).describe("Message ids") },
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const result = await deps.client.ack({ messageIds: args.message_ids });
      deps.unread.read(args.message_ids);
      return `Marked ${result.acknowledged} read; ${result.unreadCount} unread left.`;
    },
  );
}
