import type { TestProject } from "vitest/node";
import { hasPostgresServer, POSTGRES_BIN, type PostgresCluster, startPostgresCluster } from "./postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the throwaway PostgreSQL server of this test run ("" when none could be started). */
    postgresUrl: string;
  }
}

let cluster: PostgresCluster | undefined;

/**
 * Global setup: a throwaway PostgreSQL 15 cluster for the whole test run,
 * removed at the end. Without Debian's postgresql package the PostgreSQL
 * tests are left out, unless LINKER_TEST_REQUIRE_POSTGRES=1 (CI), which fails
 * the run instead.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!hasPostgresServer()) {
    if (process.env.LINKER_TEST_REQUIRE_POSTGRES === "1") {
      throw new Error(`PostgreSQL 15 is required (LINKER_TEST_REQUIRE_POSTGRES=1) but ${POSTGRES_BIN}/initdb is missing: apt-get install postgresql`);
    }
    process.stderr.write(`\nPostgreSQL tests are skipped: ${POSTGRES_BIN}/initdb is missing (apt-get install postgresql to run them)\n`);
    project.provide("postgresUrl", "");
    return;
  }
  cluster = await startPostgresCluster();
  project.provide("postgresUrl", cluster.url);
}

/** Stops the cluster and deletes its files. */
export function teardown(): void {
  cluster?.stop();
}
