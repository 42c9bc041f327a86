import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the throwaway PostgreSQL server of this test run ("" when none could be started). */
    postgresUrl: string;
  }
}

/** Where Debian's PostgreSQL 15 keeps its server programs. */
const BIN = "/usr/lib/postgresql/15/bin";

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a server program, as the postgres user when this process is root (initdb refuses root). */
function runAsServerUser(program: string, args: string[]): void {
  const command = join(BIN, program);
  if (userInfo().uid === 0) {
    const quoted = [command, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
    execFileSync("su", ["postgres", "-c", quoted], { stdio: "pipe" });
  } else {
    execFileSync(command, args, { stdio: "pipe" });
  }
}

let dir: string | undefined;

/**
 * Global setup: a throwaway PostgreSQL 15 cluster for the whole test run, on
 * a free port with trust authentication on 127.0.0.1 only, removed at the end.
 * Without Debian's postgresql package the PostgreSQL tests are left out, unless
 * LINKER_TEST_REQUIRE_POSTGRES=1 (CI), which fails the run instead.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(join(BIN, "initdb"))) {
    if (process.env.LINKER_TEST_REQUIRE_POSTGRES === "1") throw new Error(`PostgreSQL 15 is required (LINKER_TEST_REQUIRE_POSTGRES=1) but ${BIN}/initdb is missing: apt-get install postgresql`);
    process.stderr.write(`\nPostgreSQL tests are skipped: ${BIN}/initdb is missing (apt-get install postgresql to run them)\n`);
    project.provide("postgresUrl", "");
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "linker-test-pg-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  runAsServerUser("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
  runAsServerUser("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off`,
    "-l",
    join(dir, "server.log"),
    "-w",
    "start",
  ]);
  project.provide("postgresUrl", `postgres://postgres@127.0.0.1:${port}/postgres`);
}

/** Stops the cluster and deletes its files. */
export function teardown(): void {
  if (!dir) return;
  const data = join(dir, "data");
  if (userInfo().uid === 0) spawnSync("su", ["postgres", "-c", `${BIN}/pg_ctl -D '${data}' -m immediate stop`], { stdio: "ignore" });
  else spawnSync(join(BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], { stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
