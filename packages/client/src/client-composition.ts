import { join, resolve } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { DEFAULT_HUB_URL } from "@linker/protocol";
import type { LinkerClientOptions } from "./client-options.js";
import { ClientSession, type RegistrationDetails } from "./client-session.js";
import { type ClientState, ClientStream } from "./client-stream.js";
import { type ClientLogger, SILENT_LOGGER } from "./client-logger.js";
import { CursorCheckpoint } from "./cursor-checkpoint.js";
import { EventBus } from "./event-bus.js";
import { createFailoverTransport } from "./failover-transport.js";
import { HubEndpoints } from "./hub-endpoints.js";
import { sessionHubKey } from "./hub-key.js";
import { type AutoHubOptions, createHubKeeper, type HubKeeper } from "./hub-keeper.js";
import { createHubTransport, type HubTransport } from "./hub-transport.js";
import { FileSessionStore, MemorySessionStore, type SessionStore } from "./session-store.js";

/** The parts a LinkerClient is made of. */
export interface ClientParts {
  /** Where log lines go. */
  logger: ClientLogger;
  /** The hubs and the one in use. */
  endpoints: HubEndpoints;
  /** Keeps the machine's hub alive (autoHub). */
  keeper: HubKeeper | undefined;
  /** Listeners and queues. */
  bus: EventBus;
  /** The generated client over the failover transport. */
  rpc: Client<typeof LinkerService>;
  /** The resume cursor and its checkpoints. */
  checkpoints: CursorCheckpoint;
  /** Registration, renewal and token persistence. */
  session: ClientSession;
  /** The event stream and heartbeats. */
  stream: ClientStream;
}

/** What the parts need from the client that holds them. */
export interface ClientHooks {
  /** Connects the client. */
  connect(): Promise<unknown>;
  /** The error of a call on a closed client. */
  closedError(waitingFor: string): Error;
  /** True while this process serves the hub. */
  hosting(): boolean;
  /** Told of every change of the stream's state. */
  onState(state: ClientState): void;
}

/** Builds and wires the parts of a client from its options. */
export function composeClient(options: LinkerClientOptions, hooks: ClientHooks): ClientParts {
  const logger = options.logger ?? SILENT_LOGGER;
  const urls = (typeof options.hubs === "string" ? [options.hubs] : (options.hubs ?? [DEFAULT_HUB_URL])).map((url) => url.replace(/\/+$/, ""));
  const autoHub = options.autoHub === true ? {} : options.autoHub || undefined;
  const dataDir = autoHub && !autoHub.keeper ? autoHubDataDir(autoHub, options.home) : undefined;
  const keeper = autoHub ? lazyKeeper(urls[0], { ...autoHub, dataDir }, logger) : undefined;
  const hubKey = options.hubKey ?? (dataDir ? `db:${dataDir}` : options.home ? sessionHubKey(urls, options.home) : `url:${urls[0]}`);
  const store = sessionStoreOf(options, dataDir);
  const bus = new EventBus(logger, hooks.closedError);
  const endpoints = new HubEndpoints({
    urls,
    keeper,
    connect: (url) => connectTo(url, options),
    onChange: (change) => {
      logger.info({ from: change.from, to: change.to, reason: change.reason }, "hub changed");
      bus.emit(change);
    },
  });
  const hubSecret = options.hubSecret || undefined;
  let session: ClientSession | undefined;
  const token = () => session?.token;
  const renew = (expired: string | undefined) => session!.renew(expired);
  const rpc = createClient(
    LinkerService,
    createFailoverTransport({
      endpoints,
      // Register carries the hub secret; other calls the session, or the secret when they have none.
      authorization: (method) => (method === LinkerService.method.register.name ? hubSecret : (token() ?? hubSecret)),
      renewSession: renew,
      retryBudgetMs: options.retryBudgetMs,
      backoff: options.backoff,
    }),
  );
  const currentUrl = () => {
    try {
      return endpoints.current().url;
    } catch {
      return endpoints.urls[0] ?? "";
    }
  };
  const checkpoints = new CursorCheckpoint({ store, hub: hubKey, name: options.name, token, logger });
  session = new ClientSession({
    name: options.name,
    mode: options.sessionMode ?? "register",
    rpc,
    store,
    hubKey,
    details: registrationDetails(options),
    checkpoint: checkpoints,
    afterSeq: options.afterSeq,
    connectRetryMs: options.connectRetryMs ?? 3_000,
    connect: hooks.connect,
    emit: (event) => bus.emit(event),
    hubUrl: currentUrl,
    logger,
  });
  const stream = new ClientStream({
    endpoints,
    rpc,
    types: options.eventTypes ?? [],
    backoff: options.backoff,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 0,
    dedupeCapacity: options.dedupeCapacity ?? 10_000,
    checkpoint: checkpoints,
    bus,
    token,
    renew,
    hosting: hooks.hosting,
    onState: hooks.onState,
    logger,
  });
  return { logger, endpoints, keeper, bus, rpc, checkpoints, session, stream };
}

function connectTo(url: string, options: LinkerClientOptions): HubTransport {
  const custom = options.transport?.(url);
  if (custom) return "transport" in custom ? custom : { url, transport: custom, close() {} };
  return createHubTransport(url, { protocol: options.protocol, httpVersion: options.httpVersion, interceptors: options.interceptors });
}

/** What a client registers, from its options. */
function registrationDetails(options: LinkerClientOptions): RegistrationDetails {
  return {
    description: options.description ?? "",
    capabilities: options.capabilities ?? [],
    labels: options.labels ?? {},
    workspace: options.workspace,
    client: options.clientKind ?? "",
  };
}

/** The folder of hub.db for autoHub: its own dataDir, else the client's home. */
function autoHubDataDir(autoHub: AutoHubOptions, home: string | undefined): string {
  const dir = autoHub.dataDir ?? home;
  if (dir === undefined) throw new Error("autoHub needs a data folder: pass autoHub.dataDir or home");
  return resolve(dir);
}

/** The session store a client uses: the given one, files under its home or autoHub folder, or this process's memory. */
function sessionStoreOf(options: LinkerClientOptions, dataDir: string | undefined): SessionStore | undefined {
  if (options.sessions === false) return undefined;
  if (options.sessions) return options.sessions;
  const dir = dataDir ?? options.home;
  return dir === undefined ? new MemorySessionStore() : new FileSessionStore(join(dir, "sessions"));
}

/** A HubKeeper that loads the hub code on first use. */
function lazyKeeper(url: string, options: AutoHubOptions, logger: ClientLogger): HubKeeper {
  let keeper: HubKeeper | undefined;
  let loading: Promise<HubKeeper> | undefined;
  const load = () => (loading ??= createHubKeeper(url, options, logger).then((created) => (keeper = created)));
  return {
    url,
    get hosting() {
      return keeper?.hosting ?? false;
    },
    ensure: async () => (await load()).ensure(),
    recover: async () => (await load()).recover(),
    close: async () => {
      if (loading) await (await loading).close();
    },
  };
}
