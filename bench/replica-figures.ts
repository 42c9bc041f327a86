import { createDatabase, hasPostgresServer, startPostgresCluster } from "../test/support/postgres-cluster.js";
import { type ServerLauncher, startLinkerHub, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";
import { measureLatency } from "./end-to-end-latency.js";
import { defaultSendThroughputOptions, measureSendRates } from "./send-throughput.js";

/**
 * Offered rate of the cross-replica latency run, messages per second: one
 * sender's Sends on PostgreSQL commit one after another, each a few round
 * trips to the database, so this stays well inside what one replica takes.
 */
const RATE = 200;
/** The latency runs' shape. */
const LATENCY = { ratePerSecond: RATE, durationMs: 3_000, warmupMessages: 300 };
/** Send throughput with the lean client only (the others are client-limited). */
const SEND = { ...defaultSendThroughputOptions, clients: ["lean-h2" as const] };

/**
 * Cross-replica figures: Send with 50 in flight on a hub backed by
 * PostgreSQL beside one backed by SQLite, and Send → subscriber latency with
 * the sender on one replica and the subscriber on another, both on one
 * PostgreSQL database (LISTEN/NOTIFY carries the commit across). Runs on a
 * throwaway PostgreSQL 15 cluster; without Debian's postgresql package it
 * reports no figures and says why.
 */
export async function measureReplicaFigures(launcher: ServerLauncher, log: (line: string) => void): Promise<{ figures: Figure[]; notes: string[] }> {
  if (!hasPostgresServer()) {
    log("bench: PostgreSQL 15 is not installed (apt-get install postgresql); no cross-replica figures");
    return { figures: [], notes: ["Replicas: skipped, PostgreSQL 15 is not installed."] };
  }
  const cluster = await startPostgresCluster();
  try {
    const sqlite = await withServer(startLinkerHub(), (server) => measureSendRates(server, "lean-h2", SEND));
    const sendUrl = await createDatabase(cluster.url, "linker_send");
    const postgres = await withServer(startLinkerHub({ store: "postgres", postgresUrl: sendUrl }), (server) => measureSendRates(server, "lean-h2", SEND));
    const raw = await withServer(launcher.raw(), (server) => measureSendRates(server, "lean-h2", SEND));
    const replicasUrl = await createDatabase(cluster.url, "linker_replicas");
    const cross = await withServer(startLinkerHub({ store: "postgres", postgresUrl: replicasUrl }), (first) =>
      withServer(startLinkerHub({ store: "postgres", postgresUrl: replicasUrl }), (second) => measureLatency(first, "lean-h2", LATENCY, second)),
    );
    const rawLatency = await withServer(launcher.raw(), (server) => measureLatency(server, "lean-h2", LATENCY));
    const perSend = (phase: typeof raw.concurrent) => (phase.cpu.serverMs * 1000) / phase.ok;
    const figures = [
      figure({
        id: "replicas.send.sqlite",
        name: `Send, ${SEND.concurrency} in flight, SQLite store (lean-h2 gRPC client)`,
        unit: "msgs/s",
        linker: sqlite.concurrent.perSecond,
        baseline: raw.concurrent.perSecond,
        details: { errors: sqlite.concurrent.errors, serverCpuUsPerSend: perSend(sqlite.concurrent) },
      }),
      figure({
        id: "replicas.send.postgres",
        name: `Send, ${SEND.concurrency} in flight, PostgreSQL store (lean-h2 gRPC client)`,
        unit: "msgs/s",
        linker: postgres.concurrent.perSecond,
        baseline: raw.concurrent.perSecond,
        details: { errors: postgres.concurrent.errors, serverCpuUsPerSend: perSend(postgres.concurrent) },
      }),
      figure({
        id: "replicas.latency.p50",
        name: `Send → subscriber p50 @ ${RATE}/s across two replicas (lean-h2 gRPC client)`,
        unit: "ms",
        linker: cross.endToEnd.p50,
        baseline: rawLatency.endToEnd.p50,
        details: { errors: cross.errors + cross.missing, firstError: cross.firstError },
      }),
      figure({
        id: "replicas.latency.p99",
        name: `Send → subscriber p99 @ ${RATE}/s across two replicas (lean-h2 gRPC client)`,
        unit: "ms",
        linker: cross.endToEnd.p99,
        baseline: rawLatency.endToEnd.p99,
        details: { errors: cross.errors + cross.missing, sendCallP99Ms: cross.sendCall.p99 },
      }),
    ];
    const notes = [
      `Replicas: a throwaway PostgreSQL 15 cluster (fsync off: it measures the hub, not the disk); Send as in the Send scenario, ` +
        `against a SQLite hub and a PostgreSQL hub in the same run; latency with the sender on one replica and the subscriber on another, ` +
        `${RATE} msgs/s open loop for ${LATENCY.durationMs / 1000} s, against the raw single-process baseline.`,
    ];
    return { figures, notes };
  } finally {
    cluster.stop();
  }
}
