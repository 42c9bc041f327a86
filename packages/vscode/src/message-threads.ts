import { timestampMs, timestampNow } from "@bufbuild/protobuf/wkt";
import * as vscode from "vscode";
import type { Message, Receipt } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { ReceiptKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type LinkerClient } from "@linker/client";

/** A conversation: messages sharing a thread id. */
export interface Thread {
  /** The thread id. */
  id: string;
  /** Messages, oldest first. */
  messages: Message[];
  /** Everyone in the thread except this window ("*" for a broadcast). */
  peers: string[];
  /** Incoming messages not read yet. */
  unread: number;
  /** When the newest message was sent (ms). */
  lastAt: number;
  /** First line of the first message. */
  subject: string;
}

/** Most messages kept; the oldest go first. */
const MAX_MESSAGES = 2_000;
/** Page size of the initial load. */
const PAGE = 200;

/** When a message was sent, in ms (0 if unknown). */
export function sentAtMs(message: Message): number {
  return message.sentAt ? timestampMs(message.sentAt) : 0;
}

/**
 * The messages this window sent and received, grouped into threads, with read
 * state and read receipts. Fed by the initial inbox listing, live message
 * events, this window's own sends and thread expansions.
 */
export class MessageThreads implements vscode.Disposable {
  private readonly messages = new Map<string, Message>();
  private readonly readers = new Map<string, Set<string>>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fires after any change. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly me: () => string | undefined) {}

  /** Adds or updates messages (read state only moves forward). */
  add(...messages: (Message | undefined)[]): void {
    let changed = false;
    for (const message of messages) {
      if (!message || message.id === "") continue;
      const known = this.messages.get(message.id);
      if (known) {
        if (!message.readAt && known.readAt) message.readAt = known.readAt;
        if (!message.deliveredAt && known.deliveredAt) message.deliveredAt = known.deliveredAt;
        if (message.seq === 0n && known.seq !== 0n) message.seq = known.seq;
      }
      this.messages.set(message.id, message);
      changed = true;
    }
    if (!changed) return;
    this.trim();
    this.changeEmitter.fire();
  }

  /** A message by id. */
  get(id: string): Message | undefined {
    return this.messages.get(id);
  }

  /** True when this window did not send `message`. */
  isIncoming(message: Message): boolean {
    return message.sender !== this.me();
  }

  /** True for an incoming message not read yet. */
  isUnread(message: Message): boolean {
    return this.isIncoming(message) && !message.readAt;
  }

  /** Marks messages read here (after Ack). */
  markRead(ids: readonly string[]): void {
    let changed = false;
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message && !message.readAt) {
        message.readAt = timestampNow();
        changed = true;
      }
    }
    if (changed) this.changeEmitter.fire();
  }

  /** Records a read receipt for a message this window sent. */
  receipt(receipt: Receipt): void {
    if (receipt.kind !== ReceiptKind.READ) return;
    const readers = this.readers.get(receipt.messageId) ?? new Set<string>();
    readers.add(receipt.recipient);
    this.readers.set(receipt.messageId, readers);
    this.changeEmitter.fire();
  }

  /** Who has read a message this window sent. */
  readBy(id: string): string[] {
    return [...(this.readers.get(id) ?? [])];
  }

  /** Incoming messages not read yet. */
  unreadCount(): number {
    let count = 0;
    for (const message of this.messages.values()) if (this.isUnread(message)) count += 1;
    return count;
  }

  /** Every thread: those with unread messages first, then the most recent. */
  threads(): Thread[] {
    const byThread = new Map<string, Message[]>();
    for (const message of this.messages.values()) {
      const id = message.threadId || message.id;
      const list = byThread.get(id) ?? [];
      list.push(message);
      byThread.set(id, list);
    }
    const threads = [...byThread.entries()].map(([id, messages]) => this.describe(id, messages));
    return threads.sort((a, b) => Number(b.unread > 0) - Number(a.unread > 0) || b.lastAt - a.lastAt);
  }

  /** One thread. */
  thread(id: string): Thread | undefined {
    return this.threads().find((thread) => thread.id === id);
  }

  /** Loads the inbox (read and unread, peeking), oldest first, up to 2000 messages. */
  async load(client: LinkerClient): Promise<void> {
    let afterSeq = 0n;
    const loaded: Message[] = [];
    for (let page = 0; page < MAX_MESSAGES / PAGE; page++) {
      const response = await client.listMessages({ afterSeq, limit: PAGE });
      loaded.push(...response.messages);
      if (!response.hasMore || response.messages.length === 0) break;
      afterSeq = response.messages[response.messages.length - 1].seq;
    }
    this.add(...loaded);
  }

  /** Loads a whole thread (including what this window sent before it started). */
  async loadThread(client: LinkerClient, threadId: string): Promise<void> {
    const response = await client.getConversation({ selector: { case: "threadId", value: threadId }, pageSize: 200 });
    this.add(...response.messages);
  }

  /** Forgets everything (another hub or name). */
  clear(): void {
    this.messages.clear();
    this.readers.clear();
    this.changeEmitter.fire();
  }

  /** Stops the change events. */
  dispose(): void {
    this.changeEmitter.dispose();
  }

  private describe(id: string, messages: Message[]): Thread {
    messages.sort((a, b) => sentAtMs(a) - sentAtMs(b) || Number(a.seq - b.seq));
    const me = this.me();
    const peers = new Set<string>();
    for (const message of messages) {
      if (message.sender !== me) peers.add(message.sender);
      if (message.recipient !== me) peers.add(message.recipient);
    }
    peers.delete(me ?? "");
    return {
      id,
      messages,
      peers: [...peers].sort(),
      unread: messages.filter((message) => this.isUnread(message)).length,
      lastAt: Math.max(...messages.map(sentAtMs)),
      subject: (messages[0]?.body.split("\n")[0] ?? "").slice(0, 80),
    };
  }

  private trim(): void {
    if (this.messages.size <= MAX_MESSAGES) return;
    const oldest = [...this.messages.values()].sort((a, b) => sentAtMs(a) - sentAtMs(b)).slice(0, this.messages.size - MAX_MESSAGES);
    for (const message of oldest) this.messages.delete(message.id);
  }
}
