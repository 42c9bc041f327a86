import { Command, Option } from "commander";
import { EXIT_CODE_HELP } from "./exit-codes.js";
import { invokedCommand } from "./invoked-command.js";
import { packageVersion } from "./package-version.js";

const ROOT_HELP = `
Identity:
  Every command acts as one named instance: --name, else LINKER_NAME, else "name"
  in config.json, else the project folder's name (CLAUDE_PROJECT_DIR inside Claude
  Code, else the current folder), so the CLI, \`linker mcp\` and \`linker hook\` run in
  a project share one inbox. The session that owns the name is kept under
  $LINKER_HOME/sessions. Commands that write register (reclaiming the name with
  its stored session), do their work and close without keeping an event stream
  open; commands that only read (ls, inbox, thread, status, memory get|ls, task
  ls|show) never register: they use the stored session, or none.

Settings (flags > environment > $LINKER_HOME/config.json > defaults):
  --name         LINKER_NAME         "name"
  --hub          LINKER_URL, LINKER_HUB_URL   "hub" (URL, comma-separated list or array)
  --auto-hub     LINKER_AUTO_HUB     "autoHub"
  --json         LINKER_JSON         "json"
  --description  LINKER_DESCRIPTION  "description"
  --home         LINKER_HOME         (holds config.json, sessions and hub.db)
  --ca           LINKER_CA           CA file for an https:// hub
                 LINKER_KEY          agent key Register presents (else LINKER_HUB_SECRET)

--auto-hub makes a command serve the hub itself when none answers. It suits
long-lived commands (mcp, where it is the default, and tail); a one-shot command
would stop the hub again as soon as it is done.

Output is short human text; --json prints one JSON object per result (the API's
JSON mapping) or, for tail, one JSON object per line.

${EXIT_CODE_HELP}

Examples:
  linker hub                                  # run the hub (127.0.0.1:3847)
  linker init                                 # set Claude Code up in this project
  linker ls                                   # who is there
  linker send backend "the schema changed"    # a message, stored until read
  linker ask backend "which port?"            # wait for an answer
  linker inbox --mark-read                    # read your messages
  linker memory put api/port 8080             # shared memory
  linker task create --assign web "add the port setting"
  linker tail                                 # watch everything live`;

/** Adds the global options every command understands. */
function globalOptions(program: Command): Command {
  return program
    .option("-n, --name <name>", "act as this instance (env LINKER_NAME; default: the project folder's name)")
    .option("--hub <urls>", "hub URL(s), comma-separated (env LINKER_URL or LINKER_HUB_URL; default http://127.0.0.1:3847)")
    .option("--auto-hub", "serve the hub in this process when none answers (long-lived commands: mcp, tail)")
    .addOption(new Option("--no-auto-hub", "never serve the hub here (the default except for mcp)"))
    .option("--home <dir>", "folder of config.json, sessions and hub.db (env LINKER_HOME; default ~/.linker)")
    .option("--json", "machine output: one JSON object per result (JSON lines for tail)")
    .option("--description <text>", "what this instance works on, shown to others (env LINKER_DESCRIPTION)")
    .option("--ca <file>", "CA certificate to trust for an https:// hub (env LINKER_CA), e.g. the ca.pem of linker hub --tls-self-signed");
}

/** A command as listed in its parent's help: name and arguments, without "[options]". */
function commandTerm(command: Command): string {
  const args = command.registeredArguments.map((arg) => {
    const name = `${arg.name()}${arg.variadic ? "..." : ""}`;
    return arg.required ? `<${name}>` : `[${name}]`;
  });
  return [command.name(), ...args].join(" ");
}

/** Applies the help and error style to a command and all its subcommands. */
function style(command: Command): void {
  command
    .showHelpAfterError("(add --help for usage and examples)")
    .configureHelp({ showGlobalOptions: true, subcommandTerm: commandTerm })
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "linker: ")) });
  for (const sub of command.commands) style(sub);
}

/** The subcommands in the order help lists them, each loaded only when needed. */
const COMMANDS: { name: string; load: () => Promise<Command> }[] = [
  { name: "hub", load: async () => (await import("./commands/hub.js")).hubCommand() },
  { name: "mcp", load: async () => (await import("./commands/mcp.js")).mcpCommand() },
  { name: "init", load: async () => (await import("./commands/init.js")).initCommand() },
  { name: "send", load: async () => (await import("./commands/send.js")).sendCommand() },
  { name: "broadcast", load: async () => (await import("./commands/broadcast.js")).broadcastCommand() },
  { name: "ask", load: async () => (await import("./commands/ask.js")).askCommand() },
  { name: "reply", load: async () => (await import("./commands/reply.js")).replyCommand() },
  { name: "inbox", load: async () => (await import("./commands/inbox.js")).inboxCommand() },
  { name: "thread", load: async () => (await import("./commands/thread.js")).threadCommand() },
  { name: "tail", load: async () => (await import("./commands/tail.js")).tailCommand() },
  { name: "watch", load: async () => (await import("./commands/watch.js")).watchCommand() },
  { name: "ls", load: async () => (await import("./commands/ls.js")).lsCommand() },
  { name: "register", load: async () => (await import("./commands/register.js")).registerCommand() },
  { name: "unregister", load: async () => (await import("./commands/unregister.js")).unregisterCommand() },
  { name: "status", load: async () => (await import("./commands/status.js")).statusCommand() },
  { name: "memory", load: async () => (await import("./commands/memory.js")).memoryCommand() },
  { name: "task", load: async () => (await import("./commands/task.js")).taskCommand() },
  { name: "hook", load: async () => (await import("./commands/hook.js")).hookCommand() },
  { name: "key", load: async () => (await import("./commands/key.js")).keyCommand() },
  { name: "audit", load: async () => (await import("./commands/audit.js")).auditCommand() },
  { name: "release", load: async () => (await import("./commands/release.js")).releaseCommand() },
];

/**
 * The `linker` command line for `args` (without node and script). Only the
 * subcommand being run is loaded (each pulls in the client library and its
 * own helpers); the others are bare names, so a one-shot command starts
 * faster. Help for the whole program and unknown commands load everything.
 */
export async function createProgram(args: readonly string[] = []): Promise<Command> {
  const program = globalOptions(new Command("linker"))
    .description("Connect AI coding agents: presence, durable messages, ask/reply, shared memory and tasks.")
    .version(packageVersion(), "-V, --version", "print the version")
    .addHelpText("after", ROOT_HELP);
  const wanted = invokedCommand(args);
  const one = COMMANDS.some((command) => command.name === wanted);
  const commands = await Promise.all(COMMANDS.map((command) => (!one || command.name === wanted ? command.load() : new Command(command.name))));
  for (const command of commands) program.addCommand(command);
  style(program);
  return program;
}
