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
      title: "Reply to a message",
      description:
        "Reply to a message you received, in its thread. If the sender is waiting in linker_ask, this is the answer it gets. Marks the original read.",
      input: {
        message_id: z.string().describe("Id of the message you answer"),
        message: z.string().min(1).describe("Your answer"),
      },
      output: {
        message_id: z.string().describe("Id of your reply"),
        to: z.string().describe("Who receives it"),
        thread_id: z.string().describe("Conversation id"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      let original = deps.unread.find(args.message_id);
      if (!original) {
        const inbox = await deps.client.listMessages({ limit: 500 });
        original = inbox.messages.find((m) => m.id === args.message_id);
      }
      if (!original) throw new Error(`message ${args.message_id} is not among your recent messages; check the id with linker_get_messages`);
      const sent = await deps.client.reply(original, { body: args.message });
      await deps.client.ack({ messageIds: [original.id] }).catch(() => undefined);
      deps.unread.read([original.id]);
      const message = sent.message!;
      return {
        text: `Replied to ${original.sender}. id ${message.id}`,
        structured: { message_id: message.id, to: original.sender, thread_id: message.threadId },
      };
    },
  );
}
