import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** Selects part of one instance's inbox, oldest first. */
export interface InboxQuery {
  /** Whose inbox. */
  recipient: string;
  /** Only unread messages (expired ones excluded). */
  unreadOnly: boolean;
  /** Only messages from this sender ("" = any). */
  sender: string;
  /** Only entries with seq greater than this. */
  afterSeq: bigint;
  /** At most this many. */
  limit: number;
  /** The hub clock, for TTLs. */
  now: number;
}

/** Selects a conversation visible to `viewer`, oldest first; `afterCursor` is a page cursor. */
export type ConversationQuery =
  | { viewer: string; threadId: string; afterCursor: bigint; limit: number }
  | { viewer: string; peer: string; afterCursor: bigint; limit: number };

/** One page of a conversation. */
export interface ConversationPage {
  /** The messages, with the viewer's inbox fields filled where it received them. */
  messages: Message[];
  /** Cursor after the last message (pass as afterCursor for the next page). */
  cursor: bigint;
  /** Whether more messages follow this page. */
  hasMore: boolean;
}

/**
 * Stored messages and the inbox entries that deliver them: one entry per
 * recipient, with its delivered and read times. Message bodies never change
 * after they are stored.
 */
export interface MessageRepository {
  /** Stores a message (its inbox entries are its message events). */
  insert(message: Message): Promise<void>;
  /** A message by id. */
  get(id: string): Promise<Message | undefined>;
  /** The message a sender stored earlier with this idempotency key. */
  findByIdempotencyKey(sender: string, key: string): Promise<Message | undefined>;
  /** The names whose inbox holds a message. */
  recipientsOf(messageId: string): Promise<string[]>;
  /** Inbox entries matching `query`, with seq, delivered_at and read_at filled. */
  listInbox(query: InboxQuery): Promise<Message[]>;
  /** One message in an instance's inbox, with its inbox fields filled. */
  getInboxEntry(recipient: string, messageId: string): Promise<Message | undefined>;
  /** Unread, unexpired messages in an instance's inbox at `now`. */
  countUnread(recipient: string, now: number): Promise<number>;
  /** Marks inbox entries read at `at`; returns those that were unread, oldest first. */
  markRead(recipient: string, messageIds: string[], at: number): Promise<Message[]>;
  /** Marks inbox entries delivered at `at`; returns those that were not yet, oldest first. */
  markDelivered(recipient: string, messageIds: string[], at: number): Promise<Message[]>;
  /** Messages of a thread or a pair visible to the viewer, oldest first, after a cursor. */
  conversation(query: ConversationQuery): Promise<ConversationPage>;
  /**
   * Deletes inbox entries that expired unread by `now` or were read before
   * `before`, and messages older than `before` that no inbox holds; returns how many.
   */
  prune(now: number, before: number): Promise<number>;
}
