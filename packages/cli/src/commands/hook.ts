import { Command, Option } from "commander";
import { contextOf } from "../command-context.js";
import { HOOK_EVENTS, runHook } from "../hook/run-hook.js";
import { integerArg } from "../parsers.js";

/**
 * `linker hook`: prints pending messages for a Claude Code hook, and never
 * fails the session. `linker hook …` runs hook/run-hook.ts directly, without
 * this definition; it is here for `linker help hook` and `linker --help`.
 */
export function hookCommand(): Command {
  return new Command("hook")
    .summary("print unread messages for a Claude Code hook")
    .description("For Claude Code hooks: print unread messages as hook output (additionalContext), then mark them read")
    .addOption(new Option("--event <name>", "hook event (default: hook_event_name from stdin, else UserPromptSubmit)").choices([...HOOK_EVENTS]))
    .option("--peek", "leave the messages unread")
    .option("--limit <n>", "at most this many messages per prompt (1-100)", integerArg(1, 100), 20)
    .option("--http <url>", "the session is held by this remote hub's /mcp endpoint (linker init --http); sends LINKER_KEY")
    .addHelpText(
      "after",
      `
Reads the hook's JSON from stdin when there is any. Acts with the session that
\`linker mcp\` of the same name and home stored, and never registers: it prints
nothing when no message waits, no session is stored, or no hub answers (the reason
goes to stderr), and always exits 0, so a hook can never break the session.
\`linker init\` writes the hooks with the same name and hub as the MCP server.

In .claude/settings.json:
  {"hooks": {
    "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "linker hook"}]}],
    "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "linker hook"}]}]
  }}

Examples:
  linker hook --event UserPromptSubmit --peek
  echo '{"hook_event_name":"PostToolUse"}' | linker hook`,
    )
    .action(async (opts: { event?: string; peek?: boolean; limit: number; http?: string }, command: Command) => {
      await runHook(contextOf(command).settings, opts);
    });
}
