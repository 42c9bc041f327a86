import { Command } from "commander";
import { GetConversationResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { withReader } from "../connect.js";
import { ExitCode } from "../exit-codes.js";
import { checkName } from "../instance-name.js";
import { messageLines } from "../message-text.js";
import { protoJson } from "../output.js";
import { integerArg } from "../parsers.js";

/** `linker thread <thread-id> | --with <peer>`: a conversation, one page at a time, oldest first. */
export function threadCommand(): Command {
  return new Command("thread")
    .summary("show a conversation, one page at a time")
    .description("Show a conversation: a thread by id, or every direct message with one peer (oldest first, paged)")
    .argument("[thread-id]", "the thread (a message's thread id; a question starts its own)")
    .option("--with <peer>", "the direct messages between you and this instance")
    .option("--limit <n>", "messages per page (1-500)", integerArg(1, 500), 50)
    .option("--page <token>", "the next page, from the token the previous page printed")
    .addHelpText(
      "after",
      `
Examples:
  linker thread --with backend
  linker thread 6f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f
  linker thread --with backend --page 42   # the page after the one that printed "--page 42"`,
    )
    .action(async (threadId: string | undefined, opts: { with?: string; limit: number; page?: string }, command: Command) => {
      const { settings, out } = contextOf(command);
      if ((threadId === undefined) === (opts.with === undefined)) {
        throw new CliError("give either a thread id or --with <peer>", ExitCode.usage, "for example `linker thread --with backend`");
      }
      const selector = opts.with !== undefined ? { case: "peer" as const, value: checkName(opts.with, "--with") } : { case: "threadId" as const, value: threadId! };
      const page = await withReader(settings, "stored", (client) => client.getConversation({ selector, pageSize: opts.limit, pageToken: opts.page }));
      out.data(protoJson(GetConversationResponseSchema, page));
      if (page.messages.length === 0) out.text("no messages");
      else out.text(...messageLines(page.messages, { direction: true }));
      if (page.nextPageToken) {
        const again = opts.with !== undefined ? `--with ${opts.with}` : threadId;
        out.text(`(more: linker thread ${again} --page ${page.nextPageToken})`);
      }
    });
}
