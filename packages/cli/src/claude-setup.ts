/**
 * What `linker init` writes into Claude Code's configuration, as pure merges
 * of parsed JSON: the `linker` MCP server (`.mcp.json`, or `~/.claude.json`
 * for the user scope), and in `.claude/settings.json` the hooks that show
 * messages (on prompts and tool calls, the drain before a turn ends, the
 * rewake waiters) and the monitor plugin's marketplace and enablement. All
 * run the same `linker` with the same name, hub and home, so they act as
 * one instance. Merging keeps everything else, replaces only what Linker
 * wrote before, and reports each change, so running it again changes nothing.
 */

/** A JSON object as read from a config file. */
export type JsonObject = { [key: string]: unknown };

/** How the MCP server is reached. */
export type McpServerEntry =
  | { command: string; args: string[] }
  | { type: "http"; url: string; headers: Record<string, string> };

/** The result of a merge: the new content and what changed, in words. */
export interface Merged {
  /** The merged object. */
  value: JsonObject;
  /** One line per change; empty when nothing changed. */
  changes: string[];
}

/** The name of the server in Claude Code (its tools are mcp__linker__*). */
export const SERVER_NAME = "linker";

/** The permission rule that lets the session call every linker tool without asking. */
export const TOOLS_PERMISSION = `mcp__${SERVER_NAME}`;

/** What `linker init` sets up in Claude Code's hooks and plugins. */
export interface SessionPlan {
  /** The `linker … hook` command line (UserPromptSubmit and PostToolUse inject, Stop drains). */
  hookCommand: string;
  /** A Stop hook that hands pending messages to the model before a turn ends. */
  drain: boolean;
  /** SessionStart + Stop asyncRewake hooks that wait for a message and wake an idle session (`linker hook --rewake`). */
  rewake?: { waitSeconds: number };
  /** The monitor plugin: its marketplace folder and the `plugin@marketplace` id to enable. */
  plugin?: { dir: string; id: string; marketplace: string };
  /** Approve the project's `.mcp.json` server (project scope). */
  approveProjectServer: boolean;
  /** A CA file Claude Code must trust for an https:// hub's /mcp (its `env.NODE_EXTRA_CA_CERTS`). */
  trustCa?: string;
}

/** Hook events Linker may own, in the order they are written. */
const LINKER_EVENTS = ["UserPromptSubmit", "PostToolUse", "Stop", "SessionStart"] as const;

/** What the model is told before the messages a rewake hook wakes it with. */
export const REWAKE_MESSAGE = "Linker woke this session: messages from other agents arrived while it was idle.";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A command line as one shell string, each word quoted when it needs it. */
export function shellCommand(words: string[]): string {
  return words.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** `linker` (or …/linker.js), its global options, then the hook subcommand. */
const LINKER_HOOK = /\blinker(\.js)?'?(\s+(-n|--name|--hub|--home|--description)\s+\S+|\s+--[a-z-]+)*\s+hook(\s|$)/;

/** True for a hook command Linker wrote (`linker [global options] hook …`), so a new one replaces it. */
export function isLinkerHookCommand(command: unknown): boolean {
  return typeof command === "string" && LINKER_HOOK.test(command);
}

/** `config` with `mcpServers.linker` set to `entry`. */
export function mergeMcpServer(config: JsonObject, entry: McpServerEntry, where: string): Merged {
  const servers = isObject(config.mcpServers) ? config.mcpServers : {};
  const current = servers[SERVER_NAME];
  if (same(current, entry)) return { value: config, changes: [] };
  const describe = "command" in entry ? `stdio: ${shellCommand([entry.command, ...entry.args])}` : `http: ${entry.url}`;
  return {
    value: { ...config, mcpServers: { ...servers, [SERVER_NAME]: entry } },
    changes: [`${current === undefined ? "added" : "replaced"} ${where}mcpServers.${SERVER_NAME} (${describe})`],
  };
}

/** The hook groups Linker wants on each event for `plan`. */
function wantedHooks(plan: SessionPlan): Record<(typeof LINKER_EVENTS)[number], JsonObject[]> {
  const inject = { type: "command", command: plan.hookCommand };
  const rewake = plan.rewake && {
    type: "command",
    command: `${plan.hookCommand} --rewake --wait-seconds ${plan.rewake.waitSeconds}`,
    asyncRewake: true,
    timeout: plan.rewake.waitSeconds + 60,
    rewakeMessage: REWAKE_MESSAGE,
    rewakeSummary: "Linker message",
  };
  const stop = [...(plan.drain ? [inject] : []), ...(rewake ? [rewake] : [])];
  return {
    UserPromptSubmit: [{ hooks: [inject] }],
    PostToolUse: [{ matcher: "*", hooks: [inject] }],
    Stop: stop.length > 0 ? [{ hooks: stop }] : [],
    SessionStart: rewake ? [{ hooks: [rewake] }] : [],
  };
}

/**
 * `settings` with Linker's hooks as `plan` wants them (earlier Linker hooks
 * replaced or removed, other hooks kept): `linker hook` on UserPromptSubmit
 * and PostToolUse, the drain on Stop, the rewake pair on SessionStart and
 * Stop; the monitor plugin's marketplace declared and the plugin enabled
 * (or both removed); the project's `.mcp.json` server approved when asked;
 * and the linker tools allowed.
 */
export function mergeSettings(settings: JsonObject, plan: SessionPlan): Merged {
  const changes: string[] = [];
  const hooks: JsonObject = isObject(settings.hooks) ? { ...settings.hooks } : {};
  const wanted = wantedHooks(plan);
  for (const event of LINKER_EVENTS) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    // Drop Linker's hooks from every group, and groups left empty by that.
    const others = groups
      .map((group) => (isObject(group) && Array.isArray(group.hooks) ? { ...group, hooks: group.hooks.filter((hook) => !(isObject(hook) && isLinkerHookCommand(hook.command))) } : group))
      .filter((group) => !(isObject(group) && Array.isArray(group.hooks) && group.hooks.length === 0));
    const next = [...others, ...wanted[event]];
    if (same(groups, next)) continue;
    const had = groups.length !== others.length || groups.some((group, i) => !same(group, others[i]));
    if (next.length === 0) {
      delete hooks[event];
      changes.push(`removed Linker's hooks.${event}`);
    } else {
      hooks[event] = next;
      const commands = [...new Set(wanted[event].flatMap((group) => (group.hooks as JsonObject[]).map((hook) => String(hook.command))))];
      changes.push(wanted[event].length === 0 ? `removed Linker's hooks.${event}` : `${had ? "replaced" : "added"} hooks.${event} (${commands.join("; ")})`);
    }
  }
  let value: JsonObject = { ...settings, hooks };
  value = mergePlugin(value, plan, changes);
  if (plan.approveProjectServer) {
    const approved = Array.isArray(settings.enabledMcpjsonServers) ? settings.enabledMcpjsonServers : [];
    if (!approved.includes(SERVER_NAME)) {
      value = { ...value, enabledMcpjsonServers: [...approved, SERVER_NAME] };
      changes.push(`added enabledMcpjsonServers ${SERVER_NAME} (the project's server needs no approval prompt)`);
    }
  }
  if (plan.trustCa !== undefined) {
    const env = isObject(settings.env) ? settings.env : {};
    if (env.NODE_EXTRA_CA_CERTS !== plan.trustCa) {
      value = { ...value, env: { ...env, NODE_EXTRA_CA_CERTS: plan.trustCa } };
      changes.push(`${env.NODE_EXTRA_CA_CERTS === undefined ? "added" : "replaced"} env.NODE_EXTRA_CA_CERTS ${plan.trustCa} (Claude Code trusts the hub's CA for /mcp)`);
    }
  }
  const permissions = isObject(settings.permissions) ? settings.permissions : {};
  const allow = Array.isArray(permissions.allow) ? permissions.allow : [];
  if (!allow.includes(TOOLS_PERMISSION)) {
    value = { ...value, permissions: { ...permissions, allow: [...allow, TOOLS_PERMISSION] } };
    changes.push(`added permissions.allow ${TOOLS_PERMISSION} (the linker tools run without a prompt)`);
  }
  return changes.length === 0 ? { value: settings, changes } : { value, changes };
}

/** Marketplaces and plugins Linker wrote: `linker-<digest>` and `linker@linker-<digest>`. */
const LINKER_MARKETPLACE = /^linker-[0-9a-f]{8}$/;

/** `settings` with the monitor plugin's marketplace and enablement as `plan` wants them; earlier ones Linker wrote are removed. */
function mergePlugin(settings: JsonObject, plan: SessionPlan, changes: string[]): JsonObject {
  const marketplaces: JsonObject = isObject(settings.extraKnownMarketplaces) ? { ...settings.extraKnownMarketplaces } : {};
  const plugins: JsonObject = isObject(settings.enabledPlugins) ? { ...settings.enabledPlugins } : {};
  let changed = false;
  for (const name of Object.keys(marketplaces)) {
    if (LINKER_MARKETPLACE.test(name) && name !== plan.plugin?.marketplace) {
      delete marketplaces[name];
      changes.push(`removed extraKnownMarketplaces.${name} (an earlier Linker monitor plugin)`);
      changed = true;
    }
  }
  for (const id of Object.keys(plugins)) {
    const [plugin, marketplace = ""] = id.split("@");
    if (plugin === "linker" && LINKER_MARKETPLACE.test(marketplace) && id !== plan.plugin?.id) {
      delete plugins[id];
      changes.push(`removed enabledPlugins.${id}`);
      changed = true;
    }
  }
  if (plan.plugin) {
    const source = { source: { source: "directory", path: plan.plugin.dir } };
    if (!same(marketplaces[plan.plugin.marketplace], source)) {
      marketplaces[plan.plugin.marketplace] = source;
      changes.push(`added extraKnownMarketplaces.${plan.plugin.marketplace} (the folder of Linker's monitor plugin)`);
      changed = true;
    }
    if (plugins[plan.plugin.id] !== true) {
      plugins[plan.plugin.id] = true;
      changes.push(`added enabledPlugins.${plan.plugin.id} (its monitor runs \`linker watch\`)`);
      changed = true;
    }
  }
  if (!changed) return settings;
  const next: JsonObject = { ...settings };
  if (Object.keys(marketplaces).length > 0) next.extraKnownMarketplaces = marketplaces;
  else delete next.extraKnownMarketplaces;
  if (Object.keys(plugins).length > 0) next.enabledPlugins = plugins;
  else delete next.enabledPlugins;
  return next;
}
