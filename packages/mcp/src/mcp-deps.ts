import { type LinkerClient } from "@linker/client";
import type { UnreadTracker } from "./unread-tracker.js";

/** What every tool needs: the hub client acting as this instance and the unread state. */
export interface McpDeps {
  /** The client, registered as this instance. */
  client: LinkerClient;
  /** Unread messages and recently seen ones. */
  unread: UnreadTracker;
}
