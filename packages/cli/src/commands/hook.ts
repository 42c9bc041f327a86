import { Command, Option } from "commander";
import { contextOf } from "../command-context.js";
import { DEFAULT_WAIT_SECONDS, HOOK_EVENTS, MAX_WAIT_SECONDS, runHook } from "../hook/run-hook.js";
import { integerArg } from "../parsers.js";

/**
 * `linker hook`: prints pending messages for a Claude Code hook, and never
 * fails the session. `linker hook …` runs hook/run-hook.ts directly, without
 * this definition; it is here for `linker help hook` and `linker --help`.
 */
export function hookCommand(): Command {
  return new Command("hook")
    .summary("print unread messages for a Claude Code hook")
    .description("For Claude Code hooks: print unread messages as hook output (additionalContext, or a Stop hook's block), then mark them read")
    .addOption(new Option("--event <name>", "hook event (default: hook_event_name from stdin, else UserPromptSubmit)").choices([...HOOK_EVENTS]))
    .option("--peek", "leave the messages unread")
    .option("--limit <n>", "at most this many messages per prompt (1-100)", integerArg(1, 100), 20)
    .option("--http <url>", "the session is held by this remote hub's /mcp endpoint (linker init --http); sends LINKER_KEY")
    .option("--rewake", "wait in the background until a message arrives, then wake the session with it (an asyncRewake hook on SessionStart and Stop)")
    .option("--wait-seconds <n>", `with --rewake, wait at most this long (1-${MAX_WAIT_SECONDS}, default ${DEFAULT_WAIT_SECONDS})`, integerArg(1, MAX_WAIT_SECONDS))
    .addHelpText(
      "after",
      `
Reads the hook's JSON from stdin when there is any. Acts with the session that
\`linker mcp\` of the same name and home stored, and never registers: it prints
nothing when no message waits, no session is stored, or no hub answers (the reason
goes to stderr), and always exits 0, so a hook can never break the session.
\`linker init\` writes the hooks with the same name and hub as the MCP server.

On Stop it drains: with messages waiting it answers {"decision":"block"} with them
as the reason, so the model handles them before its turn ends (in \`claude -p\`
too), and it never blocks while the session already continues because of a Stop
hook, so it cannot loop. A message another path already showed the model (the
plugin monitor, the bridge, another hook) is not shown again.

With --rewake it is the waiting half of a SessionStart + Stop pair of
"asyncRewake" hooks: it waits in the background (one waiter per session: a newer
one replaces it) until a message arrives, then writes it to stderr and exits 2,
which wakes an idle session; after --wait-seconds it ends quietly. Under
\`claude -p\`, where Claude Code would hold the run for it, it returns at once.

In .claude/settings.json:
  {"hooks": {
    "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "linker hook"}]}],
    "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "linker hook"}]}],
    "Stop": [{"hooks": [{"type": "command", "command": "linker hook"}]}]
  }}
and for rewake, on both SessionStart and Stop:
  {"type": "command", "command": "linker hook --rewake", "asyncRewake": true, "timeout": 3660}

Examples:
  linker hook --event UserPromptSubmit --peek
  echo '{"hook_event_name":"PostToolUse"}' | linker hook
  echo '{"hook_event_name":"Stop","stop_hook_active":false}' | linker hook
  linker hook --rewake --wait-seconds 600`,
    )
    .action(async (opts: { event?: string; peek?: boolean; limit: number; http?: string; rewake?: boolean; waitSeconds?: number }, command: Command) => {
      process.exitCode = await runHook(contextOf(command).settings, opts);
    });
}
