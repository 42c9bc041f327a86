import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** Messages remembered for replies by id (the most recent ones). */
const REMEMBERED = 500;

/**
 * What the agent has not read yet, kept from the event stream: messages stay
 * unread until a tool acknowledges them, so the hint on every tool result is
 * accurate without asking the hub. Also remembers recent messages by id so
 * `linker_reply` can answer one without another lookup.
 */
export class UnreadTracker {
  private readonly unread = new Map<string, Message>();
  private readonly recent = new Map<string, Message>();

  /** A message arrived on the stream. */
  received(message: Message): void {
    this.remember(message);
    if (!message.readAt) this.unread.set(message.id, message);
  }

  /** Messages were read (acknowledged) through a tool. */
  read(ids: Iterable<string>): void {
    for (const id of ids) this.unread.delete(id);
  }

  /**
   * Takes the hub's word for what is unread: `unread` is every unread message
   * (a complete listing). Messages read elsewhere meanwhile (by `linker hook`,
   * the CLI, another client of the same name) stop counting.
   */
  reconcile(unread: Message[]): void {
    const ids = new Set(unread.map((message) => message.id));
    for (const id of [...this.unread.keys()]) if (!ids.has(id)) this.unread.delete(id);
    for (const message of unread) this.received(message);
  }

  /** Remembers a message seen in a listing, for replies. */
  remember(message: Message): void {
    this.recent.delete(message.id);
    this.recent.set(message.id, message);
    if (this.recent.size > REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
  }

  /** A recently seen message by id. */
  find(id: string): Message | undefined {
    return this.recent.get(id) ?? this.unread.get(id);
  }

  /** Number of unread messages. */
  get count(): number {
    return this.unread.size;
  }

  /** One line for the end of a tool result, or "" when nothing waits. */
  hint(): string {
    if (this.unread.size === 0) return "";
    const senders = [...new Set([...this.unread.values()].map((m) => m.sender))];
    const from = senders.slice(0, 3).join(", ") + (senders.length > 3 ? ", …" : "");
    return `[linker] ${this.unread.size} unread message${this.unread.size === 1 ? "" : "s"} from ${from}: call linker_get_messages.`;
  }
}
