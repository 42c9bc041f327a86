import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { formatPeerMessage } from "../message-view.js";
import { UNTRUSTED_NOTE } from "../peer-text.js";
import { defineTool } from "./define-tool.js";

/** linker_get_conversation: a thread, or the history with one instance. */
export function registerGetConversationTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_get_conversation",
      description: "Show a conversation oldest first: your direct history with one instance (with) or one thread (thread_id). Marks nothing read.",
      input: {
        with: z.string().optional().describe("The other instance"),
        thread_id: z.string().optional().describe("A thread id"),
        limit: z.number().int().min(1).max(100).default(20).describe("At most this many"),
        page_token: z.string().optional().describe("From the previous page"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      if ((args.with === undefined) === (args.thread_id === undefined)) throw new Error("give exactly one of `with` (an instance name) or `thread_id`");
      const selector = args.with !== undefined ? { case: "peer" as const, value: args.with } : { case: "threadId" as const, value: args.thread_id! };
      const page = await deps.client.getConversation({ selector, pageSize: args.limit, pageToken: args.page_token ?? "" });
      for (const message of page.messages) deps.unread.remember(message);
      const mine = (sender: string) => sender === deps.client.name;
      const lines = page.messages.map((m) => (mine(m.sender) ? `[you → ${m.recipient}, id ${m.id}] ${m.body}` : formatPeerMessage(m)));
      const note = page.messages.some((m) => !mine(m.sender)) ? `${UNTRUSTED_NOTE}\n` : "";
      const more = page.nextPageToken ? `\nMore: page_token ${page.nextPageToken}` : "";
      return `${lines.length > 0 ? `${note}${lines.join("\n")}` : "No messages."}${more}`;
    },
  );
}
