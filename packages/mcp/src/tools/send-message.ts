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
      description: "Send a direct message; it is stored until read, so offline instances get it later. To wait for an answer use linker_ask.",
      input: {
        to: z.string().describe("Recipient instance name"),
        message: z.string().min(1).describe("The text"),
        kind: sendableKinds.schema.default("text").describe("What it is"),
        thread_id: z.string().optional().describe("Conversation to continue"),
        reply_to: z.string().optional().describe("Id of the message this answers (prefer linker_reply)"),
        priority: priorities.schema.default("normal").describe("Urgency"),
        code: z
          .object({ language: z.string().describe("e.g. typescript"), code: z.string().describe("The code"), path: z.string().optional().describe("Its file") })
          .optional()
          .describe("A code snippet to attach"),
      },
      annotations: { destructiveHint: false },
    },
    async (args) => {
      const sent = await deps.client.send({
        recipient: args.to,
        body: args.message,
        kind: sendableKinds.value(args.kind),
        threadId: args.thread_id ?? "",
        replyTo: args.reply_to ?? "",
        priority: priorities.value(args.priority),
        attachment: args.code ? { content: { case: "code", value: { language: args.code.language, code: args.code.code, path: args.code.path ?? "" } } } : undefined,
      });
      const message = sent.message!;
      return `Sent to ${args.to} (id ${message.id})${sent.recipientOnline ? "." : "; it is offline and gets it when it comes back."}`;
    },
  );
}
