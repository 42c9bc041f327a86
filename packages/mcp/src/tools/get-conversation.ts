import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { messageView, viewMessage } from "../message-view.js";
import { formatPeerMessage } from "../peer-text.js";
import { defineTool } from "./define-tool.js";

/** linker_get_conversation: a thread, or the history with one instance. */
export function registerGetConversationTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_get_conversation",
      title: "Get a conversation",
      description: "Show a conversation oldest first: the direct history with one instance (with) or one thread (thread_id). Does not mark anything read.",
      input: {
        with: z.string().optional().describe("The other instance"),
        thread_id: z.string().optional().describe("A thread id (from a message)"),
        limit: z.number().int().min(1).max(100).default(20).describe("At most this many"),
        page_token: z.string().optional().describe("next_page_token from a previous call"),
      },
      output: {
        messages: z.array(messageView).describe("Messages, oldest first"),
        next_page_token: z.string().describe('Token for the next page, "" at the end'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      if ((args.with === undefined) === (args.thread_id === undefined)) {
        throw new Error("give exactly one of `with` (an instance name) or `thread_id`");
      }
      const selector = args.with !== undefined ? { case: "peer" as const, value: args.with } : { case: "threadId" as const, value: args.thread_id! };
      const page = await deps.client.getConversation({ selector, pageSize: args.limit, pageToken: args.page_token ?? "" });
      for (const message of page.messages) deps.unread.remember(message);
      const lines = page.messages.map((m) => (m.sender === deps.client.name ? `[you → ${m.recipient}] ${m.body}` : formatPeerMessage(m)));
      return {
        text: `${lines.length > 0 ? lines.join("\n") : "No messages."}${page.nextPageToken ? `\n(more: page_token ${page.nextPageToken})` : ""}`,
        structured: { messages: page.messages.map(viewMessage), next_page_token: page.nextPageToken },
      };
    },
  );
}
