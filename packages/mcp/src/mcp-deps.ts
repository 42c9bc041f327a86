import { type LinkerClient } from "@linker/client";
import type { UnreadTracker } from "./unread-tracker.js";

/** What every tool needs: the hub client acting as this instance and the unread state. */
export interface McpDeps {
  /** The client; the server registers it, and every call waits for that registration. */
  client: LinkerClient;
  /** Unread messages and recently seen ones. */
  unread: UnreadTracker;
  /** Set once linker_unregister freed the name: the session is over. */
  unregistered?: boolean;
}
