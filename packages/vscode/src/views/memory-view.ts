import { timestampMs } from "@bufbuild/protobuf/wkt";
import * as vscode from "vscode";
import { type MemoryEntry, MemoryChangeKind } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type DataEvent } from "@linker/client";
import type { HubConnection } from "../hub-connection.js";
import type { Log } from "../output-log.js";
import { relativeTime } from "../relative-time.js";

/** A shared memory key. */
export class MemoryItem extends vscode.TreeItem {
  constructor(readonly entry: MemoryEntry) {
    super(entry.key, vscode.TreeItemCollapsibleState.None);
    this.id = `memory:${entry.key}`;
    const value = entry.value.replace(/\s+/g, " ");
    this.description = `${value.length > 60 ? `${value.slice(0, 60)}…` : value} · rev ${entry.revision}`;
    this.iconPath = new vscode.ThemeIcon("symbol-key");
    this.contextValue = "memoryEntry";
    const updated = entry.updatedAt ? relativeTime(timestampMs(entry.updatedAt)) : "";
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${entry.key}** — revision ${entry.revision}${entry.updatedBy ? `, set by ${entry.updatedBy}` : ""}${updated ? ` ${updated}` : ""}\n\n`);
    tooltip.appendCodeblock(entry.value.length > 2000 ? `${entry.value.slice(0, 2000)}…` : entry.value, "text");
    if (entry.expiresAt) tooltip.appendMarkdown(`\n\nExpires ${new Date(timestampMs(entry.expiresAt)).toLocaleString()}`);
    this.tooltip = tooltip;
  }
}

/**
 * The Memory view: every shared key with its value and revision. Edits are
 * compare-and-set against the revision shown, so a concurrent change is
 * reported instead of overwritten. Memory events keep it current.
 */
export class MemoryView implements vscode.TreeDataProvider<MemoryItem>, vscode.Disposable {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly changeEmitter = new vscode.EventEmitter<MemoryItem | undefined>();
  private readonly subscriptions: vscode.Disposable[];
  /** Tells VS Code the tree changed. */
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly connection: HubConnection,
    private readonly log: Log,
  ) {
    this.subscriptions = [connection.onEvent((event) => this.onEvent(event)), connection.onDidConnect(() => void this.refresh())];
  }

  /** Reloads every key from the hub (up to 5000). */
  async refresh(): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    try {
      const entries: MemoryEntry[] = [];
      let pageToken = "";
      for (let page = 0; page < 5; page++) {
        const response = await client.listMemory({ pageSize: 1000, pageToken });
        entries.push(...response.entries);
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      this.entries.clear();
      for (const entry of entries) this.entries.set(entry.key, entry);
      this.changeEmitter.fire(undefined);
    } catch (err) {
      this.log.warn(`Memory view: cannot list memory: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A known entry. */
  get(key: string): MemoryEntry | undefined {
    return this.entries.get(key);
  }

  /** Every known key, in order. */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Records an entry written by this window, before its event arrives. */
  upsert(entry: MemoryEntry): void {
    const known = this.entries.get(entry.key);
    if (known && known.revision > entry.revision) return;
    this.entries.set(entry.key, entry);
    this.changeEmitter.fire(undefined);
  }

  /** Forgets a key deleted by this window. */
  remove(key: string): void {
    if (this.entries.delete(key)) this.changeEmitter.fire(undefined);
  }

  /** The tree item of an element. */
  getTreeItem(element: MemoryItem): vscode.TreeItem {
    return element;
  }

  /** The keys, in order. */
  getChildren(element?: MemoryItem): MemoryItem[] {
    if (element) return [];
    return this.keys().map((key) => new MemoryItem(this.entries.get(key)!));
  }

  /** Stops listening. */
  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changeEmitter.dispose();
  }

  private onEvent(event: DataEvent): void {
    if (event.type !== "memory" || !event.change.entry) return;
    const { entry, kind } = event.change;
    if (kind === MemoryChangeKind.PUT) this.upsert(entry);
    else {
      const known = this.entries.get(entry.key);
      if (known && known.revision <= entry.revision) this.remove(entry.key);
    }
  }
}
