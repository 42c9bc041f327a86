import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { ListMessagesResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type LinkerClient } from "@linker/client";
import { contextOf } from "../command-context.js";
import { withReader } from "../connect.js";
import { checkName } from "../instance-name.js";
import { messageLines } from "../message-text.js";
import { protoJson } from "../output.js";
import { integerArg } from "../parsers.js";

interface InboxOptions {
  all?: boolean;
  peek?: boolean;
  markRead?: boolean;
  from?: string;
  limit: number;
}

/** The newest `limit` messages of the inbox (every page is read, only the last ones kept). */
async function newestMessages(client: LinkerClient, sender: string, limit: number): Promise<{ messages: Message[]; hasMore: boolean }> {
  let kept: Message[] = [];
  let total = 0;
  let afterSeq = 0n;
  for (;;) {
    const page = await client.listMessages({ sender, afterSeq, limit: 500 });
    total += page.messages.length;
    kept = [...kept, ...page.messages].slice(-limit);
    if (!page.hasMore || page.messages.length === 0) return { messages: kept, hasMore: total > kept.length };
    afterSeq = page.messages[page.messages.length - 1].seq;
  }
}

/** `linker inbox`: the messages waiting for this instance. */
export function inboxCommand(): Command {
  return new Command("inbox")
    .summary("list your messages (unread ones by default)")
    .description("List messages sent to this instance: unread ones, oldest first, left unread unless --mark-read")
    .option("--all", "read messages too (the newest --limit ones)")
    .addOption(new Option("--peek", "leave the messages unread (the default)").conflicts("markRead"))
    .option("--mark-read", "mark the listed messages read (their senders get read receipts)")
    .option("--from <name>", "only messages from this instance")
    .option("--limit <n>", "at most this many messages (1-500)", integerArg(1, 500), 50)
    .addHelpText(
      "after",
      `
Examples:
  linker inbox                    # unread messages, left unread
  linker inbox --mark-read        # read them: they will not show again
  linker inbox --all --from web   # everything "web" sent, read or not
  linker inbox --json | jq -r '.messages[] | select(.kind == "MESSAGE_KIND_QUERY") | .id'`,
    )
    .action(async (opts: InboxOptions, command: Command) => {
      const { settings, out } = contextOf(command);
      const sender = opts.from === undefined ? "" : checkName(opts.from, "--from");
      const result = await withReader(settings, "stored", async (client) => {
        const listed = opts.all
          ? { ...(await newestMessages(client, sender, opts.limit)), unreadCount: 0 }
          : await client.listMessages({ unreadOnly: true, sender, limit: opts.limit });
        let unreadCount = listed.unreadCount;
        const unread = listed.messages.filter((message) => !message.readAt).map((message) => message.id);
        if (opts.markRead && unread.length > 0) unreadCount = (await client.ack({ messageIds: unread })).unreadCount;
        else if (opts.all) unreadCount = (await client.listMessages({ unreadOnly: true, limit: 1 })).unreadCount;
        return { messages: listed.messages, hasMore: listed.hasMore, unreadCount, marked: opts.markRead ? unread.length : 0 };
      });
      out.data(protoJson(ListMessagesResponseSchema, create(ListMessagesResponseSchema, result)));
      if (result.messages.length === 0) {
        out.text(opts.all ? "no messages" : `no unread messages${sender ? ` from ${sender}` : ""}`);
        return;
      }
      out.text(...messageLines(result.messages, { unreadMark: opts.all }));
      const summary = [`${result.unreadCount} unread`];
      if (result.marked > 0) summary.push(`${result.marked} marked read`);
      if (result.hasMore) summary.push(opts.all ? `older messages not shown (--limit ${opts.limit})` : "more unread not shown: raise --limit or use --mark-read");
      out.text(`(${summary.join("; ")})`);
    });
}
