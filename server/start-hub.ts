import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Logger } from "pino";
import { LinkerService } from "../gen/linker/v1/linker_service_pb.js";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { type HubConfig, isLoopbackHost } from "./config.js";
import { createErrorInterceptor } from "./error-interceptor.js";
import { HubShuttingDownError } from "./errors.js";
import { createHealthService, type HealthService } from "./health.js";
import { listenDual } from "./http-server.js";
import { createHub, type Hub } from "./hub.js";
import { createLogger } from "./logger.js";
import type { Clock } from "./clock.js";
import { hubRoutes } from "./routes.js";
import { InMemoryStore } from "./store/in-memory-store.js";
import { SqliteStore } from "./store/sqlite-store.js";
import type { Store } from "./store/store.js";

/** Bytes a request may carry beyond the message size limit (envelope, metadata). */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;

/** Serves extra paths on the hub port; returns false for requests it does not handle. */
export type HttpHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => boolean;

/** Builds an extra HTTP handler once the hub's URL is known (for example the MCP endpoint at /mcp). */
export type HttpHandlerFactory = (hubUrl: string, logger: Logger) => HttpHandler & { close?(): Promise<void> };

/** Options of startHub beyond its config. */
export interface StartHubOptions {
  /** Logger (default: JSON on stderr). */
  logger?: Logger;
  /** Clock (tests). */
  clock?: Clock;
  /** Extra HTTP endpoints served before the RPC routes. */
  httpHandler?: HttpHandlerFactory;
}

/** A hub serving on its port. */
export interface RunningHub {
  /** Base URL, for example http://127.0.0.1:3847. */
  url: string;
  /** The bound port. */
  port: number;
  /** The domain behind the port. */
  hub: Hub;
  /** Graceful stop: stop accepting, end streams with UNAVAILABLE, drain, close the store. */
  close(): Promise<void>;
}

/** Opens the configured store: `<dataDir>/hub.db` for sqlite. */
export function openStore(config: HubConfig): Store {
  if (config.store === "memory") return new InMemoryStore();
  return new SqliteStore({ path: join(config.dataDir, "hub.db"), synchronous: config.sqliteSynchronous });
}

/**
 * The routes and router options a hub serves: LinkerService, health and
 * reflection behind the error, auth and validation interceptors. Tests use the
 * same bundle over an in-memory transport.
 */
export function hubRouter(hub: Hub, health: HealthService, config: HubConfig, logger: Logger) {
  return {
    routes: hubRoutes(hub, health),
    options: {
      readMaxBytes: config.limits.maxMessageBytes + REQUEST_OVERHEAD_BYTES,
      interceptors: [createErrorInterceptor(logger), createAuthInterceptor(hub.registry, config.hubSecret), createValidateInterceptor()],
    },
  };
}

/** Thrown when a hub would listen beyond this machine without a secret. */
export class UnsafeBindError extends Error {}

/**
 * Starts a hub: opens the store, builds the domain and serves Connect, gRPC
 * and gRPC-Web (HTTP/1.1 and h2c), health and reflection on one port. If the
 * port cannot be bound the store is closed again and the error (for example
 * EADDRINUSE) is thrown, so another process can keep serving the same file.
 */
export async function startHub(config: HubConfig, options: StartHubOptions = {}): Promise<RunningHub> {
  if (!isLoopbackHost(config.host) && !config.hubSecret) {
    throw new UnsafeBindError(
      `refusing to listen on ${config.host} without a hub secret: anyone who can reach it could register; set --hub-secret (LINKER_HUB_SECRET) or bind 127.0.0.1`,
    );
  }
  const logger = options.logger ?? createLogger();
  const store = openStore(config);
  const hub = createHub({ config, store, logger, clock: options.clock });
  const health = createHealthService([LinkerService.typeName]);
  const { routes, options: routerOptions } = hubRouter(hub, health, config, logger);
  const rpcHandler = connectNodeAdapter({ routes, ...routerOptions });
  let extra: ReturnType<HttpHandlerFactory> | undefined;
  const handler: typeof rpcHandler = (req, res) => {
    if (extra?.(req, res as ServerResponse | Http2ServerResponse)) return;
    rpcHandler(req, res);
  };
  let server;
  try {
    server = await listenDual(handler, config.host, config.port);
  } catch (err) {
    await hub.close();
    throw err;
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  extra = options.httpHandler?.(url, logger);
  logger.info({ url, store: config.store, dataDir: config.store === "sqlite" ? config.dataDir : undefined }, "hub listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    port: server.port,
    hub,
    close() {
      closing ??= (async () => {
        logger.info("hub shutting down");
        health.shutdown();
        hub.deps.fanout.closeAll(new HubShuttingDownError());
        await extra?.close?.();
        await server.close();
        await hub.close();
        logger.info("hub stopped");
      })();
      return closing;
    },
  };
}
