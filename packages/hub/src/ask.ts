import { timeOrderedId } from "@linker/protocol";
import { create } from "@bufbuild/protobuf";
import { type AskRequest, SendRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Caller } from "./caller.js";
import { DeadlineExceededError, UnavailableError } from "./errors.js";
import type { HubDeps } from "./hub-deps.js";
import type { Mailbox } from "./mailbox.js";
import type { Registry } from "./registry.js";
import type { CommittedEvent } from "./store/store.js";

/**
 * Request/reply on top of the mailbox: Ask stores a QUERY and waits, bounded,
 * for a message whose reply_to is the query's id. It refuses at once when the
 * target is unknown (NOT_FOUND) or offline (UNAVAILABLE), like NATS's "no
 * responders", so an agent never waits for someone who cannot answer.
 */
export class Asker {
  private readonly waiting = new Map<string, { asker: string; resolve: (reply: Message) => void }>();

  constructor(
    private readonly deps: HubDeps,
    private readonly registry: Registry,
    private readonly mailbox: Mailbox,
  ) {}

  /** Sends the caller's question as a query and waits for the reply. */
  async ask(caller: Caller, req: AskRequest, signal: AbortSignal): Promise<{ query: Message; reply: Message }> {
    const { store, presence, config } = this.deps;
    const { recipient } = req;
    // Presence from the store's leases: a recipient that came online on another hub a moment ago counts.
    const online = await store.transaction(async (tx) => {
      await this.registry.requireName(tx, recipient);
      return presence.isOnlineIn(tx, recipient);
    });
    if (!online) {
      throw new UnavailableError(
        `no responders: "${recipient}" is offline, so nobody can answer now; Send the question instead and it will be delivered when "${recipient}" comes back`,
      );
    }
    const wait = Math.min(req.timeoutMs > 0 ? req.timeoutMs : config.limits.askDefaultTimeoutMs, config.limits.askMaxTimeoutMs);
    const id = timeOrderedId();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const reply = new Promise<Message>((resolve, reject) => {
      this.waiting.set(id, { asker: caller.name, resolve });
      timer = setTimeout(
        () =>
          reject(
            new DeadlineExceededError(
              `no reply from "${recipient}" within ${wait} ms; query ${id} stays in its inbox and a late reply will arrive in yours`,
            ),
          ),
        wait,
      );
      onAbort = () => reject(new DeadlineExceededError("the Ask call was canceled by the client"));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const query = create(SendRequestSchema, {
        recipient,
        kind: MessageKind.QUERY,
        body: req.body,
        attachment: req.attachment,
        threadId: req.threadId,
        metadata: req.metadata,
      });
      const sent = await this.mailbox.send(caller, query, { id });
      const answer = await reply;
      await this.mailbox.ack(caller, { $typeName: "linker.v1.AckRequest", messageIds: [answer.id] });
      return { query: sent.message, reply: answer };
    } finally {
      this.waiting.delete(id);
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  /** Follows committed events: a reply to a waiting query, stored by any hub, completes its Ask. */
  apply(events: readonly CommittedEvent[]): void {
    for (const { audience, event } of events) {
      if (event.payload.case !== "message" || event.payload.value.replyTo === "") continue;
      const waiter = this.waiting.get(event.payload.value.replyTo);
      if (waiter && waiter.asker === audience) waiter.resolve(event.payload.value);
    }
  }
}
