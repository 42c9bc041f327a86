import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_reply: answer a message you received (its sender waits if it asked). */
export function registerReplyTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_reply",
      description: "Answer a message you received, in its thread; an asker waiting in linker_ask gets it at once. Marks the message read.",
      input: {
        message_id: z.string().describe("Id of the message you answer"),
        message: z.string().min(1).describe("Your answer"),
      },
      annotations: { destructiveHint: false },
    },
    async (args) => {
      let original = deps.unread.find(args.message_id);
      if (!original) {
        const inbox = await deps.client.listMessages({ limit: 500 });
        original = inbox.messages.find((m) => m.id === args.message_id);
      }
      if (!original) throw new Error(`message ${args.message_id} is not among your recent messages; check the id with linker_get_messages`);
      const sent = await deps.client.reply(original, { body: args.message });
      const replied = `Replied to ${original.sender} (id ${sent.message!.id}).`;
      if (original.sender === deps.client.name) return replied;
      try {
        await deps.client.ack({ messageIds: [original.id] });
      } catch (err) {
        return `${replied} It could not be marked read (${err instanceof Error ? err.message : String(err)}); call linker_mark_read.`;
      }
      deps.unread.read([original.id]);
      return replied;
    },
  );
}
