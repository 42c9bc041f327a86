import { LinkerClient, type LinkerClientOptions, MemorySessionStore } from "@linker/client";
import { afterAll } from "vitest";
import { type Hub, killAll, launchHub, removeTempDirs } from "../e2e/harness.js";
import { freshDatabase, postgresUrl } from "../support/postgres.js";

/** True when this run has a PostgreSQL server (see test/support/postgres-server.ts). */
export const hasPostgres = postgresUrl !== "";

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/** `linker hub` processes serving one fresh PostgreSQL database. */
export interface ReplicaSet {
  /** The database URL. */
  url: string;
  /** The running replicas (a killed one stays in the list). */
  hubs: Hub[];
  /** Starts one more replica on the same database. */
  add(): Promise<Hub>;
}

/** Starts `count` replicas of `linker hub --store postgres` on a new database. */
export async function startReplicas(count: number, args: string[] = []): Promise<ReplicaSet> {
  const url = await freshDatabase();
  const add = () => launchHub({ args: ["--store", "postgres", "--postgres-url", url, ...args] });
  // The first one migrates the new database; the others find it ready.
  const hubs = [await add()];
  hubs.push(...(await Promise.all(Array.from({ length: count - 1 }, add))));
  const set: ReplicaSet = {
    url,
    hubs,
    async add() {
      const hub = await add();
      hubs.push(hub);
      return hub;
    },
  };
  return set;
}

const clients: LinkerClient[] = [];

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** A connected client on the given hub list (it fails over along it), closed after the file. */
export async function replicaClient(name: string, hubs: string[], options: Partial<LinkerClientOptions> = {}): Promise<LinkerClient> {
  const client = new LinkerClient({
    name,
    hubs,
    autoHub: false,
    sessions: new MemorySessionStore(),
    retryBudgetMs: 20_000,
    backoff: { initialMs: 50, maxMs: 500 },
    ...options,
  });
  clients.push(client);
  await client.connect();
  return client;
}

/** The hub list starting at replica `i` and going round: clients spread over replicas and fail over to the next. */
export function rotation(hubs: readonly Hub[], i: number): string[] {
  return hubs.map((_, k) => hubs[(i + k) % hubs.length].url);
}
