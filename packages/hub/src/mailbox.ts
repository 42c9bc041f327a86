import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import {
  type Attachment,
  AttachmentSchema,
  type Message,
  MessageKind,
  MessageSchema,
  Priority,
  ReceiptKind,
  ReceiptSchema,
} from "@linker/protocol/gen/linker/v1/message_pb.js";
import { AlreadyExistsError, InvalidArgumentError, LimitExceededError, NotFoundError } from "./errors.js";
import { appendEvents } from "./event-log.js";
import type { HubDeps } from "./hub-deps.js";
import { BacklogGauge } from "./backlog-gauge.js";
import { RateLimiter } from "./rate-limit.js";
import type { Registry } from "./registry.js";
import { type ConversationPage, EVERYONE, type NewEvent, type StoreTx } from "./store/store.js";

/** What a sender may set on a new message; the hub fills in the rest. */
export interface Draft {
  /** Message kind. */
  kind: MessageKind;
  /** Text. */
  body: string;
  /** Structured content. */
  attachment?: Attachment;
  /** Thread to add to. */
  threadId: string;
  /** Message answered. */
  replyTo: string;
  /** Retry key. */
  idempotencyKey: string;
  /** Urgency. */
  priority: Priority;
  /** Seconds to stay deliverable unread (0 = until read). */
  ttlSeconds: number;
  /** Metadata. */
  metadata: { [key: string]: string };
  /** Hub-chosen id (Ask picks it before sending); random when absent. */
  id?: string;
}

/** Result of a direct send. */
export interface SendResult {
  /** The stored message. */
  message: Message;
  /** True when the idempotency key matched an earlier message. */
  duplicate: boolean;
  /** Whether the recipient was online. */
  recipientOnline: boolean;
}

/** Result of a broadcast. */
export interface BroadcastResult {
  /** The stored message. */
  message: Message;
  /** Who received it. */
  recipients: string[];
  /** Who was left out because their backlog is full. */
  skipped: string[];
  /** True when the idempotency key matched an earlier broadcast. */
  duplicate: boolean;
}

/** Listens for stored messages (Ask waits for replies this way). */
export type MessageListener = (message: Message) => void;

/**
 * Per-instance mailboxes: direct and broadcast sends, store-and-forward,
 * read and delivery receipts, inbox listing and conversations. Every send is
 * committed before it is acknowledged and reaches live subscribers only after
 * the commit.
 */
export class Mailbox {
  private readonly rateLimiter: RateLimiter;
  private readonly backlog: BacklogGauge;
  private readonly listeners = new Set<MessageListener>();
  private readonly undelivered = new Map<string, string[]>();
  private flushingDelivered = false;
  private sendCount = 0;

  constructor(
    private readonly deps: HubDeps,
    private readonly registry: Registry,
  ) {
    this.rateLimiter = new RateLimiter(deps.config.limits.sendRatePerSecond, deps.config.limits.sendBurst);
    this.backlog = new BacklogGauge(deps.config.limits.maxBacklogPerInstance);
  }

  /** Calls `listener` with every message after it commits; returns an unsubscribe function. */
  onMessage(listener: MessageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a direct message from `sender` to `recipient`. */
  async send(sender: string, recipient: string, draft: Draft): Promise<SendResult> {
    const { store, clock, config, presence } = this.deps;
    this.checkContent(draft);
    this.checkRate(sender);
    const now = clock.now();
    const result = await store.transaction(async (tx): Promise<SendResult> => {
      const earlier = await this.findDuplicate(tx, sender, recipient, draft);
      if (earlier) return { message: earlier, duplicate: true, recipientOnline: presence.isOnline(recipient) };
      await this.registry.require(tx, recipient);
      const unread = await this.backlog.overflow(tx, recipient, 1, now);
      if (unread !== undefined) {
        throw new LimitExceededError(
          `the mailbox of "${recipient}" is full (${unread} unread messages, limit ${config.limits.maxBacklogPerInstance}); retry after it reads its messages`,
        );
      }
      const message = await this.compose(tx, sender, recipient, draft, now);
      if (this.shouldDrop()) return { message, duplicate: false, recipientOnline: presence.isOnline(recipient) };
      await tx.insertMessage(message);
      await appendEvents(tx, this.deps.fanout, [{ audience: recipient, at: now, payload: { case: "message", value: message } }]);
      this.backlog.added(recipient);
      this.notifyAfterCommit(tx, message);
      return { message, duplicate: false, recipientOnline: presence.isOnline(recipient) };
    });
    return result;
  }

  /** Sends one message to every other registered (or online) instance. */
  async broadcast(sender: string, draft: Draft, onlineOnly: boolean): Promise<BroadcastResult> {
    const { store, clock, presence } = this.deps;
    this.checkContent(draft);
    this.checkRate(sender);
    const now = clock.now();
    const result = await store.transaction(async (tx): Promise<BroadcastResult> => {
      const earlier = await this.findDuplicate(tx, sender, EVERYONE, draft);
      if (earlier) {
        const recipients = await tx.recipientsOf(earlier.id);
        return { message: earlier, recipients, skipped: [], duplicate: true };
      }
      const recipients: string[] = [];
      const skipped: string[] = [];
      for (const instance of await tx.listInstances()) {
        if (instance.name === sender || (onlineOnly && !presence.isOnline(instance.name))) continue;
        if ((await this.backlog.overflow(tx, instance.name, 1, now)) !== undefined) skipped.push(instance.name);
        else recipients.push(instance.name);
      }
      const message = await this.compose(tx, sender, EVERYONE, draft, now);
      await tx.insertMessage(message);
      await appendEvents(
        tx,
        this.deps.fanout,
        recipients.map((name) => ({ audience: name, at: now, payload: { case: "message", value: message } })),
      );
      for (const name of recipients) this.backlog.added(name);
      this.notifyAfterCommit(tx, message);
      return { message, recipients, skipped, duplicate: false };
    });
    return result;
  }

  /** Marks messages in `name`'s inbox read and sends read receipts; unknown ids change nothing. */
  async ack(name: string, messageIds: string[]): Promise<{ acknowledged: number; unreadCount: number }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    return store.transaction(async (tx) => {
      for (const id of messageIds) {
        if (!(await tx.getInboxMessage(name, id))) {
          throw new NotFoundError(`message ${id} is not in your inbox; nothing was acknowledged`);
        }
      }
      const read = await tx.markRead(name, messageIds, now);
      if (read.length > 0) this.backlog.reset(name);
      await this.receipts(tx, name, read, ReceiptKind.READ, now);
      return { acknowledged: read.length, unreadCount: await tx.countUnread(name, now) };
    });
  }

  /**
   * Notes that messages reached `name`'s stream. Marks from every stream are
   * collected and written together in one transaction on the next tick, with
   * delivery receipts for direct messages, so live delivery costs no
   * transaction of its own.
   */
  markDelivered(name: string, messageIds: string[]): void {
    if (messageIds.length === 0) return;
    let ids = this.undelivered.get(name);
    if (!ids) this.undelivered.set(name, (ids = []));
    ids.push(...messageIds);
    if (this.flushingDelivered) return;
    this.flushingDelivered = true;
    setImmediate(() => {
      const pending = [...this.undelivered];
      this.undelivered.clear();
      this.flushingDelivered = false;
      const now = this.deps.clock.now();
      this.deps.store
        .transaction(async (tx) => {
          for (const [recipient, ids] of pending) {
            const delivered = await tx.markDelivered(recipient, ids, now);
            await this.receipts(tx, recipient, delivered.filter((message) => message.recipient !== EVERYONE), ReceiptKind.DELIVERED, now);
          }
        })
        .catch((err: unknown) => this.deps.logger.warn({ err }, "delivery marks not stored"));
    });
  }

  /** Lists `name`'s inbox, oldest first; consumes the listed messages when `markRead`. */
  async list(
    name: string,
    query: { unreadOnly: boolean; markRead: boolean; sender: string; afterSeq: bigint; limit: number },
  ): Promise<{ messages: Message[]; unreadCount: number; hasMore: boolean }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    return store.transaction(async (tx) => {
      const page = await tx.listInbox(name, { ...query, limit: query.limit + 1 });
      const hasMore = page.length > query.limit;
      const messages = page.slice(0, query.limit);
      const ids = messages.map((message) => message.id);
      const timestamp = timestampFromMs(now);
      if (query.markRead) {
        const read = await tx.markRead(name, ids, now);
        if (read.length > 0) this.backlog.reset(name);
        await this.receipts(tx, name, read, ReceiptKind.READ, now);
        for (const message of messages) {
          message.readAt ??= timestamp;
          message.deliveredAt ??= timestamp;
        }
      } else {
        const delivered = await tx.markDelivered(name, ids, now);
        await this.receipts(tx, name, delivered.filter((m) => m.recipient !== EVERYONE), ReceiptKind.DELIVERED, now);
        for (const message of messages) message.deliveredAt ??= timestamp;
      }
      return { messages, unreadCount: await tx.countUnread(name, now), hasMore };
    });
  }

  /** One page of a thread or of the direct history between `viewer` and `peer`. */
  async conversation(
    viewer: string,
    selector: { threadId: string } | { peer: string },
    afterCursor: bigint,
    limit: number,
  ): Promise<ConversationPage> {
    return this.deps.store.transaction((tx) => tx.conversation({ viewer, ...selector, afterSeq: afterCursor, limit }));
  }

  /** Rejects empty or oversized messages before touching any state. */
  private checkContent(draft: Draft): void {
    if (draft.body === "" && !draft.attachment?.content.case) {
      throw new InvalidArgumentError("a message needs a body or an attachment");
    }
    const size = Buffer.byteLength(draft.body) + (draft.attachment ? toBinary(AttachmentSchema, draft.attachment).length : 0);
    const limit = this.deps.config.limits.maxMessageBytes;
    if (size > limit) {
      throw new LimitExceededError(`message is ${size} bytes, over the hub's limit of ${limit} bytes; split it or share a file path instead`);
    }
  }

  private checkRate(sender: string): void {
    if (!this.rateLimiter.take(sender, this.deps.clock.now())) {
      const { sendRatePerSecond, sendBurst } = this.deps.config.limits;
      throw new LimitExceededError(`"${sender}" is sending faster than ${sendRatePerSecond} messages/s (burst ${sendBurst}); slow down and retry`);
    }
  }

  /** The earlier message a retry with the same key stands for; a different message under a used key is refused. */
  private async findDuplicate(tx: StoreTx, sender: string, recipient: string, draft: Draft): Promise<Message | undefined> {
    if (draft.idempotencyKey === "") return undefined;
    const earlier = await tx.findMessageByIdempotencyKey(sender, draft.idempotencyKey);
    if (earlier && (earlier.recipient !== recipient || earlier.body !== draft.body)) {
      throw new AlreadyExistsError(
        `idempotency_key "${draft.idempotencyKey}" was already used for a different message (${earlier.id}); use a new key for a new message`,
      );
    }
    return earlier;
  }

  private async compose(tx: StoreTx, sender: string, recipient: string, draft: Draft, now: number): Promise<Message> {
    const id = draft.id ?? randomUUID();
    let threadId = draft.threadId;
    if (draft.replyTo !== "") {
      const original = await tx.getMessage(draft.replyTo);
      const visible = original && (original.sender === sender || (await tx.getInboxMessage(sender, draft.replyTo)) !== undefined);
      if (!original || !visible) {
        throw new NotFoundError(`reply_to ${draft.replyTo} is not a message you sent or received`);
      }
      if (threadId === "") threadId = original.threadId;
    }
    if (draft.kind === MessageKind.RESPONSE && draft.replyTo === "") {
      throw new InvalidArgumentError("a RESPONSE needs reply_to: the id of the query it answers");
    }
    return create(MessageSchema, {
      id,
      sender,
      recipient,
      kind: draft.kind === MessageKind.UNSPECIFIED ? MessageKind.TEXT : draft.kind,
      body: draft.body,
      attachment: draft.attachment,
      threadId: threadId === "" ? id : threadId,
      replyTo: draft.replyTo,
      idempotencyKey: draft.idempotencyKey,
      priority: draft.priority === Priority.UNSPECIFIED ? Priority.NORMAL : draft.priority,
      sentAt: timestampFromMs(now),
      expiresAt: draft.ttlSeconds > 0 ? timestampFromMs(now + draft.ttlSeconds * 1000) : undefined,
      metadata: draft.metadata,
    });
  }

  private notifyAfterCommit(tx: StoreTx, message: Message): void {
    if (this.listeners.size === 0) return;
    tx.afterCommit(() => {
      for (const listener of this.listeners) listener(message);
    });
  }

  private async receipts(tx: StoreTx, reader: string, messages: Message[], kind: ReceiptKind, now: number): Promise<void> {
    const events: NewEvent[] = messages.map((message) => ({
      audience: message.sender,
      at: now,
      payload: {
        case: "receipt",
        value: create(ReceiptSchema, { messageId: message.id, recipient: reader, kind, at: timestampFromMs(now) }),
      },
    }));
    await appendEvents(tx, this.deps.fanout, events);
  }

  /** Test-only fault: pretends to store every Nth direct message but drops it. */
  private shouldDrop(): boolean {
    const n = this.deps.config.faults.dropEveryNthMessage;
    if (n <= 0) return false;
    this.sendCount += 1;
    return this.sendCount % n === 0;
  }
}
