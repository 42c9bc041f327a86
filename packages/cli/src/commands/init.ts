import { mkdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { Command } from "commander";
import { cleartextRefusal, DEFAULT_HUB_URL } from "@linker/protocol";
import { CliError } from "../cli-error.js";
import { marketplaceName, monitorPluginFiles, pluginId } from "../claude-plugin.js";
import { type JsonObject, type McpServerEntry, mergeMcpServer, mergeSettings, type SessionPlan, shellCommand } from "../claude-setup.js";
import { contextOf } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS } from "../hook/run-hook.js";
import { packageVersion } from "../package-version.js";
import { integerArg } from "../parsers.js";
import { type PushPaths, pushPathLines } from "../push-paths.js";
import { parseHubUrls } from "../settings.js";

interface InitOptions {
  user?: boolean;
  http?: string;
  channels?: boolean;
  monitor: boolean;
  drain: boolean;
  rewake?: boolean;
  waitSeconds?: number;
  bridge?: boolean;
  dryRun?: boolean;
}

/** One file (or folder) `linker init` looked at. */
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

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.linker-${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

function writeJson(path: string, value: JsonObject): void {
  writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The files of a monitor plugin `linker init` wrote in `dir` (its marketplace named for that folder), relative to it; none when it is not ours. */
function writtenPluginFiles(dir: string): string[] {
  const manifest = readText(join(dir, ".claude-plugin", "marketplace.json"));
  try {
    if (!manifest || (JSON.parse(manifest) as { name?: unknown }).name !== marketplaceName(dir)) return [];
  } catch {
    return [];
  }
  return Object.keys(monitorPluginFiles(dir, "", "")).filter((path) => readText(join(dir, path)) !== undefined);
}

/** Removes `paths` from `dir`, then the folders they leave empty (anything else there stays). */
function removePluginFiles(dir: string, paths: string[]): void {
  for (const path of paths) rmSync(join(dir, path), { force: true });
  const folders = [...new Set(paths.flatMap((path) => path.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))))];
  for (const folder of [...folders.sort((a, b) => b.length - a.length), ""]) {
    try {
      rmdirSync(join(dir, folder));
    } catch {
      // not empty: something else lives there
    }
  }
}

/** The `linker` this process runs: node and the script, as absolute paths. */
function linkerCommand(): string[] {
  return [process.execPath, realpathSync(process.argv[1])];
}

/** Which push paths the options ask for; a combination that cannot work is a usage error. */
function pushPaths(opts: InitOptions): PushPaths {
  const refuse = (what: string, hint: string) => {
    throw new CliError(what, ExitCode.usage, hint);
  };
  if (opts.bridge && (!opts.monitor || opts.rewake || opts.channels || opts.http)) {
    refuse("--bridge runs in the monitor plugin, which --no-monitor, --rewake, --channels and --http leave out", "pass --bridge alone (with the default monitor)");
  }
  if (opts.rewake && opts.http) refuse("--rewake waits with the session of a local MCP server; with --http the Stop hook drains instead", "leave --rewake out");
  if (opts.waitSeconds !== undefined && !opts.rewake) refuse("--wait-seconds bounds the rewake waiter", "pass it with --rewake");
  return {
    // Rewake replaces the plugin; channels already push; a container's session lives in the remote hub.
    monitor: opts.monitor && !opts.rewake && !opts.channels && !opts.http,
    drain: opts.drain,
    rewake: opts.rewake ?? false,
    bridge: opts.bridge ?? false,
    channels: opts.channels ?? false,
  };
}

/** `linker init`: sets Claude Code up so its MCP server, hooks and monitor act as one Linker instance. */
export function initCommand(): Command {
  return new Command("init")
    .summary("set Claude Code up: the MCP server, the hooks and the monitor, as one instance")
    .description(
      "Write or merge the project's .mcp.json and .claude/settings.json (and the monitor plugin's folder) so Claude Code's linker MCP server, hooks and monitor act as the same instance on the same hub",
    )
    .option("--user", "configure every project of this user (~/.claude.json and ~/.claude/settings.json) instead of this one")
    .option("--http <url>", "reach a remote hub's MCP endpoint (a container with no local hub): https:// beyond this machine, trusting --ca; the agent key comes from LINKER_KEY")
    .option("--no-monitor", "leave out the monitor plugin (linker watch), which wakes an idle interactive session")
    .option("--no-drain", "leave out the Stop hook that hands waiting messages to the model before its turn ends")
    .option("--rewake", "wake an idle session with SessionStart + Stop asyncRewake hooks instead of the plugin (settings only)")
    .option("--wait-seconds <n>", `with --rewake, how long each waiter waits at most (default ${DEFAULT_WAIT_SECONDS})`, integerArg(1, MAX_WAIT_SECONDS))
    .option("--bridge", "also show remote Linker agents in Claude Code's ListAgents and carry its SendMessage to them (runs in the monitor)")
    .option("--channels", "also print how to start Claude Code with channel push (a command-line choice of Claude Code; the monitor is left out)")
    .option("--dry-run", "show what would change without writing")
    .addHelpText(
      "after",
      `
Run it in the project folder, then start \`claude\` there. The MCP server, the
hooks and the monitor all run this \`linker\` with the same --name (the folder's,
or --name), --hub and --home, so they share one inbox. Running it again changes
nothing; it prints each change it makes, then one line per way a message reaches
the session. It also approves the project's linker server and allows the linker
tools (mcp__linker) so they run without a prompt.

By default a message wakes an idle interactive session through the monitor of a
small plugin (written to .claude/linker-plugin and enabled in the settings), and
a Stop hook hands waiting messages to the model before a turn ends, in
\`claude -p\` runs too. A message shown by one path is not shown again by another.

With --user the server, hooks and monitor apply to every project, each acting as
its own folder's name (pass --name to pin one). With --http the session reaches
the hub's /mcp endpoint with no local process; the hub must bind beyond loopback
and serve TLS (\`linker hub --host 0.0.0.0 --auth keys --tls-self-signed\`), --ca
names a copy of its ca.pem (Claude Code trusts it through env.NODE_EXTRA_CA_CERTS
in the settings, the hook through --ca), and LINKER_KEY must hold an agent key
that binds the name (\`linker key create NAME\` on the hub's machine) where Claude
Code runs.

Examples:
  linker init
  linker --name backend init
  linker init --rewake
  linker init --bridge
  linker init --user
  linker --ca ca.pem --name api-container init --http https://host.docker.internal:3847
  linker init --channels`,
    )
    .action((opts: InitOptions, command: Command) => {
      const { settings, out } = contextOf(command);
      const named = settings.nameSource === "--name" || settings.nameSource === "LINKER_NAME";
      if (opts.user && opts.http && !named) {
        throw new CliError("--user with --http needs a fixed --name: the HTTP endpoint learns the name from a header", ExitCode.usage, "pass --name, or leave --user out");
      }
      const paths = pushPaths(opts);
      const pinName = !opts.user || named;
      const global: string[] = [];
      if (pinName) global.push("--name", settings.name);
      const explicitHome = command.optsWithGlobals<{ home?: string }>().home !== undefined;
      if (explicitHome) global.push("--home", settings.home);
      const defaultHubs = settings.hubs.length === 1 && settings.hubs[0] === DEFAULT_HUB_URL;
      if (!defaultHubs && !opts.http) global.push("--hub", settings.hubs.join(","));

      let server: McpServerEntry;
      let hookWords: string[];
      let trustCa: string | undefined;
      if (opts.http) {
        const [base] = parseHubUrls(opts.http, "--http");
        const url = new URL(base);
        const { protocol, host } = url;
        if (cleartextRefusal(url) !== undefined) {
          throw new CliError(
            `--http ${base} would send the agent key in clear text to ${host}; nothing was changed`,
            ExitCode.usage,
            `serve the hub over TLS (\`linker hub --host 0.0.0.0 --auth keys --tls-self-signed\`), copy its ca.pem here, and run \`linker --ca ca.pem --name ${settings.name} init --http https://${host}\``,
          );
        }
        if (protocol === "https:" && settings.caPath !== undefined) trustCa = resolve(settings.caPath);
        server = { type: "http", url: `${base}/mcp`, headers: { "X-Linker-Name": settings.name, Authorization: "Bearer ${LINKER_KEY}" } };
        hookWords = [...linkerCommand(), "--name", settings.name, ...(trustCa ? ["--ca", trustCa] : []), "hook", "--http", base];
      } else {
        server = { command: process.execPath, args: [realpathSync(process.argv[1]), ...global, "mcp"] };
        hookWords = [...linkerCommand(), ...global, "hook"];
      }
      const project = resolve(process.cwd());
      const home = homedir();
      const serverFile = opts.user ? join(home, ".claude.json") : join(project, ".mcp.json");
      const settingsFile = opts.user ? join(home, ".claude", "settings.json") : join(project, ".claude", "settings.json");
      const pluginDir = join(opts.user ? join(home, ".claude") : join(project, ".claude"), "linker-plugin");
      const plan: SessionPlan = {
        hookCommand: shellCommand(hookWords),
        drain: paths.drain,
        rewake: paths.rewake ? { waitSeconds: opts.waitSeconds ?? DEFAULT_WAIT_SECONDS } : undefined,
        plugin: paths.monitor ? { dir: pluginDir, id: pluginId(pluginDir), marketplace: marketplaceName(pluginDir) } : undefined,
        approveProjectServer: !opts.user,
        trustCa,
      };
      const mergedServer = mergeMcpServer(readJson(serverFile), server, "");
      const mergedSettings = mergeSettings(readJson(settingsFile), plan);
      const watchCommand = shellCommand([...linkerCommand(), ...global, "watch", ...(paths.bridge ? ["--bridge"] : [])]);
      const pluginFiles = paths.monitor ? Object.entries(monitorPluginFiles(pluginDir, watchCommand, packageVersion())) : [];
      const stalePlugin = pluginFiles.filter(([path, text]) => readText(join(pluginDir, path)) !== text);
      const unusedPlugin = paths.monitor ? [] : writtenPluginFiles(pluginDir);
      const files: FileChange[] = [
        { path: serverFile, changes: mergedServer.changes },
        { path: settingsFile, changes: mergedSettings.changes },
        ...(paths.monitor ? [{ path: pluginDir, changes: stalePlugin.map(([path]) => `wrote ${path}${path.endsWith("monitors.json") ? ` (monitor: ${watchCommand})` : ""}`) }] : []),
        ...(unusedPlugin.length > 0 ? [{ path: pluginDir, changes: unusedPlugin.map((path) => `removed ${path} (the monitor is off)`) }] : []),
      ];
      if (!opts.dryRun) {
        if (mergedServer.changes.length > 0) writeJson(serverFile, mergedServer.value);
        if (mergedSettings.changes.length > 0) writeJson(settingsFile, mergedSettings.value);
        for (const [path, text] of stalePlugin) writeFile(join(pluginDir, path), text);
        removePluginFiles(pluginDir, unusedPlugin);
      }
      const start = opts.channels ? ["claude", "--dangerously-load-development-channels", "server:linker"] : ["claude"];
      out.data({ name: settings.name, scope: opts.user ? "user" : "project", dryRun: opts.dryRun ?? false, files, push: paths, start: shellCommand(start) });
      const shown = (path: string) => (opts.user ? path.replace(home, "~") : relative(project, path) || path);
      for (const file of files) {
        if (file.changes.length === 0) out.text(`${shown(file.path)}: unchanged`);
        else out.text(`${shown(file.path)}:`, ...file.changes.map((change) => `  ${opts.dryRun ? "would have " : ""}${change}`));
      }
      out.text("How a message from another agent reaches the session:", ...pushPathLines(paths, Boolean(opts.http)));
      const who = pinName ? `"${settings.name}"` : "its folder's name";
      out.text(`Start Claude Code ${opts.user ? "in any project" : "here"}: ${shellCommand(start)}  (the session is ${who} on Linker)`);
      if (opts.channels) out.text("Channels push each message into the session; Claude Code turns them on only from its command line, as above.");
    });
}
