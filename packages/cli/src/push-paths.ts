/** Which ways of reaching a Claude Code session `linker init` set up. */
export interface PushPaths {
  /** The monitor plugin (`linker watch`): wakes an idle interactive session. */
  monitor: boolean;
  /** The Stop hook that hands waiting messages to the model before a turn ends. */
  drain: boolean;
  /** SessionStart + Stop asyncRewake hooks (`linker hook --rewake`). */
  rewake: boolean;
  /** Remote Linker agents in Claude Code's ListAgents/SendMessage (`linker watch --bridge`). */
  bridge: boolean;
  /** `claude/channel` push, for sessions started with development channels. */
  channels: boolean;
}

/** One line per way a message can reach the session: on or off, and what it does. */
export function pushPathLines(paths: PushPaths, http: boolean): string[] {
  const row = (name: string, on: boolean, what: string) => `  ${name.padEnd(9)} ${on ? "on " : "off"}  ${what}`;
  return [
    row("monitor", paths.monitor, `the plugin's monitor (linker watch) wakes an idle interactive session with one line per message${http ? " (needs a local MCP server, not --http)" : ""}`),
    row("drain", paths.drain, "a Stop hook hands waiting messages to the model before its turn ends, in claude -p too"),
    row("hooks", true, "every prompt and tool call adds unread messages as context (linker hook)"),
    row("rewake", paths.rewake, "SessionStart + Stop asyncRewake hooks wake an idle session, settings only (--rewake)"),
    row("bridge", paths.bridge, "remote Linker agents show in Claude Code's ListAgents and get its SendMessage (--bridge)"),
    row("channels", paths.channels, "claude/channel push, for sessions started with development channels (--channels)"),
  ];
}
