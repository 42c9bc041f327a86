import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { MessageKind, MessageKindSchema, type Priority, PrioritySchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { enumInput } from "../enum-input.js";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** Kinds a model may send: not RESPONSE (linker_reply answers) nor FILE (no tool carries file bytes). */
export const sendableKinds = enumInput<MessageKind>(MessageKindSchema, { except: [MessageKind.RESPONSE, MessageKind.FILE] });
const priorities = enumInput<Priority>(PrioritySchema);

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
        kind: sendableKinds.schema.default("text").describe("What the message is"),
        thread_id: z.string().optional().describe("Conversation to continue"),
        reply_to: z.string().optional().describe("Id of a message this answers (prefer linker_reply)"),
        priority: priorities.schema.default("normal").describe("How urgent it is"),
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
      const sent = await deps.client.send({ recipient: args.to, body: args.message, kind: sendableKinds.value(args.kind),
        threadId: args.thread_id ?? "",
        replyTo: args.reply_to ?? "",
        priority: priorities.value(args.priority),
        attachment: args.code ? { content: { case: "code", value: { language: args.code.language, code: args.code.code, path: args.code.path ?? "" } } } : undefined });
      const message = sent.message!;
      return {
        text: `Sent to ${args.to}${sent.recipientOnline ? "" : " (offline: delivered when it comes back)"}. id ${message.id}`,
        structured: { message_id: message.id, thread_id: message.threadId, recipient_online: sent.recipientOnline },
      };
    },
  );
}
