import { Command, Option } from "commander";
import { SendResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { checkName } from "../instance-name.js";
import { textArg } from "../message-input.js";
import { protoJson } from "../output.js";
import { priorityArg, secondsArg } from "../parsers.js";

/** `linker send <to> <message...>`: a direct message, stored until the recipient reads it. */
export function sendCommand(): Command {
  return new Command("send")
    .summary("send a direct message")
    .description("Send a direct message (stored until the recipient reads it, even while it is offline)")
    .argument("<to>", "name of the recipient instance")
    .argument("<message...>", 'the message; "-" reads it from stdin')
    .option("--thread <id>", "add it to this conversation thread")
    .addOption(new Option("--priority <level>", "low, normal, high or urgent").argParser(priorityArg))
    .option("--ttl <duration>", "drop it if still unread after this long (30m, 2h, 1d)", secondsArg)
    .addHelpText(
      "after",
      `
Examples:
  linker send frontend "the API is on port 8080"
  git diff | linker send reviewer -          # the message from stdin
  linker --name api send web "ready" --json  # as instance "api", machine output`,
    )
    .action(async (to: string, words: string[], opts: { thread?: string; priority?: number; ttl?: number }, command: Command) => {
      const { settings, out } = contextOf(command);
      checkName(to, "recipient");
      const body = await textArg(words, "message");
      const sent = await withClient(settings, (client) => client.send({ recipient: to, body, threadId: opts.thread, priority: opts.priority, ttlSeconds: opts.ttl }));
      out.data(protoJson(SendResponseSchema, sent));
      out.text(`sent to ${to}: ${sent.message?.id ?? "?"}${sent.recipientOnline ? "" : ` (${to} is offline; it gets the message when it comes back)`}`);
    });
}
