import type { PresenceChange } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** What `linker watch` asks of the bridge into Claude Code's own messaging. */
export interface WatchBridge {
  /** True when `message` comes from an agent the bridge shows in ListAgents (it arrives as a cross-session message). */
  handles(message: Message): boolean;
  /** Hands `message` to the session as a cross-session message; false when it could not (the watch announces it instead). */
  deliver(message: Message): Promise<boolean>;
  /** An instance came, went or changed: the bridged agents may change. */
  presenceChanged(change: PresenceChange): void;
  /** Withdraws every bridged agent from ListAgents. */
  close(): Promise<void>;
}
