import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { MessageKind, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

const kinds = { text: MessageKind.TEXT, query: MessageKind.QUERY, context: MessageKind.CONTEXT, code: MessageKind.CODE, task: MessageKind.TASK } as const;
const priorities = { low: Priority.LOW, normal: Priority.NORMAL, high: Priority.HIGH, urgent: Priority.URGENT } as const;

/** linker_send_message: a direct message, stored until the recipient reads it. */
export function registerSendMessageTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_send_message",
      title: "Send a message",
      description:
        "Send a direct message to another instance. It is stored until the recipient reads it, so it reaches instances that are offline now. Use linker_ask instead to wait for an answer.",
      input: {
        to: z.string().describe("Name of the recipient instance (see linker_list_instances)"),
        message: z.string().min(1).describe("The message text"),
        kind: z.enum(["text", "query", "context", "code", "task"]).default("text").describe("What the message is"),
        thread_id: z.string().optional().describe("Conversation to continue"),
        reply_to: z.string().optional().describe("Id of a message this answers (prefer linker_reply)"),
        priority: z.enum(["low", "normal", "high", "urgent"]).default("normal").describe("How urgent it is"),
        code: z
          .object({ language: z.string().describe("Language, e.g. typescript"), code: z.string().describe("The code"), path: z.string().optional().describe("File it comes from") })
          .optional()
          .describe("A code snippet to attach"),
      },
      output: {
        message_id: z.string().describe("Id of the stored message"),
        thread_id: z.string().describe("Conversation id"),
        recipient_online: z.boolean().describe("Whether the recipient is online now"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const sent = await deps.client.send({ recipient: args.to, body: args.message, kind: kinds[args.kind],
        threadId: args.thread_id ?? "",
        replyTo: args.reply_to ?? "",
        priority: priorities[args.priority],
        attachment: args.code ? { content: { case: "code", value: { language: args.code.language, code: args.code.code, path: args.code.path ?? "" } } } : undefined });
      const message = sent.message!;
      return {
        text: `Sent to ${args.to}${sent.recipientOnline ? "" : " (offline: delivered when it comes back)"}. id ${message.id}`,
        structured: { message_id: message.id, thread_id: message.threadId, recipient_online: sent.recipientOnline },
      };
    },
  );
}
