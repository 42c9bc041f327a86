import { join } from "node:path";
import type { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { createHubTransport, detectWorkspace, FileSessionStore, LinkerClient, type LinkerClientOptions, NoStoredSessionError, sessionHubKey } from "@linker/client";
import { isLoopbackUrl } from "@linker/protocol";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { Settings } from "./settings.js";
import { TokenSessionStore } from "./token-session-store.js";

/** How a command uses its client. */
export interface ClientUse {
  /** Keep an event stream open (long-lived commands); one-shot commands never subscribe. */
  subscribe?: boolean;
  /** Only these kinds of stream events. */
  eventTypes?: EventType[];
  /** Resume the stream after this seq. */
  afterSeq?: bigint;
  /** Register's `client`; empty by default, so a command run under a session's name keeps what that session registered. */
  clientKind?: string;
  /** Serve the hub here when none answers (long-lived commands only). */
  autoHub?: boolean;
  /** How long to keep trying to reach a hub before giving up (default 2 s). */
  connectRetryMs?: number;
  /** How long a call keeps retrying across hub failures (default 5 s). */
  retryBudgetMs?: number;
  /** Longest wait between retries (default 500 ms, so a one-shot command gives up close to its budget). */
  maxRetryDelayMs?: number;
}

/** Where sessions of `settings.home` are kept. */
export function sessionStore(settings: Settings): TokenSessionStore {
  return new TokenSessionStore(join(settings.home, "sessions"));
}

/** Throws a usage error unless autoHub can serve this hub list. */
export function checkAutoHub(hubs: readonly string[]): void {
  if (hubs.length !== 1 || !isLoopbackUrl(hubs[0])) {
    throw new CliError(
      `--auto-hub serves one hub on this machine, but the hub list is ${hubs.join(", ")}`,
      ExitCode.usage,
      "pass a single http://127.0.0.1:<port> URL with --auto-hub, or leave --auto-hub out",
    );
  }
}

/** Client options for acting as `settings.name`. */
export function clientOptions(settings: Settings, use: ClientUse = {}): LinkerClientOptions {
  if (use.autoHub) checkAutoHub(settings.hubs);
  return {
    name: settings.name,
    description: settings.description,
    workspace: detectWorkspace(settings.projectDir),
    clientKind: use.clientKind ?? "",
    hubs: settings.hubs,
    home: settings.home,
    autoHub: use.autoHub ? { dataDir: settings.home } : false,
    sessions: sessionStore(settings),
    hubKey: sessionHubKey(settings.hubs, settings.home),
    subscribe: use.subscribe ?? false,
    eventTypes: use.eventTypes,
    afterSeq: use.afterSeq,
    hubSecret: settings.credential,
    transport: settings.ca !== undefined ? (url) => createHubTransport(url, { ca: settings.ca }) : undefined,
    connectRetryMs: use.connectRetryMs ?? 2_000,
    retryBudgetMs: use.retryBudgetMs ?? 5_000,
    backoff: { maxMs: use.maxRetryDelayMs ?? 500 },
  };
}

/**
 * Runs a one-shot command as `settings.name`: registers (reclaiming the name
 * with its stored session), runs `work` without an event stream, and closes
 * the client whatever happens.
 */
export async function withClient<T>(settings: Settings, work: (client: LinkerClient) => Promise<T>, use: ClientUse = {}): Promise<T> {
  const client = new LinkerClient(clientOptions(settings, { ...use, subscribe: false }));
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.close();
  }
}

/** How a command that only reads acts: as its name, with the session stored for it, or as nobody. */
export type ReaderSession = "stored" | "none";

/**
 * Runs a command that only reads, without registering: with "stored" it
 * uses the session token stored for `settings.name` as it is (and fails with
 * a clear error when there is none, creating nothing); with "none" it calls
 * the hub's open reads without a session. No name is claimed either way.
 */
export async function withReader<T>(settings: Settings, session: ReaderSession, work: (client: LinkerClient) => Promise<T>, use: ClientUse = {}): Promise<T> {
  const client = new LinkerClient({
    ...clientOptions(settings, { ...use, subscribe: false, autoHub: false }),
    // A plain file store: looking up the stored session must not propose one.
    sessions: new FileSessionStore(join(settings.home, "sessions")),
    sessionMode: session,
  });
  try {
    return await work(client);
  } catch (err) {
    if (err instanceof NoStoredSessionError) {
      throw new CliError(
        `"${settings.name}" has no session in ${settings.home}: it has not registered from here, so nothing waits for it here`,
        ExitCode.notFound,
        "its MCP server, `linker register` or any command that writes registers it; or pass the --name of an instance that ran here",
      );
    }
    throw err;
  } finally {
    await client.close();
  }
}
