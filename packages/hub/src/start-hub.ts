import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { join } from "node:path";
import { createContextValues, type Interceptor } from "@connectrpc/connect";
import { readFileSync } from "node:fs";
import { createValidateInterceptor } from "@connectrpc/validate";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { isLoopbackHost } from "@linker/protocol";
import { authMode, type HubConfig } from "./config.js";
import { loadAdminKey } from "./access/admin-key-file.js";
import type { Credential } from "./access/credential.js";
import { CONTAINER_HOST_NAMES, createHostGuard, type HostGuard, isWildcardBind } from "./access/host-guard.js";
import { rpcAdapter } from "./rpc-adapter.js";
import { selfSignedTls } from "./tls/self-signed.js";
import { createErrorInterceptor } from "./error-interceptor.js";
import { HubShuttingDownError } from "./errors.js";
import { createHealthService, type HealthService } from "./health.js";
import { ConnectionLimits } from "./connection-limits.js";
import { createDirectRpc, type DirectRpcOptions } from "./direct/direct-rpc.js";
import { listenDual } from "./http-server.js";
import { createHub, type Hub } from "./hub.js";
import { createLogger, type HubLogger } from "./logger.js";
import type { Clock } from "./clock.js";
import { dashboardHandler, loadDashboard } from "./observe/dashboard-files.js";
import { createObserverAccessInterceptor, credentialObserverPolicy, type ObserverPolicy } from "./observe/observer-access.js";
import { opsEndpoints } from "./observe/ops-endpoints.js";
import { nodeRequestKey, peerOf } from "./observe/peer.js";
import { answerText } from "./observe/ops-endpoints.js";
import { AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { X509Certificate } from "node:crypto";
import { createRequestLogInterceptor } from "./observe/request-log-interceptor.js";
import { createLinkerService } from "./linker-service.js";
import { hubRoutes } from "./routes.js";
import { PostgresStore, redactedUrl } from "./store/postgres/postgres-store.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/store.js";

/** Bytes a request may carry beyond the message size limit (envelope, metadata). */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;

/** Handles one HTTP request on the hub port. */
type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

/** Serves extra paths on the hub port; returns false for requests it does not handle. */
export type HttpHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => boolean;

/** What the hub tells an extra HTTP endpoint about credentials. */
export interface HubAccess {
  /** What a bearer token is (an agent key, the hub secret, the hub's admin key), so an endpoint can take identity from it. */
  identify(bearer: string | undefined): Promise<Credential>;
  /** The registration mode in force. */
  mode: "open" | "secret" | "keys";
  /** Options of clients the endpoint opens to its own hub (the CA of a self-signed hub). */
  clientCa?: string;
  /** The MCP session limit and the like. */
  config: HubConfig;
}

/** Builds an extra HTTP handler once the hub's URL is known (for example the MCP endpoint at /mcp). */
export type HttpHandlerFactory = (hubUrl: string, logger: HubLogger, access: HubAccess) => HttpHandler & { close?(): Promise<void> };

/** Options of startHub beyond its config. */
export interface StartHubOptions {
  /** Logger (default: JSON on stderr). */
  logger?: HubLogger;
  /** Clock (tests). */
  clock?: Clock;
  /** Extra HTTP endpoints served before the RPC routes. */
  httpHandler?: HttpHandlerFactory;
  /** Interceptors run after the hub's own (authentication, validation), innermost last. */
  interceptors?: Interceptor[];
  /**
   * Who may call the observer RPCs and read /metrics (default: the hub
   * secret when set, else this machine only). Credentials with roles plug in here.
   */
  observerPolicy?: ObserverPolicy;
  /** Folder of a built dashboard to serve at `/` (default: the `@linker/dashboard` package's). */
  dashboardDir?: string;
}

/** A hub serving on its port. */
export interface RunningHub {
  /** Base URL, for example http://127.0.0.1:3847. */
  url: string;
  /** The bound port. */
  port: number;
  /** The domain behind the port. */
  hub: Hub;
  /** SHA-256 fingerprint of the TLS CA (self-signed mode) or certificate, when the hub serves TLS. */
  tlsFingerprint?: string;
  /** Path of the CA clients should trust (self-signed mode). */
  tlsCaPath?: string;
  /** Graceful stop: stop accepting, end streams with UNAVAILABLE, drain, close the store. */
  close(): Promise<void>;
}

/** Thrown when the configuration cannot work (for example postgres without a URL). */
export class HubConfigError extends Error {}

/**
 * Opens the configured store: `<dataDir>/hub.db` for sqlite, an in-memory
 * SQLite database for memory, the database at `postgresUrl` for postgres.
 */
export async function openStore(config: HubConfig, logger?: HubLogger): Promise<Store> {
  if (config.store === "postgres") {
    if (!config.postgresUrl) throw new HubConfigError("--store postgres needs --postgres-url (LINKER_POSTGRES_URL), for example postgres://linker@db.internal:5432/linker");
    return PostgresStore.open({ url: config.postgresUrl, schema: config.postgresSchema, logger });
  }
  return new SqliteStore({
    path: config.store === "memory" ? ":memory:" : join(config.dataDir, "hub.db"),
    synchronous: config.sqliteSynchronous,
    busyTimeoutMs: config.sqliteBusyTimeoutMs,
    reset: config.reset,
    logger,
  });
}

/**
 * The routes and router options a hub serves: LinkerService, health and
 * reflection behind the request log, error, observer access, auth and
 * validation interceptors. Tests use the same bundle over an in-memory transport.
 */
export function hubRouter(
  hub: Hub,
  health: HealthService,
  config: HubConfig,
  logger: HubLogger,
  extra: Interceptor[] = [],
  observerPolicy: ObserverPolicy = credentialObserverPolicy({ mode: authMode(config), keys: hub.keys, audit: hub.audit }),
) {
  const { rpcs, traffic } = hub.observation;
  return {
    routes: hubRoutes(hub, health),
    options: {
      readMaxBytes: config.limits.maxMessageBytes + REQUEST_OVERHEAD_BYTES,
      interceptors: [
        createRequestLogInterceptor(logger, rpcs, traffic),
        createErrorInterceptor(logger),
        createObserverAccessInterceptor(observerPolicy),
        createAuthInterceptor({ registry: hub.registry, keys: hub.keys, audit: hub.audit, config }),
        createValidateInterceptor(),
        ...extra,
      ],
    },
  };
}

/** The path of a request target, without its query. */
function pathOf(target: string | undefined): string {
  if (target === undefined) return "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** Thrown when a hub would listen beyond this machine without a secret. */
export class UnsafeBindError extends Error {}

/** The TLS material the config asks for, or none. */
function tlsOf(config: HubConfig): { cert: string; key: string; fingerprint: string; caPath?: string } | undefined {
  if (config.tlsSelfSigned) {
    if (config.dataDir === "") throw new HubConfigError("--tls-self-signed writes its CA into the data folder: give the hub a --data-dir");
    // A wildcard bind is reached from containers too: the certificate names their host names.
    const names = [config.host, ...config.allowedHosts, ...(isWildcardBind(config.host) ? CONTAINER_HOST_NAMES : [])];
    const tls = selfSignedTls(join(config.dataDir, "tls"), names);
    return { cert: tls.cert, key: tls.key, fingerprint: tls.fingerprint, caPath: tls.caPath };
  }
  if (config.tlsCert === undefined && config.tlsKey === undefined) return undefined;
  if (config.tlsCert === undefined || config.tlsKey === undefined) throw new HubConfigError("TLS needs both --tls-cert and --tls-key");
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(config.tlsCert, "utf8");
    key = readFileSync(config.tlsKey, "utf8");
  } catch (err) {
    throw new HubConfigError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
  let fingerprint = "";
  try {
    fingerprint = new X509Certificate(cert).fingerprint256;
  } catch (err) {
    throw new HubConfigError(`${config.tlsCert} is not a PEM certificate: ${(err as Error).message}`);
  }
  return { cert, key, fingerprint };
}

/** Refuses settings that cannot work together, with what to do. */
function checkAccess(config: HubConfig): void {
  const mode = authMode(config);
  if (mode === "secret" && !config.hubSecret) throw new HubConfigError("--auth secret needs --hub-secret (LINKER_HUB_SECRET)");
  if (mode === "keys" && config.hubSecret) {
    throw new HubConfigError("--auth keys takes agent keys only; drop --hub-secret, or use --auth secret to accept both");
  }
  if (!isLoopbackHost(config.host) && mode === "open") {
    throw new UnsafeBindError(
      `refusing to listen on ${config.host} without credentials: anyone who can reach it could register; create agent keys and pass --auth keys, set --hub-secret (LINKER_HUB_SECRET), or bind 127.0.0.1`,
    );
  }
}

/**
 * Starts a hub: binds the port, opens the store, builds the domain and serves
 * Connect, gRPC and gRPC-Web (HTTP/1.1 and h2c), health and reflection on it.
 * The port is bound first: a process that loses the race for it (EADDRINUSE,
 * thrown as is) never touches the store another process serves. Requests that
 * arrive while the store opens wait for it.
 */
export async function startHub(config: HubConfig, options: StartHubOptions = {}): Promise<RunningHub> {
  checkAccess(config);
  const logger = options.logger ?? createLogger();
  const tls = tlsOf(config);
  let serve: RequestHandler | undefined;
  let guard: HostGuard | undefined;
  const waiting: Array<() => void> = [];
  const server = await listenDual(
    (req, res) => (serve ? serve(req, res) : waiting.push(() => serve?.(req, res))),
    config.host,
    config.port,
    { tls, maxHeaderBytes: config.limits.maxHeaderBytes },
  );
  const url = `${tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  guard = createHostGuard({ host: config.host, port: server.port, allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins });
  const hubAdminKey = loadAdminKey(config.dataDir, (message, err) => logger.warn({ err }, message));
  let hub: Hub | undefined;
  try {
    hub = createHub({ config, store: await openStore(config, logger), logger, clock: options.clock, hubAdminKeys: hubAdminKey ? [hubAdminKey] : [] });
    await hub.ready;
  } catch (err) {
    await hub?.close().catch(() => undefined);
    await server.close(0);
    throw err;
  }
  hub.observation.url = url;
  const health = createHealthService([LinkerService.typeName]);
  const mode = authMode(config);
  const observerPolicy = options.observerPolicy ?? credentialObserverPolicy({ mode, keys: hub.keys, audit: hub.audit });
  const { routes, options: routerOptions } = hubRouter(hub, health, config, logger, options.interceptors, observerPolicy);
  const contextValues = (req: IncomingMessage | Http2ServerRequest) => createContextValues().set(nodeRequestKey, req);
  const rpcHandler = rpcAdapter({ routes, ...routerOptions, contextValues, logger });
  const limits = new ConnectionLimits(config.limits);
  const direct = createDirectRpc({
    service: createLinkerService(hub) as DirectRpcOptions["service"],
    interceptors: routerOptions.interceptors,
    readMaxBytes: routerOptions.readMaxBytes,
    contextValues,
  });
  const keys = hub.keys;
  const extra = options.httpHandler?.(url, logger, { identify: (bearer) => keys.identify(bearer), mode, clientCa: tls?.caPath ? readFileSync(tls.caPath, "utf8") : tls ? tls.cert : undefined, config });
  const ops = opsEndpoints(hub, observerPolicy, logger);
  const dashboard = dashboardHandler(await loadDashboard(options.dashboardDir), config.dashboard);
  const audit = hub.audit;
  serve = (req, res) => {
    const peer = peerOf(req);
    const refusal = guard?.refusal(peer);
    if (refusal !== undefined) {
      audit.refused({ kind: AuditKind.AUTH_FAILED, actor: "web page", peer: peer.address ?? "", method: pathOf(req.url), detail: refusal });
      answerText(res, 403, refusal);
      return;
    }
    const path = pathOf(req.url);
    if (ops.handle(req, res, path) || dashboard(req, res, path)) return;
    if (extra?.(req, res as ServerResponse | Http2ServerResponse)) return;
    if (req.httpVersionMajor === 2) {
      if (!limits.admit(req as Http2ServerRequest, res as Http2ServerResponse)) return;
      if (direct(req as Http2ServerRequest, res as Http2ServerResponse)) return;
    }
    rpcHandler(req, res);
  };
  for (const request of waiting.splice(0)) request();
  logger.info(
    {
      url,
      auth: mode,
      tls: tls ? { fingerprint: tls.fingerprint, ca: tls.caPath } : undefined,
      store: config.store,
      dataDir: config.store === "sqlite" ? config.dataDir : undefined,
      database: config.store === "postgres" && config.postgresUrl ? redactedUrl(config.postgresUrl) : undefined,
    },
    "hub listening",
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port: server.port,
    hub,
    tlsFingerprint: tls?.fingerprint,
    tlsCaPath: tls?.caPath,
    close() {
      closing ??= (async () => {
        logger.info({}, "hub shutting down");
        ops.stopping();
        health.shutdown();
        hub.deps.fanout.closeAll(new HubShuttingDownError());
        await extra?.close?.();
        await server.close();
        await hub.close();
        logger.info({}, "hub stopped");
      })();
      return closing;
    },
  };
}
