/**
 * The Claude Code plugin `linker init` writes: a local marketplace folder
 * holding one plugin whose monitor runs `linker watch` (with the same name,
 * hub and home as the MCP server and hooks `linker init` writes), so every
 * message that arrives wakes an idle interactive session with one line. The
 * project's settings declare the folder as a marketplace and enable the
 * plugin, and Claude Code loads it from there as it is. (The repository's
 * own plugin, in plugins/claude-code, bundles the MCP server and hooks too, for
 * installing with `claude plugin install`.)
 */
import { createHash } from "node:crypto";

/** The plugin's name in Claude Code (`linker@<marketplace>`). */
export const PLUGIN_NAME = "linker";

/** The monitor's description: Claude Code shows it with every line ("Monitor event: …"). */
export const MONITOR_DESCRIPTION = "Linker inbox";

/** Files of the plugin folder, by path relative to it. */
export type PluginFiles = Record<string, string>;

/** The name of the marketplace kept in `dir`: one per folder, since Claude Code remembers marketplaces by name for the whole user. */
export function marketplaceName(dir: string): string {
  return `linker-${createHash("sha256").update(dir).digest("hex").slice(0, 8)}`;
}

/** `plugin@marketplace`, the key of `enabledPlugins`. */
export function pluginId(dir: string): string {
  return `${PLUGIN_NAME}@${marketplaceName(dir)}`;
}

/**
 * The marketplace folder: its manifest and a plugin whose only part is a
 * monitor running `watchCommand` (a shell command line).
 */
export function monitorPluginFiles(dir: string, watchCommand: string, version: string): PluginFiles {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    ".claude-plugin/marketplace.json": json({
      name: marketplaceName(dir),
      owner: { name: "Linker" },
      description: "Written by `linker init`: the Linker monitor for this folder's Claude Code sessions.",
      plugins: [{ name: PLUGIN_NAME, source: "./plugin", description: "Wakes the session when a Linker message arrives." }],
    }),
    "plugin/.claude-plugin/plugin.json": json({
      name: PLUGIN_NAME,
      version,
      description: "Linker's monitor: each message from another agent wakes an idle session with one line (`linker watch`).",
    }),
    "plugin/monitors/monitors.json": json([{ name: "inbox", command: watchCommand, description: MONITOR_DESCRIPTION }]),
  };
}
