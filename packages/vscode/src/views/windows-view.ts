import { timestampMs } from "@bufbuild/protobuf/wkt";
import * as vscode from "vscode";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Instance, Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { type DataEvent } from "@linker/client";
import type { HubConnection } from "../hub-connection.js";
import type { Log } from "../output-log.js";
import { relativeTime } from "../relative-time.js";

/** One instance in the Windows view. */
export class InstanceItem extends vscode.TreeItem {
  constructor(
    readonly instance: Instance,
    self: boolean,
  ) {
    super(instance.name, vscode.TreeItemCollapsibleState.None);
    const online = instance.presence === Presence.ONLINE;
    const workspace = instance.workspace;
    this.id = `instance:${instance.name}`;
    this.description = [
      self ? "this window" : online ? "online" : "offline",
      workspace?.project,
      workspace?.gitBranch ? `⎇ ${workspace.gitBranch}` : "",
      instance.status,
    ]
      .filter((part) => part)
      .join(" · ");
    this.iconPath = online
      ? new vscode.ThemeIcon("circle-filled", new vscode.ThemeColor("charts.green"))
      : new vscode.ThemeIcon("circle-outline", new vscode.ThemeColor("disabledForeground"));
    this.contextValue = self ? "self" : online ? "instance.online" : "instance.offline";
    const lastSeen = instance.lastSeenAt ? relativeTime(timestampMs(instance.lastSeenAt)) : "";
    this.tooltip = new vscode.MarkdownString(
      [
        `**${instance.name}** — ${online ? "online" : `offline${lastSeen ? `, last seen ${lastSeen}` : ""}`}`,
        instance.description,
        instance.status ? `Status: ${instance.status}` : "",
        workspace?.project ? `Project: ${workspace.project}${workspace.path ? ` (\`${workspace.path}\`)` : ""}` : "",
        workspace?.gitBranch ? `Branch: ${workspace.gitBranch}` : "",
        workspace?.host ? `Host: ${workspace.host}` : "",
        instance.client ? `Client: ${instance.client}` : "",
        instance.capabilities.length > 0 ? `Capabilities: ${instance.capabilities.join(", ")}` : "",
      ]
        .filter((line) => line)
        .join("\n\n"),
    );
  }
}

/**
 * The Windows view: every instance on the hub with its presence, status,
 * workspace and branch, online ones first. Presence events keep it current
 * without polling.
 */
export class WindowsView implements vscode.TreeDataProvider<InstanceItem>, vscode.Disposable {
  private readonly instances = new Map<string, Instance>();
  private readonly changeEmitter = new vscode.EventEmitter<InstanceItem | undefined>();
  private readonly subscriptions: vscode.Disposable[];
  /** Tells VS Code the tree changed. */
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly connection: HubConnection,
    private readonly log: Log,
  ) {
    this.subscriptions = [
      connection.onEvent((event) => this.onEvent(event)),
      connection.onDidConnect(() => void this.refresh()),
    ];
  }

  /** Reloads the instance list from the hub. */
  async refresh(): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    try {
      const instances = await client.listInstances();
      this.instances.clear();
      for (const instance of instances) this.instances.set(instance.name, instance);
      this.changeEmitter.fire(undefined);
    } catch (err) {
      this.log.warn(`Windows view: cannot list instances: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Every known instance, online first, then by name. */
  list(): Instance[] {
    return [...this.instances.values()].sort(
      (a, b) => Number(b.presence === Presence.ONLINE) - Number(a.presence === Presence.ONLINE) || a.name.localeCompare(b.name),
    );
  }

  /** The instances other than this window that are online. */
  online(): Instance[] {
    return this.list().filter((instance) => instance.presence === Presence.ONLINE && instance.name !== this.connection.name);
  }

  /** The tree item of an element. */
  getTreeItem(element: InstanceItem): vscode.TreeItem {
    return element;
  }

  /** The instances (the view is flat). */
  getChildren(element?: InstanceItem): InstanceItem[] {
    if (element) return [];
    return this.list().map((instance) => new InstanceItem(instance, instance.name === this.connection.name));
  }

  /** Stops listening. */
  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changeEmitter.dispose();
  }

  private onEvent(event: DataEvent): void {
    if (event.type !== "presence" || !event.change.instance) return;
    const instance = event.change.instance;
    if (event.change.kind === PresenceChangeKind.REMOVED) this.instances.delete(instance.name);
    else this.instances.set(instance.name, instance);
    this.changeEmitter.fire(undefined);
  }
}
