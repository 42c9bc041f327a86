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
  /** Shared secret required by Register when set (required to bind a non-loopback host). */
  hubSecret: string | undefined;
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
  sendRatePerSecond: 0,
  sendBurst: 1000,
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
