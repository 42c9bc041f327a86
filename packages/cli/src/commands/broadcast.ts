import { Command, Option } from "commander";
import { BroadcastResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { textArg } from "../message-input.js";
import { protoJson } from "../output.js";
import { priorityArg, secondsArg } from "../parsers.js";

/** `linker broadcast <message...>`: one message to every other registered instance. */
export function broadcastCommand(): Command {
  return new Command("broadcast")
    .summary("send a message to every other instance")
    .description("Send a message to every other registered instance")
    .argument("<message...>", 'the message; "-" reads it from stdin')
    .option("--online-only", "only instances online now")
    .addOption(new Option("--priority <level>", "low, normal, high or urgent").argParser(priorityArg))
    .option("--ttl <duration>", "drop it for those who have not read it after this long", secondsArg)
    .option("--thread <id>", "add it to this conversation thread")
    .addHelpText(
      "after",
      `
Examples:
  linker broadcast "main is broken, do not merge"
  linker broadcast --online-only --priority high "who owns the auth module?"`,
    )
    .action(async (words: string[], opts: { onlineOnly?: boolean; priority?: number; ttl?: number; thread?: string }, command: Command) => {
      const { settings, out } = contextOf(command);
      const body = await textArg(words, "message");
      const sent = await withClient(settings, (client) =>
        client.broadcast({ body, onlineOnly: opts.onlineOnly ?? false, priority: opts.priority, ttlSeconds: opts.ttl, threadId: opts.thread }),
      );
      out.data(protoJson(BroadcastResponseSchema, sent));
      const reached = sent.recipients.length === 0 ? "nobody (no other instance is registered)" : `${sent.recipients.length}: ${sent.recipients.join(", ")}`;
      out.text(`broadcast to ${reached}`);
      if (sent.skipped.length > 0) out.text(`skipped (mailbox full): ${sent.skipped.join(", ")}`);
    });
}
