import { Command } from "commander";
import { contextOf } from "../command-context.js";
import { runWatch } from "../watch/run-watch.js";

/** `linker watch`: one line per incoming message, for a Claude Code plugin monitor. */
export function watchCommand(): Command {
  return new Command("watch")
    .summary("print one line per incoming message (the Claude Code plugin's monitor)")
    .description("Print one short, safe line per message that arrives for this instance, until stopped: a Claude Code plugin monitor, whose every line wakes an idle session")
    .option("--bridge", "also show remote Linker agents in Claude Code's ListAgents and carry its SendMessage to them (Linux, Claude Code 2.1.224+ with peer protocol 1)")
    .addHelpText(
      "after",
      `
Each line names the sender, the kind, the message id and a short preview
(quoted, control characters escaped, marked as untrusted), and says which tool
reads the message in full; the message stays unread until the session reads it.
A message announced here is not injected again by \`linker hook\`, and one a hook
already showed is not announced. The watch acts with the session the MCP server
of the same name and home stores, resumes from its own cursor (under
$LINKER_HOME/watch) when restarted, and rides out hub restarts and takeovers.
It stops on SIGTERM, when its output is closed, or when the Claude Code process
that started it ($CLAUDE_PID) is gone.

\`linker init\` enables a plugin whose monitor runs it; by hand, in a plugin's
monitors/monitors.json:
  [{"name": "inbox", "command": "linker watch", "description": "Linker inbox"}]

With --bridge (what \`linker init --bridge\` writes), agents on other machines and
in containers appear in the session's ListAgents under their Linker names, the
built-in SendMessage to one of them goes through the hub, and their messages
arrive as cross-session messages marked as coming from a remote agent. It
checks the Claude Code it runs in and stays off when its peer protocol is not
one it knows; it serves only that session of this user, on this machine.

Examples:
  linker watch
  linker --name backend watch --bridge`,
    )
    .action(async (opts: { bridge?: boolean }, command: Command) => {
      const { settings } = contextOf(command);
      const bridge = opts.bridge ? (await import("../watch/bridge/claude-bridge.js")).claudeBridge(settings) : undefined;
      await runWatch(settings, { bridge });
    });
}
