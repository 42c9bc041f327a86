import { DEFAULT_PORT } from "@linker/protocol";

/** Limits the hub enforces; each is named, has a default, and can be set by flag or env (hub-settings.ts). */
export interface HubLimits {
  /** Largest message body plus attachment, in bytes (RESOURCE_EXHAUSTED above it). */
  maxMessageBytes: number;
  /** Largest shared memory value, in bytes. */
  maxMemoryValueBytes: number;
  /** Unread messages one instance may have stored before Send to it is refused. */
  maxBacklogPerInstance: number;
  /** Events one subscriber may have buffered before it is cut off as too slow. */
  subscriberBufferEvents: number;
  /** Ask wait when the request gives none, in milliseconds. */
  askDefaultTimeoutMs: number;
  /** Longest Ask wait a request may ask for, in milliseconds. */
  askMaxTimeoutMs: number;
  /** Sustained messages per second one instance may send (0 = unlimited). */
  sendRatePerSecond: number;
  /** Messages one instance may send in a burst above the sustained rate. */
  sendBurst: number;
  /** Registered instances a hub holds (Register of a new name fails beyond it). */
  maxInstances: number;
  /** Live shared memory keys. */
  maxMemoryKeys: number;
  /** Bytes of all shared memory keys and values together. */
  maxMemoryBytes: number;
  /** Deepest nesting of a structured payload (attachment data, a Struct), counted in objects and lists. */
  maxPayloadDepth: number;
  /** Bytes of all request headers together (431 beyond it). */
  maxHeaderBytes: number;
  /** Open MCP sessions at /mcp. */
  maxMcpSessions: number;
  /** Unary calls one HTTP/2 connection may have in flight; more are answered RESOURCE_EXHAUSTED. */
  callsPerConnection: number;
  /** Streaming calls one HTTP/2 connection may have open; more are answered RESOURCE_EXHAUSTED. */
  streamsPerConnection: number;
}

/** Everything a hub needs to start. */
export interface HubConfig {
  /** Address to bind; loopback unless a hub secret is configured. */
  host: string;
  /** Port to bind (0 picks a free one). */
  port: number;
  /** Folder holding hub.db. */
  dataDir: string;
  /** Storage backend: a SQLite file in the data folder, SQLite in memory (nothing survives the process), or PostgreSQL (hubs on several machines share it). */
  store: "sqlite" | "memory" | "postgres";
  /** PostgreSQL connection URL (store "postgres"). */
  postgresUrl: string | undefined;
  /** PostgreSQL schema of the hub's tables (store "postgres"; default "public"). */
  postgresSchema: string | undefined;
  /** Shared secret required by Register when set (required to bind a non-loopback host unless auth is "keys"). */
  hubSecret: string | undefined;
  /**
   * Who may register: "open" (anyone who reaches the hub takes a free name; loopback only),
   * "secret" (the hub secret or an agent key), "keys" (an agent key only), or "auto"
   * ("secret" when a hub secret is set, else "open"). Names bound to a key need that key in every mode.
   */
  auth: "auto" | "open" | "secret" | "keys";
  /** An admin key accepted besides the issued ones and `<dataDir>/admin.key` (for replicas sharing one database). */
  adminKey: string | undefined;
  /** PEM certificate chain file: serve TLS (HTTP/2 by ALPN, and HTTP/1.1) instead of cleartext. */
  tlsCert: string | undefined;
  /** PEM private key file of tlsCert. */
  tlsKey: string | undefined;
  /** Serve TLS with a certificate signed by a CA the hub writes into its data folder (ca.pem). */
  tlsSelfSigned: boolean;
  /** Host names requests may name in Host/:authority besides loopback names and the bound address ("*" allows any). */
  allowedHosts: string[];
  /** Origins browsers may call from besides the hub's own ("*" allows any). */
  allowedOrigins: string[];
  /** Move a database the hub cannot use (empty, corrupt, not Linker's) aside and start empty. */
  reset: boolean;
  /** Seconds without stream or heartbeat before an instance is swept offline. */
  presenceTtlSeconds: number;
  /** SQLite `synchronous` level: NORMAL survives process crashes, FULL also power loss. */
  sqliteSynchronous: "NORMAL" | "FULL";
  /** How long a write waits for another process's lock on hub.db before failing with UNAVAILABLE. */
  sqliteBusyTimeoutMs: number;
  /** How long read messages and non-message events are kept, in seconds. */
  retentionSeconds: number;
  /** Who gets the web dashboard at `/`: this machine only (default), anyone who reaches the port, or nobody. */
  dashboard: "loopback" | "any" | "off";
  /** Limits. */
  limits: HubLimits;
}

/** Default limits. */
export const defaultLimits: HubLimits = {
  maxMessageBytes: 256 * 1024,
  maxMemoryValueBytes: 256 * 1024,
  maxBacklogPerInstance: 10_000,
  subscriberBufferEvents: 4096,
  askDefaultTimeoutMs: 30_000,
  askMaxTimeoutMs: 50_000,
  sendRatePerSecond: 200,
  sendBurst: 1000,
  maxInstances: 1000,
  maxMemoryKeys: 10_000,
  maxMemoryBytes: 64 * 1024 * 1024,
  maxPayloadDepth: 16,
  maxHeaderBytes: 16 * 1024,
  maxMcpSessions: 256,
  callsPerConnection: 512,
  streamsPerConnection: 64,
};

/** Every default of a hub except its data folder, which the caller chooses. */
export const hubDefaults: Omit<HubConfig, "dataDir"> = {
  host: "127.0.0.1",
  port: DEFAULT_PORT,
  store: "sqlite",
  postgresUrl: undefined,
  postgresSchema: undefined,
  hubSecret: undefined,
  auth: "auto",
  adminKey: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsSelfSigned: false,
  allowedHosts: [],
  allowedOrigins: [],
  reset: false,
  presenceTtlSeconds: 30,
  sqliteSynchronous: "NORMAL",
  sqliteBusyTimeoutMs: 5_000,
  retentionSeconds: 7 * 24 * 3600,
  dashboard: "loopback",
  limits: defaultLimits,
};

/** Settings that override the defaults; `dataDir` is required. */
export type HubConfigInput = Partial<Omit<HubConfig, "limits">> & Pick<HubConfig, "dataDir"> & { limits?: Partial<HubLimits> };

/** A complete config: the defaults with `input` applied. */
export function hubConfig(input: HubConfigInput): HubConfig {
  return { ...hubDefaults, ...input, limits: { ...defaultLimits, ...input.limits } };
}

/** The registration mode in force: "auto" resolved by whether a hub secret is set. */
export function authMode(config: Pick<HubConfig, "auth" | "hubSecret">): "open" | "secret" | "keys" {
  if (config.auth !== "auto") return config.auth;
  return config.hubSecret ? "secret" : "open";
}
