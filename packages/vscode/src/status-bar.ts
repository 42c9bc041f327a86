import * as vscode from "vscode";
import type { HubConnection, HubMode } from "./hub-connection.js";
import type { MessageThreads } from "./message-threads.js";

const MODE_TEXT: Record<HubMode, [string, string]> = {
  starting: ["$(sync~spin)", "connecting"],
  hub: ["$(radio-tower)", "hub"],
  client: ["$(plug)", "client"],
  reconnecting: ["$(sync~spin)", "reconnecting"],
  offline: ["$(debug-disconnect)", "offline"],
};

const MODE_TOOLTIP: Record<HubMode, string> = {
  starting: "Connecting to the Linker hub…",
  hub: "This window hosts the Linker hub; when it closes, another window takes it over.",
  client: "Connected to the Linker hub another process hosts.",
  reconnecting: "The hub went away; reconnecting (or taking it over).",
  offline: "No Linker hub reachable; retrying. Click for the log.",
};

/** The status-bar text for a mode and unread count. */
export function statusText(mode: HubMode, unread: number): string {
  const [icon, label] = MODE_TEXT[mode];
  return `${icon} Linker: ${label}${unread > 0 ? ` $(mail) ${unread}` : ""}`;
}

/**
 * The status-bar item: hub or client mode (or reconnecting/offline) and the
 * unread count. Clicking opens the Messages view when something is unread,
 * the window list when connected, and the log when offline.
 */
export class StatusBar implements vscode.Disposable {
  /** The item. */
  readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly connection: HubConnection,
    private readonly threads: MessageThreads,
  ) {
    this.item = vscode.window.createStatusBarItem("claudeTeam.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Claude Team";
    this.subscriptions = [connection.onDidChangeMode(() => this.update()), threads.onDidChange(() => this.update())];
    this.update();
    this.item.show();
  }

  /** Redraws the item. */
  update(): void {
    const mode = this.connection.mode;
    const unread = this.threads.unreadCount();
    this.item.text = statusText(mode, unread);
    const who = this.connection.name ? `${this.connection.name} on ${this.connection.hubUrl}` : this.connection.hubUrl;
    const how = mode === "hub" && this.connection.hostingPath ? `\nThe hub runs ${this.connection.hostingPath}.` : "";
    this.item.tooltip = `${who}\n${MODE_TOOLTIP[mode]}${how}${unread > 0 ? `\n${unread} unread message${unread === 1 ? "" : "s"}` : ""}${
      mode === "offline" && this.connection.lastError ? `\n${this.connection.lastError}` : ""
    }`;
    this.item.command = mode === "offline" ? "claudeTeam.showLog" : unread > 0 ? "claudeTeam.messages.focus" : "claudeTeam.showWindows";
    this.item.backgroundColor = mode === "offline" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  /** Removes the item. */
  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}
