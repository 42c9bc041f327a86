import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.js";

/** Where Debian's PostgreSQL 15 keeps its server programs. */
export const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";

/** A running throwaway PostgreSQL cluster. */
export interface PostgresCluster {
  /** Connection URL of its `postgres` database, as the `postgres` superuser. */
  url: string;
  /** Stops the server and deletes its files. */
  stop(): void;
}

/** Whether Debian's PostgreSQL 15 server programs are installed. */
export function hasPostgresServer(): boolean {
  return existsSync(join(POSTGRES_BIN, "initdb"));
}

/** Runs a server program, as the postgres user when this process is root (initdb refuses root). */
function runAsServerUser(program: string, args: string[], options: { check?: boolean } = {}): void {
  const command = join(POSTGRES_BIN, program);
  if (userInfo().uid === 0) {
    const quoted = [command, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
    if (options.check === false) spawnSync("su", ["postgres", "-c", quoted], { stdio: "ignore" });
    else execFileSync("su", ["postgres", "-c", quoted], { stdio: "pipe" });
  } else if (options.check === false) {
    spawnSync(command, args, { stdio: "ignore" });
  } else {
    execFileSync(command, args, { stdio: "pipe" });
  }
}

/**
 * Starts a throwaway PostgreSQL 15 cluster in a temp folder, on a free port
 * with trust authentication on 127.0.0.1 only and durability traded for
 * speed (it holds nothing worth keeping).
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  if (!hasPostgresServer()) throw new Error(`PostgreSQL 15 is needed (${POSTGRES_BIN}/initdb is missing): apt-get install postgresql`);
  const dir = mkdtempSync(join(tmpdir(), "linker-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const stop = () => {
    runAsServerUser("pg_ctl", ["-D", data, "-m", "immediate", "stop"], { check: false });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    runAsServerUser("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    runAsServerUser("pg_ctl", [
      "-D",
      data,
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off`,
      "-l",
      join(dir, "server.log"),
      "-w",
      "start",
    ]);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/** Creates an empty database on the server at `serverUrl` (named after `prefix` and random letters) and returns its URL. */
export async function createDatabase(serverUrl: string, prefix = "linker"): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by `createDatabase`, closing what is still connected to it. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
