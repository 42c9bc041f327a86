import { type HubConfigInput, hubDefaults } from "./config.js";

/** A value a setting takes from text (a flag or environment variable). */
export type SettingParser = (text: string) => unknown;

/** One hub setting: where it lives in HubConfig, its flag and its environment variable. */
export interface HubSetting {
  /** Path in HubConfig: "port", or "limits.maxMessageBytes". */
  key: string;
  /** The command-line flag with its value name, for example "--port <port>". */
  flag: string;
  /** The environment variable. */
  env: string;
  /** One line for help text. */
  description: string;
  /** Turns text into the value; throws a message saying what is expected. */
  parse: SettingParser;
  /** The allowed values, when the setting is a choice. */
  choices?: readonly string[];
  /** A switch: the flag takes no value (its environment variable takes true or false). */
  boolean?: true;
}

/** Parses an integer of at least `min`. */
function integer(min: number): SettingParser {
  return (text) => {
    const n = Number(text);
    if (!/^-?[0-9]+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new Error(`expected an integer >= ${min}`);
    return n;
  };
}

/** Parses one of `choices`. */
function choice(choices: readonly string[]): SettingParser {
  return (text) => {
    if (!choices.includes(text)) throw new Error(`expected one of ${choices.join(", ")}`);
    return text;
  };
}

const text: SettingParser = (value) => value;

/** Parses a comma-separated list. */
const list: SettingParser = (value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** Parses a switch's environment value. */
const flag: SettingParser = (value) => {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off|)$/i.test(value)) return false;
  throw new Error("expected true or false");
};

/** Parses an admin key: long enough that it cannot be guessed. */
const longSecret: SettingParser = (value) => {
  if (value.length < 24) throw new Error("expected at least 24 characters");
  return value;
};

const STORES = ["sqlite", "memory", "postgres"] as const;
const SYNCHRONOUS = ["NORMAL", "FULL"] as const;
const DASHBOARD = ["loopback", "any", "off"] as const;
const AUTH = ["auto", "open", "secret", "keys"] as const;

/**
 * Every setting of `linker hub`, in help order: the one schema its flags,
 * environment variables and defaults come from.
 */
export const HUB_SETTINGS: readonly HubSetting[] = [
  { key: "host", flag: "--host <address>", env: "LINKER_HOST", description: "address to bind", parse: text },
  { key: "port", flag: "--port <port>", env: "LINKER_PORT", description: "port to bind (0 = any free port)", parse: integer(0) },
  { key: "dataDir", flag: "--data-dir <dir>", env: "LINKER_HOME", description: "folder holding hub.db", parse: text },
  { key: "store", flag: "--store <kind>", env: "LINKER_STORE", description: "storage backend (memory: nothing survives the process; postgres: shared by hubs on several machines)", parse: choice(STORES), choices: STORES },
  { key: "postgresUrl", flag: "--postgres-url <url>", env: "LINKER_POSTGRES_URL", description: "PostgreSQL connection URL (--store postgres)", parse: text },
  { key: "hubSecret", flag: "--hub-secret <secret>", env: "LINKER_HUB_SECRET", description: "secret Register must present (beyond loopback: this or --auth keys)", parse: text },
  {
    key: "auth",
    flag: "--auth <mode>",
    env: "LINKER_AUTH",
    description: "who may register: open (loopback only), secret (hub secret or agent key), keys (agent key only); auto = secret when one is set, else open",
    parse: choice(AUTH),
    choices: AUTH,
  },
  { key: "adminKey", flag: "--admin-key <key>", env: "LINKER_ADMIN_KEY", description: "an admin key accepted besides <data dir>/admin.key (replicas sharing a database)", parse: longSecret },
  { key: "tlsCert", flag: "--tls-cert <file>", env: "LINKER_TLS_CERT", description: "PEM certificate (chain): serve TLS, HTTP/2 by ALPN and HTTP/1.1", parse: text },
  { key: "tlsKey", flag: "--tls-key <file>", env: "LINKER_TLS_KEY", description: "PEM private key of --tls-cert", parse: text },
  {
    key: "tlsSelfSigned",
    flag: "--tls-self-signed",
    env: "LINKER_TLS_SELF_SIGNED",
    description: "serve TLS with a certificate from a CA written to <data dir>/tls (clients: --ca <data dir>/tls/ca.pem)",
    parse: flag,
    boolean: true,
  },
  { key: "allowedHosts", flag: "--allowed-hosts <names>", env: "LINKER_ALLOWED_HOSTS", description: "host names requests may use besides loopback and the bound address (comma-separated; * = any)", parse: list },
  { key: "allowedOrigins", flag: "--allowed-origins <origins>", env: "LINKER_ALLOWED_ORIGINS", description: "web origins allowed besides the hub's own (comma-separated; * = any)", parse: list },
  {
    key: "reset",
    flag: "--reset",
    env: "LINKER_RESET",
    description: "move an unusable hub.db (empty, corrupt, another program's) aside and start an empty hub",
    parse: flag,
    boolean: true,
  },
  { key: "presenceTtlSeconds", flag: "--presence-ttl <seconds>", env: "LINKER_PRESENCE_TTL", description: "seconds without stream or heartbeat before offline", parse: integer(1) },
  {
    key: "sqliteSynchronous",
    flag: "--sqlite-synchronous <level>",
    env: "LINKER_SQLITE_SYNCHRONOUS",
    description: "NORMAL survives crashes, FULL also power loss",
    parse: choice(SYNCHRONOUS),
    choices: SYNCHRONOUS,
  },
  { key: "sqliteBusyTimeoutMs", flag: "--sqlite-busy-timeout <ms>", env: "LINKER_SQLITE_BUSY_TIMEOUT_MS", description: "wait for another process's lock on hub.db before UNAVAILABLE", parse: integer(0) },
  {
    key: "dashboard",
    flag: "--dashboard <who>",
    env: "LINKER_DASHBOARD",
    description: "who gets the web dashboard at /: this machine, anyone reaching the port, or nobody",
    parse: choice(DASHBOARD),
    choices: DASHBOARD,
  },
  { key: "retentionSeconds", flag: "--retention <seconds>", env: "LINKER_RETENTION", description: "keep read messages and old events this long", parse: integer(60) },
  { key: "limits.maxMessageBytes", flag: "--max-message-bytes <n>", env: "LINKER_MAX_MESSAGE_BYTES", description: "largest message body + attachment", parse: integer(1) },
  { key: "limits.maxMemoryValueBytes", flag: "--max-memory-value-bytes <n>", env: "LINKER_MAX_MEMORY_VALUE_BYTES", description: "largest memory value", parse: integer(1) },
  { key: "limits.maxBacklogPerInstance", flag: "--max-backlog <n>", env: "LINKER_MAX_BACKLOG", description: "unread messages stored per instance", parse: integer(1) },
  { key: "limits.subscriberBufferEvents", flag: "--subscriber-buffer <n>", env: "LINKER_SUBSCRIBER_BUFFER", description: "events buffered per subscriber before it is cut off", parse: integer(1) },
  { key: "limits.askDefaultTimeoutMs", flag: "--ask-timeout <ms>", env: "LINKER_ASK_TIMEOUT_MS", description: "Ask wait when the request gives none", parse: integer(1) },
  { key: "limits.askMaxTimeoutMs", flag: "--ask-max-timeout <ms>", env: "LINKER_ASK_MAX_TIMEOUT_MS", description: "longest Ask wait allowed", parse: integer(1) },
  { key: "limits.sendRatePerSecond", flag: "--send-rate <n>", env: "LINKER_SEND_RATE", description: "messages/s one instance may send (0 = unlimited)", parse: integer(0) },
  { key: "limits.sendBurst", flag: "--send-burst <n>", env: "LINKER_SEND_BURST", description: "burst above the send rate", parse: integer(1) },
  { key: "limits.maxInstances", flag: "--max-instances <n>", env: "LINKER_MAX_INSTANCES", description: "registered instances the hub holds", parse: integer(1) },
  { key: "limits.maxMemoryKeys", flag: "--max-memory-keys <n>", env: "LINKER_MAX_MEMORY_KEYS", description: "live shared memory keys", parse: integer(1) },
  { key: "limits.maxMemoryBytes", flag: "--max-memory-bytes <n>", env: "LINKER_MAX_MEMORY_BYTES", description: "bytes of all memory keys and values", parse: integer(1) },
  { key: "limits.maxPayloadDepth", flag: "--max-payload-depth <n>", env: "LINKER_MAX_PAYLOAD_DEPTH", description: "deepest nesting of structured message data", parse: integer(1) },
  { key: "limits.maxHeaderBytes", flag: "--max-header-bytes <n>", env: "LINKER_MAX_HEADER_BYTES", description: "bytes of request headers (431 beyond)", parse: integer(1024) },
  { key: "limits.maxMcpSessions", flag: "--max-mcp-sessions <n>", env: "LINKER_MAX_MCP_SESSIONS", description: "open MCP sessions at /mcp", parse: integer(1) },
  { key: "limits.callsPerConnection", flag: "--max-calls-per-connection <n>", env: "LINKER_MAX_CALLS_PER_CONNECTION", description: "unary calls one HTTP/2 connection may have in flight", parse: integer(1) },
  { key: "limits.streamsPerConnection", flag: "--max-streams-per-connection <n>", env: "LINKER_MAX_STREAMS_PER_CONNECTION", description: "streams (Subscribe, Publish) one HTTP/2 connection may have open", parse: integer(1) },
];

/** The default of a setting (undefined for the data folder, which the caller picks, and for the secret). */
export function settingDefault(setting: HubSetting): unknown {
  const [group, field] = setting.key.split(".");
  const value = (hubDefaults as Record<string, unknown>)[group];
  return field === undefined ? value : (value as Record<string, unknown>)[field];
}

/** Builds the config input from setting values keyed by HubSetting.key (undefined values keep the defaults). */
export function hubConfigInput(values: ReadonlyMap<string, unknown>, dataDir: string): HubConfigInput {
  const input: Record<string, unknown> & { limits: Record<string, unknown> } = { dataDir, limits: {} };
  for (const setting of HUB_SETTINGS) {
    const value = values.get(setting.key);
    if (value === undefined) continue;
    const [group, field] = setting.key.split(".");
    if (field === undefined) input[group] = value;
    else input.limits[field] = value;
  }
  return input as HubConfigInput;
}
