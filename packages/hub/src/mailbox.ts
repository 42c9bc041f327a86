import { timeOrderedId } from "@linker/protocol";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AttachmentSchema,
  type Message,
  MessageKind,
  MessageSchema,
  Priority,
  ReceiptKind,
  ReceiptSchema,
} from "@linker/protocol/gen/linker/v1/message_pb.js";
import type {
  AckRequest,
  BroadcastRequest,
  GetConversationRequest,
  ListMessagesRequest,
  SendRequest,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Caller } from "./caller.js";
import { AlreadyExistsError, InvalidArgumentError, LimitExceededError, NotFoundError } from "./errors.js";
import { positionOf, pageTokenAt } from "./page-token.js";
import type { HubDeps } from "./hub-deps.js";
import { BacklogGauge } from "./backlog-gauge.js";
import { RateLimiter } from "./rate-limit.js";
import { jsonDepth, servable } from "./payload-depth.js";
import type { Registry } from "./registry.js";
import { type CommittedEvent, EVERYONE, type NewEvent, type StoreTx } from "./store/store.js";

/** Page size when a request leaves it 0. */
const DEFAULT_PAGE = 50;
/** Retry hint of a Send refused because the recipient's mailbox is full. */
const BACKLOG_RETRY_MS = 5_000;

/** What a sender sets on a new message (a Send or Broadcast request); the hub fills in the rest. */
export type Outgoing = Pick<SendRequest, "kind" | "body" | "attachment" | "threadId" | "idempotencyKey" | "priority" | "ttlSeconds" | "metadata"> & {
  /** The message answered (Send only). */
  replyTo?: string;
};

/** Hub-side choices for a send the hub makes on the caller's behalf. */
export interface SendOptions {
  /** The id to store the message under (Ask picks it before sending); random when absent. */
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

/**
 * Per-instance mailboxes: direct and broadcast sends, store-and-forward,
 * read and delivery receipts, inbox listing and conversations. Every send is
 * committed before it is acknowledged and reaches live subscribers only after
 * the commit.
 */
export class Mailbox {
  private readonly rateLimiter: RateLimiter;
  private readonly backlog: BacklogGauge;
  private readonly undelivered = new Map<string, string[]>();
  private flushingDelivered = false;

  constructor(
    private readonly deps: HubDeps,
    private readonly registry: Registry,
  ) {
    this.rateLimiter = new RateLimiter(deps.config.limits.sendRatePerSecond, deps.config.limits.sendBurst);
    this.backlog = new BacklogGauge(deps.config.limits.maxBacklogPerInstance);
  }

  /**
   * Follows committed events: a message another hub stored for an instance
   * makes this hub count that instance's backlog again (its bound here does
   * not include it).
   */
  apply(events: readonly CommittedEvent[]): void {
    for (const { audience, event, remote, recipients } of events) {
      if (!remote || event.payload.case !== "message") continue;
      for (const name of recipients ?? [audience]) this.backlog.reset(name);
    }
  }

  /** Sends a direct message from the caller. */
  async send(caller: Caller, req: SendRequest, options: SendOptions = {}): Promise<SendResult> {
    const { store, clock, config } = this.deps;
    const sender = caller.name;
    const { recipient } = req;
    this.checkContent(req);
    this.checkRate(sender);
    const now = clock.now();
    const result = await store.transaction(async (tx): Promise<SendResult> => {
      const earlier = await this.findDuplicate(tx, sender, recipient, req);
      if (earlier) return { message: earlier, duplicate: true, recipientOnline: await this.online(tx, recipient) };
      await this.registry.requireName(tx, recipient);
      const unread = await this.backlog.overflow(tx, recipient, 1, now);
      if (unread !== undefined) {
        throw new LimitExceededError(
          `the mailbox of "${recipient}" is full (${unread} unread messages, limit ${config.limits.maxBacklogPerInstance}); retry after it reads its messages`,
          BACKLOG_RETRY_MS,
        );
      }
      const message = await this.compose(tx, sender, recipient, req, now, options.id);
      await tx.messages.insert(message);
      await tx.events.append([{ audience: recipient, at: now, payload: { case: "message", value: message } }]);
      this.backlog.added(recipient);
      return { message, duplicate: false, recipientOnline: await this.online(tx, recipient) };
    });
    return result;
  }

  /** Sends one message from the caller to every other registered (or online) instance. */
  async broadcast(caller: Caller, req: BroadcastRequest): Promise<BroadcastResult> {
    const { store, clock, presence } = this.deps;
    const sender = caller.name;
    this.checkContent(req);
    this.checkRate(sender);
    const now = clock.now();
    const result = await store.transaction(async (tx): Promise<BroadcastResult> => {
      const earlier = await this.findDuplicate(tx, sender, EVERYONE, req);
      if (earlier) {
        const recipients = await tx.messages.recipientsOf(earlier.id);
        return { message: earlier, recipients, skipped: [], duplicate: true };
      }
      const recipients: string[] = [];
      const skipped: string[] = [];
      const online = req.onlineOnly ? await presence.onlineIn(tx) : () => true;
      for (const name of await tx.identity.instanceNames()) {
        if (name === sender || !online(name)) continue;
        if ((await this.backlog.overflow(tx, name, 1, now)) !== undefined) skipped.push(name);
        else recipients.push(name);
      }
      const message = await this.compose(tx, sender, EVERYONE, req, now);
      await tx.messages.insert(message);
      await tx.events.append([{ audience: EVERYONE, at: now, payload: { case: "message", value: message }, recipients }]);
      for (const name of recipients) this.backlog.added(name);
      return { message, recipients, skipped, duplicate: false };
    });
    return result;
  }

  /** Whether `name` is online: this hub's view, or else a live lease in the store (another hub's instance may have just come online). */
  private async online(tx: StoreTx, name: string): Promise<boolean> {
    return this.deps.presence.isOnline(name) || (await this.deps.presence.isOnlineIn(tx, name));
  }

  /** Marks messages in the caller's inbox read and sends read receipts; an unknown id changes nothing. */
  async ack(caller: Caller, req: AckRequest): Promise<{ acknowledged: number; unreadCount: number }> {
    const { store, clock } = this.deps;
    const { name } = caller;
    const now = clock.now();
    return store.transaction(async (tx) => {
      for (const id of req.messageIds) {
        if (!(await tx.messages.getInboxEntry(name, id))) {
          throw new NotFoundError(`message ${id} is not in your inbox; nothing was acknowledged`);
        }
      }
      const read = await tx.messages.markRead(name, req.messageIds, now);
      if (read.length > 0) this.backlog.reset(name);
      await this.receipts(tx, name, read, ReceiptKind.READ, now);
      return { acknowledged: read.length, unreadCount: await tx.messages.countUnread(name, now) };
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
            const delivered = await tx.messages.markDelivered(recipient, ids, now);
            await this.receipts(tx, recipient, delivered.filter((message) => message.recipient !== EVERYONE), ReceiptKind.DELIVERED, now);
          }
        })
        .catch((err: unknown) => this.deps.logger.warn({ err }, "delivery marks not stored"));
    });
  }

  /** Lists the caller's inbox, oldest first; consumes the listed messages when `mark_read`. */
  async list(caller: Caller, req: ListMessagesRequest): Promise<{ messages: Message[]; unreadCount: number; hasMore: boolean }> {
    const { store, clock } = this.deps;
    const { name } = caller;
    const now = clock.now();
    const limit = req.limit === 0 ? DEFAULT_PAGE : req.limit;
    return store.transaction(async (tx) => {
      const page = await tx.messages.listInbox({ recipient: name, unreadOnly: req.unreadOnly, sender: req.sender, afterSeq: req.afterSeq, limit: limit + 1, now });
      const hasMore = page.length > limit;
      const messages = page.slice(0, limit);
      const ids = messages.map((message) => message.id);
      const timestamp = timestampFromMs(now);
      if (req.markRead) {
        const read = await tx.messages.markRead(name, ids, now);
        if (read.length > 0) this.backlog.reset(name);
        await this.receipts(tx, name, read, ReceiptKind.READ, now);
        for (const message of messages) {
          message.readAt ??= timestamp;
          message.deliveredAt ??= timestamp;
        }
      } else {
        const delivered = await tx.messages.markDelivered(name, ids, now);
        await this.receipts(tx, name, delivered.filter((m) => m.recipient !== EVERYONE), ReceiptKind.DELIVERED, now);
        for (const message of messages) message.deliveredAt ??= timestamp;
      }
      return { messages: messages.map((message) => servable(message, this.deps.config.limits.maxPayloadDepth)), unreadCount: await tx.messages.countUnread(name, now), hasMore };
    });
  }

  /** One page of a thread, or of the direct history between the caller and a peer. */
  async conversation(caller: Caller, req: GetConversationRequest): Promise<{ messages: Message[]; nextPageToken: string }> {
    const viewer = caller.name;
    const selector = req.selector.case === "peer" ? { peer: req.selector.value } : { threadId: req.selector.value ?? "" };
    const limit = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
    const afterCursor = positionOf(req.pageToken);
    const page = await this.deps.store.transaction((tx) => tx.messages.conversation({ viewer, ...selector, afterCursor, limit }));
    const depth = this.deps.config.limits.maxPayloadDepth;
    return { messages: page.messages.map((message) => servable(message, depth)), nextPageToken: page.hasMore ? pageTokenAt(page.cursor) : "" };
  }

  /** Rejects oversized messages before touching any state (the contract's rules ensure a body or an attachment). */
  private checkContent(draft: Outgoing): void {
    if (draft.attachment?.content.case === "data") {
      const limit = this.deps.config.limits.maxPayloadDepth;
      const depth = jsonDepth(draft.attachment.content.value, limit);
      if (depth > limit) {
        throw new InvalidArgumentError(`attachment data nests ${depth > limit ? `more than ${limit}` : depth} levels deep, over the hub's limit of ${limit}; flatten it`);
      }
    }
    const size = Buffer.byteLength(draft.body) + (draft.attachment ? toBinary(AttachmentSchema, draft.attachment).length : 0);
    const limit = this.deps.config.limits.maxMessageBytes;
    if (size > limit) {
      throw new LimitExceededError(`message is ${size} bytes, over the hub's limit of ${limit} bytes; split it or share a file path instead`);
    }
  }

  private checkRate(sender: string): void {
    const wait = this.rateLimiter.wait(sender, this.deps.clock.now());
    if (wait > 0) {
      const { sendRatePerSecond, sendBurst } = this.deps.config.limits;
      throw new LimitExceededError(`"${sender}" is sending faster than ${sendRatePerSecond} messages/s (burst ${sendBurst}); retry in ${wait} ms`, wait);
    }
  }

  /** The earlier message a retry with the same key stands for; a different message under a used key is refused. */
  private async findDuplicate(tx: StoreTx, sender: string, recipient: string, draft: Outgoing): Promise<Message | undefined> {
    if (draft.idempotencyKey === "") return undefined;
    const earlier = await tx.messages.findByIdempotencyKey(sender, draft.idempotencyKey);
    if (earlier && (earlier.recipient !== recipient || earlier.body !== draft.body)) {
      throw new AlreadyExistsError(
        `idempotency_key "${draft.idempotencyKey}" was already used for a different message (${earlier.id}); use a new key for a new message`,
      );
    }
    return earlier;
  }

  private async compose(tx: StoreTx, sender: string, recipient: string, draft: Outgoing, now: number, chosenId?: string): Promise<Message> {
    const id = chosenId ?? timeOrderedId();
    const replyTo = draft.replyTo ?? "";
    let threadId = draft.threadId;
    if (replyTo !== "") {
      const original = await tx.messages.get(replyTo);
      const visible = original && (original.sender === sender || (await tx.messages.getInboxEntry(sender, replyTo)) !== undefined);
      if (!original || !visible) {
        throw new NotFoundError(`reply_to ${replyTo} is not a message you sent or received`);
      }
      if (threadId === "") threadId = original.threadId;
    }
    return create(MessageSchema, {
      id,
      sender,
      recipient,
      kind: draft.kind === MessageKind.UNSPECIFIED ? MessageKind.TEXT : draft.kind,
      body: draft.body,
      attachment: draft.attachment,
      threadId: threadId === "" ? id : threadId,
      replyTo,
      idempotencyKey: draft.idempotencyKey,
      priority: draft.priority === Priority.UNSPECIFIED ? Priority.NORMAL : draft.priority,
      sentAt: timestampFromMs(now),
      expiresAt: draft.ttlSeconds > 0 ? timestampFromMs(now + draft.ttlSeconds * 1000) : undefined,
      metadata: draft.metadata,
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
    await tx.events.append(events);
  }
}
