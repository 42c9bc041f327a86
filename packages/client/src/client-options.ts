import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Interceptor, Transport } from "@connectrpc/connect";
import type { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { WorkspaceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { BackoffOptions } from "./backoff.js";
import type { SessionMode } from "./client-session.js";
import type { ClientLogger } from "./client-logger.js";
import type { AutoHubOptions } from "./hub-keeper.js";
import type { HubTransport, WireProtocol } from "./hub-transport.js";
import type { SessionStore } from "./session-store.js";

/**
 * Everything a LinkerClient can be told. The library reads no environment
 * variables: the programs that use it (the CLI, the MCP server, the VS Code
 * extension) turn their settings into these options.
 */
export interface LinkerClientOptions {
  /** The instance name (its address, unique per hub). */
  name: string;
  /** What this instance works on. */
  description?: string;
  /** Skills offered to others. */
  capabilities?: string[];
  /** Labels used to select instances. */
  labels?: { [key: string]: string };
  /** Where the instance works. */
  workspace?: MessageInitShape<typeof WorkspaceSchema>;
  /** Kind of program, for example "claude-code" (Register's `client`). */
  clientKind?: string;
  /** Hub URLs in order of preference (default http://127.0.0.1:3847). */
  hubs?: string | string[];
  /** Wire protocol (default Connect over HTTP/2). */
  protocol?: WireProtocol;
  /** HTTP version for the Connect and gRPC-Web protocols (default "2" when the protocol is left to default, else "1.1"). */
  httpVersion?: "1.1" | "2";
  /** Secret a hub may require for Register and for calls made without a session. */
  hubSecret?: string;
  /** Keep the machine's hub alive: start it here when nobody serves the URL, take it over when it dies. */
  autoHub?: boolean | AutoHubOptions;
  /**
   * The folder of stored sessions (`<home>/sessions`) and, with autoHub, of
   * hub.db. Without it (and without `sessions`) sessions live in this process only.
   */
  home?: string;
  /** Where the session token and cursor are kept (default: files under `home`); false keeps them in this process only. */
  sessions?: SessionStore | false;
  /** Which hub state sessions belong to (default: the autoHub data folder, else derived from the hub URLs and `home`). */
  hubKey?: string;
  /** How the session is obtained (default "register"); see SessionMode. */
  sessionMode?: SessionMode;
  /** Open the event stream at connect (default true). */
  subscribe?: boolean;
  /** Only these kinds of stream events (default all). */
  eventTypes?: EventType[];
  /** Resume the stream after this seq instead of the stored cursor. */
  afterSeq?: bigint;
  /** Reconnect and retry schedule (default 100 ms doubling to 3 s, full jitter). */
  backoff?: BackoffOptions;
  /** How long an RPC keeps retrying across failovers and takeovers (default 20 s). */
  retryBudgetMs?: number;
  /** How long `connect()` keeps retrying when no hub answers (default 3 s; autoHub starts one instead). */
  connectRetryMs?: number;
  /** Message ids remembered to drop redeliveries (default 10 000). */
  dedupeCapacity?: number;
  /** Send Heartbeat this often (default 0: rely on the event stream for presence). */
  heartbeatIntervalMs?: number;
  /** Log lines (default none). */
  logger?: ClientLogger;
  /** Extra interceptors on every hub transport. */
  interceptors?: Interceptor[];
  /** Builds the transport to a hub URL instead of the built-in h2c/HTTP 1.1 one (tests, custom TLS). */
  transport?: (url: string) => Transport | HubTransport;
}
