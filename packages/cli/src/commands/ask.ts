import { Command } from "commander";
import { AskResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { checkName } from "../instance-name.js";
import { textArg } from "../message-input.js";
import { messageBody } from "../message-text.js";
import { protoJson } from "../output.js";
import { durationArg } from "../parsers.js";

/** `linker ask <to> <question...>`: a query that waits for its reply. */
export function askCommand(): Command {
  return new Command("ask")
    .summary("ask an online instance and wait for its reply")
    .description("Ask an online instance and wait for its reply (printed on stdout)")
    .argument("<to>", "name of the instance to ask; it must be online")
    .argument("<question...>", 'the question; "-" reads it from stdin')
    .option("--timeout <duration>", "how long to wait for the reply (default: the hub's, 30s; the hub caps it)", durationArg)
    .option("--thread <id>", "add it to this conversation thread")
    .addHelpText(
      "after",
      `
The other side sees the question in \`linker inbox\` (or its MCP tools) and answers
with \`linker reply <id> ...\`. If nobody answers in time the exit status is 7 and a
late reply still lands in your inbox. An offline recipient fails at once (status 3).

Examples:
  linker ask backend "which port does the API use?"
  linker ask reviewer --timeout 2m "is PR 12 ready to merge?"
  linker ask backend "schema version?" --json | jq -r .reply.body`,
    )
    .action(async (to: string, words: string[], opts: { timeout?: number; thread?: string }, command: Command) => {
      const { settings, out } = contextOf(command);
      checkName(to, "recipient");
      const question = await textArg(words, "question");
      const answer = await withClient(settings, (client) => client.ask({ recipient: to, body: question, timeoutMs: opts.timeout, threadId: opts.thread }));
      out.data(protoJson(AskResponseSchema, answer));
      if (answer.reply) out.text(messageBody(answer.reply));
    });
}
