import pg from "pg";
import { describe, expect, it } from "vitest";
import { freePort, spawnHub, waitFor } from "../e2e/harness.js";
import { freshDatabase, postgresUrl } from "../support/postgres.js";
import { hasPostgres } from "./replicas.js";

describe.skipIf(!hasPostgres)("linker hub --store postgres at start-up", () => {
  it("refuses an unreachable database with what to check, and never prints the password", async () => {
    const port = await freePort();
    const hub = spawnHub({ args: ["--store", "postgres", "--postgres-url", `postgres://linker:s3cret-pw@127.0.0.1:${port}/linker`] });
    expect(await hub.exited).toBe(1);
    expect(hub.stderr()).toMatch(/cannot reach PostgreSQL at postgres:\/\/linker:\*\*\*@127\.0\.0\.1:\d+\/linker/);
    expect(hub.stderr()).toMatch(/check --postgres-url \(LINKER_POSTGRES_URL\)/);
    expect(hub.stderr() + hub.stdout()).not.toContain("s3cret-pw");
  });

  it("answers /readyz 503 once its database is gone, and keeps serving HTTP", async () => {
    const url = await freshDatabase();
    const hub = spawnHub({ args: ["--store", "postgres", "--postgres-url", url] });
    const [, base] = await hub.waitForStdout(/listening on (http:\/\/\S+)/, 15_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE ${pg.escapeIdentifier(new URL(url).pathname.slice(1))} WITH (FORCE)`);
    await admin.end();
    await waitFor("/readyz to report the database", async () => (await fetch(`${base}/readyz`)).status === 503, 15_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(hub.child.exitCode).toBeNull();
    await hub.stop("SIGTERM");
  });

  it("refuses --store postgres without a URL", async () => {
    const hub = spawnHub({ args: ["--store", "postgres"] });
    expect(await hub.exited).toBe(1);
    expect(hub.stderr()).toContain("--store postgres needs --postgres-url");
  });

  it("refuses a database of a newer schema and one that holds another program's tables", async () => {
    const newer = await freshDatabase();
    const first = spawnHub({ args: ["--store", "postgres", "--postgres-url", newer] });
    await first.waitForStdout(/listening/, 15_000);
    await first.stop("SIGTERM");
    const client = new pg.Client({ connectionString: newer });
    await client.connect();
    await client.query("UPDATE meta SET value = 99 WHERE key = 'schema_version'");
    await client.end();
    const second = spawnHub({ args: ["--store", "postgres", "--postgres-url", newer] });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/schema version 99, newer than this hub knows/);

    const foreign = await freshDatabase();
    const other = new pg.Client({ connectionString: foreign });
    await other.connect();
    await other.query("CREATE TABLE invoices (id serial primary key)");
    await other.end();
    const third = spawnHub({ args: ["--store", "postgres", "--postgres-url", foreign] });
    expect(await third.exited).toBe(1);
    expect(third.stderr()).toMatch(/already holds tables of another program \(invoices/);
  });
});
