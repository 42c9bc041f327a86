import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { Command } from "commander";
import { DEFAULT_HUB_URL } from "@linker/protocol";
import { CliError } from "../cli-error.js";
import { type JsonObject, type McpServerEntry, mergeMcpServer, mergeSettings, shellCommand } from "../claude-setup.js";
import { contextOf } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { parseHubUrls } from "../settings.js";

interface InitOptions {
  user?: boolean;
  http?: string;
  channels?: boolean;
  dryRun?: boolean;
}

/** One file `linker init` looked at. */
interface FileChange {
  path: string;
  changes: string[];
}

function readJson(path: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {
    // reported below
  }
  throw new CliError(`${path} is not a JSON object; nothing was changed`, ExitCode.usage, "fix or move the file, then run `linker init` again");
}

function writeJson(path: string, value: JsonObject): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.linker-${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}

/** The `linker` this process runs: node and the script, as absolute paths. */
function linkerCommand(): string[] {
  return [process.execPath, realpathSync(process.argv[1])];
}

/** `linker init`: sets Claude Code up so its MCP server and hooks act as one Linker instance. */
export function initCommand(): Command {
  return new Command("init")
    .summary("set Claude Code up: the MCP server and the hooks, as one instance")
    .description("Write or merge the project's .mcp.json and .claude/settings.json so Claude Code's linker MCP server and hooks act as the same instance on the same hub")
    .option("--user", "configure every project of this user (~/.claude.json and ~/.claude/settings.json) instead of this one")
    .option("--http <url>", "reach a remote hub's MCP endpoint over HTTP (a container with no local hub); the agent key comes from LINKER_KEY")
    .option("--channels", "also print how to start Claude Code with channel push (a command-line choice of Claude Code)")
    .option("--dry-run", "show what would change without writing")
    .addHelpText(
      "after",
      `
Run it in the project folder, then start \`claude\` there. Both the MCP server and
the hooks run this \`linker\` with the same --name (the folder's, or --name), --hub
and --home, so they share one inbox. Running it again changes nothing; it prints
each change it makes. It also approves the project's linker server and allows the
linker tools (mcp__linker) so they run without a prompt.

With --user the server and hooks apply to every project, each acting as its own
folder's name (pass --name to pin one). With --http the session reaches the hub's
/mcp endpoint with no local process; the hub must bind beyond loopback
(\`linker hub --host 0.0.0.0 --auth keys\`), and LINKER_KEY must hold an agent key
that binds the name (\`linker key create NAME\` on the hub's machine) where Claude
Code runs.

Examples:
  linker init
  linker --name backend init
  linker init --user
  linker --name api-container init --http http://host.docker.internal:3847
  linker init --channels`,
    )
    .action((opts: InitOptions, command: Command) => {
      const { settings, out } = contextOf(command);
      const named = settings.nameSource === "--name" || settings.nameSource === "LINKER_NAME";
      if (opts.user && opts.http && !named) {
        throw new CliError("--user with --http needs a fixed --name: the HTTP endpoint learns the name from a header", ExitCode.usage, "pass --name, or leave --user out");
      }
      const pinName = !opts.user || named;
      const global: string[] = [];
      if (pinName) global.push("--name", settings.name);
      const explicitHome = command.optsWithGlobals<{ home?: string }>().home !== undefined;
      if (explicitHome) global.push("--home", settings.home);
      const defaultHubs = settings.hubs.length === 1 && settings.hubs[0] === DEFAULT_HUB_URL;
      if (!defaultHubs && !opts.http) global.push("--hub", settings.hubs.join(","));

      let server: McpServerEntry;
      let hookWords: string[];
      if (opts.http) {
        const [base] = parseHubUrls(opts.http, "--http");
        server = { type: "http", url: `${base}/mcp`, headers: { "X-Linker-Name": settings.name, Authorization: "Bearer ${LINKER_KEY}" } };
        hookWords = [...linkerCommand(), "--name", settings.name, "hook", "--http", base];
      } else {
        server = { command: process.execPath, args: [realpathSync(process.argv[1]), ...global, "mcp"] };
        hookWords = [...linkerCommand(), ...global, "hook"];
      }
      const project = resolve(process.cwd());
      const home = homedir();
      const serverFile = opts.user ? join(home, ".claude.json") : join(project, ".mcp.json");
      const settingsFile = opts.user ? join(home, ".claude", "settings.json") : join(project, ".claude", "settings.json");
      const mergedServer = mergeMcpServer(readJson(serverFile), server, "");
      const mergedSettings = mergeSettings(readJson(settingsFile), shellCommand(hookWords), { approveProjectServer: !opts.user });
      const files: FileChange[] = [
        { path: serverFile, changes: mergedServer.changes },
        { path: settingsFile, changes: mergedSettings.changes },
      ];
      if (!opts.dryRun) {
        if (mergedServer.changes.length > 0) writeJson(serverFile, mergedServer.value);
        if (mergedSettings.changes.length > 0) writeJson(settingsFile, mergedSettings.value);
      }
      const start = opts.channels ? ["claude", "--dangerously-load-development-channels", "server:linker"] : ["claude"];
      out.data({ name: settings.name, scope: opts.user ? "user" : "project", dryRun: opts.dryRun ?? false, files, start: shellCommand(start) });
      const shown = (path: string) => (opts.user ? path.replace(home, "~") : relative(project, path) || path);
      for (const file of files) {
        if (file.changes.length === 0) out.text(`${shown(file.path)}: unchanged`);
        else out.text(`${shown(file.path)}:`, ...file.changes.map((change) => `  ${opts.dryRun ? "would have " : ""}${change}`));
      }
      const who = pinName ? `"${settings.name}"` : "its folder's name";
      out.text(`Start Claude Code ${opts.user ? "in any project" : "here"}: ${shellCommand(start)}  (the session is ${who} on Linker)`);
      if (opts.channels) out.text("Channels push each message into the session; Claude Code turns them on only from its command line, as above.");
    });
}
