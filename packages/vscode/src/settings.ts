import * as vscode from "vscode";
import { linkerHome } from "@linker/protocol";

/** The configuration section of every setting. */
export const SETTINGS_SECTION = "claudeTeam";

/** The extension's settings, with defaults applied. */
export interface Settings {
  /** Port of the hub on this machine (the seed's `claudeTeam.hubPort`). */
  hubPort: number;
  /** Hub URLs in order of preference; empty means the loopback URL on `hubPort`. */
  hubUrls: string[];
  /** Host the hub here when nobody serves the loopback URL, and take it over when it dies. */
  autoHub: boolean;
  /** Folder of the shared hub.db and sessions; empty means `$LINKER_HOME` or ~/.linker. */
  dataDir: string;
  /** A Node.js 22.13+ executable to host the hub with when the extension host cannot; empty means VS Code's runtime, then `node` on PATH. */
  nodePath: string;
  /** Answer incoming queries automatically. */
  autoRespond: boolean;
  /** Let the auto-responder run the claude CLI for queries its heuristics cannot answer. */
  useClaudeCli: boolean;
  /** The claude CLI to run. */
  claudePath: string;
  /** Seconds a claude CLI answer may take. */
  claudeTimeoutSeconds: number;
  /** This window's name on the hub; empty derives it from the workspace. */
  windowName: string;
  /** Attach workspace context to what this window sends. */
  shareContext: boolean;
  /** Seconds Send Query waits for the answer. */
  askTimeoutSeconds: number;
}

/** Settings whose change needs a new hub connection. */
export const CONNECTION_SETTINGS = ["hubPort", "hubUrls", "autoHub", "dataDir", "nodePath", "windowName"] as const;

/** Reads the settings from a configuration section (defaults for anything unset or malformed). */
export function readSettings(config: Pick<vscode.WorkspaceConfiguration, "get"> = vscode.workspace.getConfiguration(SETTINGS_SECTION)): Settings {
  const number = (key: string, fallback: number, min: number, max: number) => {
    const value = config.get<number>(key);
    return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
  };
  const text = (key: string, fallback: string) => {
    const value = config.get<string>(key);
    return typeof value === "string" ? value.trim() : fallback;
  };
  const flag = (key: string, fallback: boolean) => {
    const value = config.get<boolean>(key);
    return typeof value === "boolean" ? value : fallback;
  };
  const urls = config.get<unknown>("hubUrls");
  return {
    hubPort: Math.round(number("hubPort", 3847, 1, 65535)),
    hubUrls: Array.isArray(urls) ? urls.filter((url): url is string => typeof url === "string" && url.trim() !== "").map((url) => url.trim()) : [],
    autoHub: flag("autoHub", true),
    dataDir: text("dataDir", "") || linkerHome(process.env),
    nodePath: text("nodePath", ""),
    autoRespond: flag("autoRespond", false),
    useClaudeCli: flag("useClaudeCli", false),
    claudePath: text("claudePath", "claude") || "claude",
    claudeTimeoutSeconds: number("claudeTimeoutSeconds", 120, 1, 3600),
    windowName: text("windowName", ""),
    shareContext: flag("shareContext", true),
    askTimeoutSeconds: number("askTimeoutSeconds", 45, 1, 50),
  };
}

/** The hub URLs to use: the configured list, or the loopback URL on the hub port. */
export function hubUrlsOf(settings: Pick<Settings, "hubUrls" | "hubPort">): string[] {
  return settings.hubUrls.length > 0 ? settings.hubUrls.map((url) => url.replace(/\/+$/, "")) : [`http://127.0.0.1:${settings.hubPort}`];
}

/** True when a configuration change touches a setting that needs a new hub connection. */
export function affectsConnection(event: Pick<vscode.ConfigurationChangeEvent, "affectsConfiguration">): boolean {
  return CONNECTION_SETTINGS.some((key) => event.affectsConfiguration(`${SETTINGS_SECTION}.${key}`));
}
