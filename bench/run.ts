/**
 * `npm run bench`: measures the Linker hub beside a raw node:http2 baseline in
 * the same run and prints each figure with its ratio and target.
 *
 *   npm run bench -- [--json results.json] [--only send,publish,fanout,latency,memory,takeover,replicas,startup,push] [--peers] [--cpu-prof-dir DIR]
 *
 * With --peers the same workloads also run against NATS JetStream (Debian's
 * nats-server) and every figure shows its ratio to it.
 *
 * Every server runs in its own child process, started fresh per scenario and
 * stopped at the end, also on error or Ctrl-C.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createServerLauncher, type ServerLauncher, stopAllServers } from "./bench-processes.js";
import { type BenchResults, describeEnvironment, type Figure, loadAverage, renderTable, writeResultsJson } from "./bench-report.js";
import { measureBroadcastFanout } from "./broadcast-fanout.js";
import { measureEndToEndLatency } from "./end-to-end-latency.js";
import { measureHubTakeover } from "./hub-takeover.js";
import { measureIdleSubscriberMemory } from "./idle-subscriber-memory.js";
import { measurePushLatency } from "./push-latency.js";
import { measureReplicaFigures } from "./replica-figures.js";
import { measurePeers, withPeers } from "./peers/peer-figures.js";
import { measureSendThroughput } from "./send-throughput.js";
import { measureStartup } from "./startup.js";
import { measureStreamingPublish } from "./streaming-publish.js";

/** A bench scenario: its name on the command line and how to run it. */
interface Scenario {
  name: string;
  title: string;
  run(launcher: ServerLauncher): Promise<{ figures: Figure[]; notes: string[] }>;
}

const SCENARIOS: Scenario[] = [
  { name: "send", title: "Send throughput", run: (launcher) => measureSendThroughput(launcher) },
  { name: "publish", title: "Streaming publish", run: (launcher) => measureStreamingPublish(launcher) },
  { name: "fanout", title: "Broadcast fan-out", run: (launcher) => measureBroadcastFanout(launcher) },
  { name: "latency", title: "End-to-end latency", run: (launcher) => measureEndToEndLatency(launcher) },
  { name: "memory", title: "Idle subscriber memory", run: (launcher) => measureIdleSubscriberMemory(launcher) },
  { name: "takeover", title: "Hub takeover", run: () => measureHubTakeover(undefined, log) },
  { name: "replicas", title: "Replicas on PostgreSQL", run: (launcher) => measureReplicaFigures(launcher, log) },
  { name: "startup", title: "Start-up of the hook and the MCP server", run: () => measureStartup(log) },
  { name: "push", title: "Push: Linker's part of waking a Claude Code session", run: () => measurePushLatency(log) },
];

/** The whole bench must finish within this time, or it stops its servers and fails. */
const WATCHDOG_MS = 900_000;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      only: { type: "string" },
      "cpu-prof-dir": { type: "string" },
      peers: { type: "boolean" },
    },
  });
  const only = values.only?.split(",").map((name) => name.trim());
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) {
    log(`unknown scenario ${unknown.join(", ")}; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`);
    return 2;
  }
  const cpuProfileDir = values["cpu-prof-dir"] ? resolve(values["cpu-prof-dir"]) : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  const launcher = createServerLauncher({ cpuProfileDir });

  const startedAt = new Date();
  const began = performance.now();
  const loadAtStart = loadAverage();
  const figures: Figure[] = [];
  const notes: string[] = [];
  let failed = false;
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
    const t0 = performance.now();
    log(`bench: ${scenario.title}…`);
    try {
      const result = await scenario.run(launcher);
      figures.push(...result.figures);
      notes.push(...result.notes);
      log(`bench: ${scenario.title} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed = true;
      log(`bench: ${scenario.title} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  if (values.peers) {
    log("bench: peers (NATS JetStream)…");
    try {
      const peers = await measurePeers(log);
      if (peers) {
        figures.splice(0, figures.length, ...withPeers(figures, peers.values));
        notes.push(...peers.notes);
      }
    } catch (err) {
      failed = true;
      log(`bench: peers FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    seconds: Number(((performance.now() - began) / 1000).toFixed(1)),
    environment: describeEnvironment(),
    loadAverage: { atStart: loadAtStart, atEnd: loadAverage() },
    figures,
    notes,
  };
  const env = results.environment;
  const load = results.loadAverage;
  console.log(`\nLinker bench — ${env.node}, ${env.cpus} × ${env.cpuModel}, ${results.startedAt}, ${results.seconds} s`);
  console.log(`load average ${load.atStart} at start, ${load.atEnd} at end (${env.cpus} cores; other work on the machine skews every figure)\n`);
  console.log(renderTable(figures));
  console.log("");
  for (const note of notes) console.log(`- ${note}`);
  for (const f of figures) {
    if (Number(f.details?.errors ?? 0) > 0) console.log(`! ${f.name}: ${f.details?.errors} errors (${String(f.details?.firstError ?? "see JSON")})`);
  }
  if (cpuProfileDir) console.log(`\nHub CPU profiles: ${cpuProfileDir}/hub-<n>/ (largest file per folder = main thread)`);
  if (values.json) {
    writeResultsJson(values.json, results);
    console.log(`\nResults written to ${values.json}`);
  }
  return failed ? 1 : 0;
}

const watchdog = setTimeout(() => {
  log(`bench: still running after ${WATCHDOG_MS / 1000} s; stopping`);
  void stopAllServers().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAllServers().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await stopAllServers();
}
