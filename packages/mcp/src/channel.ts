import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { formatPeerMessage, kindName } from "./message-view.js";
import { UNTRUSTED_NOTE } from "./peer-text.js";

/** The experimental capability Claude Code looks for to accept pushed events. */
export const CHANNEL_CAPABILITY = "claude/channel";

/** The notification that carries one pushed event. */
export const CHANNEL_NOTIFICATION = "notifications/claude/channel";

/** Meta attributes of a pushed message; keys match ^[a-zA-Z_][a-zA-Z0-9_]*$. */
export function channelMeta(message: Message): Record<string, string> {
  const meta: Record<string, string> = {
    from: message.sender,
    message_id: message.id,
    kind: kindName(message.kind),
    thread_id: message.threadId,
  };
  if (message.replyTo !== "") meta.reply_to = message.replyTo;
  if (message.recipient === "*") meta.broadcast = "true";
  return meta;
}

/**
 * Pushes each incoming message into the agent's session as a channel event.
 * Events that arrive before the MCP client finished initializing wait and are
 * sent right after. A push that gets lost costs nothing: the message stays
 * unread on the hub until a tool acknowledges it.
 */
export class ChannelPusher {
  private ready = false;
  private readonly waiting: Message[] = [];

  constructor(
    private readonly server: Server,
    private readonly onError: (err: unknown) => void,
  ) {
    const previous = server.oninitialized;
    server.oninitialized = () => {
      previous?.();
      this.ready = true;
      for (const message of this.waiting.splice(0)) this.push(message);
    };
  }

  /** Pushes `message` now, or once the session is initialized. */
  push(message: Message): void {
    if (!this.ready) {
      this.waiting.push(message);
      return;
    }
    this.server
      .notification({ method: CHANNEL_NOTIFICATION, params: { content: `${UNTRUSTED_NOTE}\n${formatPeerMessage(message)}`, meta: channelMeta(message) } })
      .catch(this.onError);
  }
}
