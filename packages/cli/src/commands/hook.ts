import { Command, Option } from "commander";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { formatPeerMessages } from "@linker/mcp/peer-text";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { integerArg } from "../parsers.js";
import { readStdin } from "../read-stdin.js";
import { describeError } from "../report-error.js";

/** Claude Code hook events whose output may carry `additionalContext`. */
const HOOK_EVENTS = ["UserPromptSubmit", "PostToolUse", "SessionStart"] as const;

type HookEvent = (typeof HOOK_EVENTS)[number];

/** How long to wait for Claude Code's JSON on stdin. */
const STDIN_WAIT_MS = 1_000;

/** What a hook needs from Claude Code's input: the event name. */
function hookEventOf(input: string | undefined): string | undefined {
  if (!input || input.trim() === "") return undefined;
  try {
    const value = JSON.parse(input) as { hook_event_name?: unknown };
    return typeof value.hook_event_name === "string" ? value.hook_event_name : undefined;
  } catch {
    return undefined;
  }
}

/** The context a hook adds: the peer messages, marked as untrusted, and what is left. */
function hookContext(name: string, messages: Message[], unreadLeft: number): string {
  const lines = [`Linker: ${messages.length} new message${messages.length === 1 ? "" : "s"} for "${name}" from other agents.`, formatPeerMessages(messages)];
  if (unreadLeft > 0) lines.push(`${unreadLeft} more unread; run \`linker inbox\` to see them.`);
  lines.push("Answer a question with `linker reply <id> <text>` (or the linker reply tool).");
  return lines.join("\n");
}

/** `linker hook`: prints pending messages for a Claude Code hook, and never fails the session. */
export function hookCommand(): Command {
  return new Command("hook")
    .summary("print unread messages for a Claude Code hook")
    .description("For Claude Code hooks: print unread messages as hook output (additionalContext), then mark them read")
    .addOption(new Option("--event <name>", "hook event (default: hook_event_name from stdin, else UserPromptSubmit)").choices([...HOOK_EVENTS]))
    .option("--peek", "leave the messages unread")
    .option("--limit <n>", "at most this many messages per prompt (1-100)", integerArg(1, 100), 20)
    .addHelpText(
      "after",
      `
Reads the hook's JSON from stdin when there is any. Prints nothing when no message
waits. Always exits 0, even when the hub is unreachable (the reason goes to stderr),
so a hook can never break the session. The name defaults to the project folder's, the
same as \`linker mcp\` uses, so the hook reads that agent's inbox.

In .claude/settings.json:
  {"hooks": {
    "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "linker hook"}]}],
    "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "linker hook"}]}]
  }}

Examples:
  linker hook --event UserPromptSubmit --peek
  echo '{"hook_event_name":"PostToolUse"}' | linker hook`,
    )
    .action(async (opts: { event?: HookEvent; peek?: boolean; limit: number }, command: Command) => {
      try {
        const { settings } = contextOf(command);
        const event = opts.event ?? hookEventOf(await readStdin(STDIN_WAIT_MS)) ?? "UserPromptSubmit";
        if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
          process.stderr.write(`linker hook: ${event} hooks cannot add context; nothing to do\n`);
          return;
        }
        await withClient(
          settings,
          async (client) => {
            const page = await client.listMessages({ unreadOnly: true, limit: opts.limit });
            if (page.messages.length === 0) return;
            const additionalContext = hookContext(settings.name, page.messages, page.unreadCount - page.messages.length);
            process.stdout.write(`${JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext } })}\n`);
            if (!opts.peek) await client.ack({ messageIds: page.messages.map((message) => message.id) });
          },
          { clientKind: "claude-code", connectRetryMs: 500, retryBudgetMs: 2_000 },
        );
      } catch (err) {
        const { message, hint } = describeError(err);
        process.stderr.write(`linker hook: ${message}${hint ? ` (${hint})` : ""}\n`);
      }
    });
}
