import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRouterTransport, type Interceptor, type Transport } from "@connectrpc/connect";
import { pino } from "pino";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type HubConfig, type HubConfigInput, hubConfig } from "../../packages/hub/src/config.js";
import { createHealthService } from "../../packages/hub/src/health.js";
import { createHub, type Hub } from "../../packages/hub/src/hub.js";
import type { Clock } from "../../packages/hub/src/clock.js";
import { hubRouter, openStore } from "../../packages/hub/src/start-hub.js";
import type { Store } from "../../packages/hub/src/store/store.js";
import { type Agent, registerAgent } from "./clients.js";
import { dropSchema, freshSchema, postgresUrl } from "./postgres.js";

/** A storage backend name. */
export type StoreKind = "sqlite" | "memory" | "postgres";

/**
 * The storage backends every shared test body runs against: SQLite in a file
 * and in memory, and PostgreSQL when this run has a server (see postgres-server.ts).
 */
export const storeKinds: readonly StoreKind[] = postgresUrl ? ["sqlite", "memory", "postgres"] : ["sqlite", "memory"];

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}
  /** The current fake time. */
  now(): number {
    return this.ms;
  }
  /** Moves time forward. */
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A fresh store of the given kind (a file in a temp folder, or a schema of its own, that closing removes). */
export async function createStore(kind: StoreKind): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "linker-store-"));
  const schema = freshSchema();
  const store = await openStore(hubConfig({ store: kind, dataDir: dir, postgresUrl, postgresSchema: schema }));
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === "postgres") await dropSchema(schema);
  };
  return store;
}

/** A hub behind an in-memory transport, with the production routes and interceptors. */
export interface TestHub {
  /** The domain. */
  hub: Hub;
  /** The config in force. */
  config: HubConfig;
  /** The fake clock. */
  clock: FakeClock;
  /** A transport with extra client interceptors. */
  transport(interceptors?: Interceptor[]): Transport;
  /** Registers an agent and returns its authenticated client. */
  agent(name: string): Promise<Agent>;
  /** Closes the hub. */
  close(): Promise<void>;
}

/** Builds a TestHub on a fresh store. */
export async function createTestHub(kind: StoreKind, overrides: Partial<HubConfigInput> = {}): Promise<TestHub> {
  const config = hubConfig({ store: kind, dataDir: "", ...overrides });
  const clock = new FakeClock();
  const logger = pino({ level: "silent" });
  const hub = createHub({ config, store: await createStore(kind), logger, clock });
  await hub.ready;
  const { routes, options } = hubRouter(hub, createHealthService([LinkerService.typeName]), config, logger);
  const transport = (interceptors: Interceptor[] = []) =>
    createRouterTransport(routes, { router: options, transport: { interceptors } });
  return {
    hub,
    config,
    clock,
    transport,
    agent: (name) => registerAgent(transport, name),
    close: () => hub.close(),
  };
}
