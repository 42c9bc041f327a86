/**
 * What `linker init` writes into Claude Code's configuration, as pure merges
 * of parsed JSON: the `linker` MCP server (`.mcp.json`, or `~/.claude.json`
 * for the user scope) and the hooks that inject messages (`.claude/settings.json`).
 * Both run the same `linker` with the same name, hub and home, so they act as
 * one instance. Merging keeps everything else, replaces only what Linker wrote
 * before, and reports each change, so running it again changes nothing.
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

/** Hook events `linker hook` answers, with the matcher each needs. */
const HOOK_EVENTS: Array<{ event: string; matcher?: string }> = [{ event: "UserPromptSubmit" }, { event: "PostToolUse", matcher: "*" }];

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

/**
 * `settings` with the `linker hook` command on UserPromptSubmit and
 * PostToolUse (earlier Linker hooks replaced, other hooks kept), and, when
 * asked, the project's `.mcp.json` server approved and the linker tools allowed.
 */
export function mergeSettings(settings: JsonObject, hookCommand: string, options: { approveProjectServer: boolean }): Merged {
  const changes: string[] = [];
  const hooks: JsonObject = isObject(settings.hooks) ? { ...settings.hooks } : {};
  for (const { event, matcher } of HOOK_EVENTS) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    const wanted = { ...(matcher ? { matcher } : {}), hooks: [{ type: "command", command: hookCommand }] };
    // Drop Linker's hooks from every group, and groups left empty by that.
    const others = groups
      .map((group) => (isObject(group) && Array.isArray(group.hooks) ? { ...group, hooks: group.hooks.filter((hook) => !(isObject(hook) && isLinkerHookCommand(hook.command))) } : group))
      .filter((group) => !(isObject(group) && Array.isArray(group.hooks) && group.hooks.length === 0));
    const next = [...others, wanted];
    if (!same(groups, next)) {
      const had = groups.length !== others.length || groups.some((group, i) => !same(group, others[i]));
      changes.push(`${had ? "replaced" : "added"} hooks.${event} (${hookCommand})`);
      hooks[event] = next;
    }
  }
  let value: JsonObject = { ...settings, hooks };
  if (options.approveProjectServer) {
    const approved = Array.isArray(settings.enabledMcpjsonServers) ? settings.enabledMcpjsonServers : [];
    if (!approved.includes(SERVER_NAME)) {
      value = { ...value, enabledMcpjsonServers: [...approved, SERVER_NAME] };
      changes.push(`added enabledMcpjsonServers ${SERVER_NAME} (the project's server needs no approval prompt)`);
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
