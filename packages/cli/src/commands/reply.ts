import { Command, Option } from "commander";
import { SendResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { ExitCode } from "../exit-codes.js";
import { findMessage } from "../find-message.js";
import { checkName } from "../instance-name.js";
import { textArg } from "../message-input.js";
import { protoJson } from "../output.js";

/** `linker reply <message-id> <message...>`: answers a message (a query's asker gets it at once). */
export function replyCommand(): Command {
  return new Command("reply")
    .summary("answer a message (completes a waiting ask)")
    .description("Answer a message: a response to its sender, in its thread (this completes a waiting ask); the message is marked read")
    .argument("<message-id>", "id of the message to answer (see `linker inbox`)")
    .argument("<message...>", 'the answer; "-" reads it from stdin')
    .option("--to <name>", "who to send the answer to (default: the message's sender)")
    .addOption(new Option("--kind <kind>", "what the answer is").choices(["response", "text"]).default("response"))
    .addHelpText(
      "after",
      `
Examples:
  linker inbox                                     # find the id of the question
  linker reply 6f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f "port 8080"
  linker reply "$ID" - < answer.md`,
    )
    .action(async (id: string, words: string[], opts: { to?: string; kind: string }, command: Command) => {
      const { settings, out } = contextOf(command);
      if (opts.to !== undefined) checkName(opts.to, "--to");
      const body = await textArg(words, "answer");
      const kind = opts.kind === "text" ? MessageKind.TEXT : MessageKind.RESPONSE;
      const sent = await withClient(settings, async (client) => {
        const original = await findMessage(client, id);
        if (!original && opts.to === undefined) {
          throw new CliError(`no message with id ${id} in the inbox or threads of "${settings.name}"`, ExitCode.notFound, "check the id with `linker inbox --all`, or pass --to <name>");
        }
        const to = opts.to ?? (original!.sender === settings.name && original!.recipient !== "*" ? original!.recipient : original!.sender);
        const response = await client.send({ recipient: to, body, kind, replyTo: id });
        // The question is answered: mark it read, so hooks and inboxes stop showing it.
        if (original && original.sender !== settings.name && !original.readAt) await client.ack({ messageIds: [original.id] });
        return response;
      });
      out.data(protoJson(SendResponseSchema, sent));
      out.text(`replied to ${sent.message?.recipient ?? opts.to}: ${sent.message?.id ?? "?"}`);
    });
}
