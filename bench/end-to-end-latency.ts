import type { SubscribeResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type BenchConnection, type ClientKind, describeClient, openConnection } from "./bench-agents.js";
import { type PhaseCpu, type ServerLauncher, type ServerProcess, startCpuMeter, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";
import { type LatencySummary, summarizeLatency } from "./latency-stats.js";
import { runOpenLoop, waitForQuiet, waitUntil } from "./load-patterns.js";

/** How the end-to-end latency scenario runs. */
export interface EndToEndLatencyOptions {
  /** Offered load, messages per second (open loop). */
  ratePerSecond: number;
  /** Length of the measured phase, milliseconds. */
  durationMs: number;
  /** Unmeasured messages at the same rate before the measured phase. */
  warmupMessages: number;
  /** A lighter rate measured first, to tell path latency from queueing (0 = skip). */
  lightRatePerSecond: number;
  /** A heavier rate measured last, with the lean client only: the rate the hub must sustain (0 = skip). */
  heavyRatePerSecond: number;
  /** Clients to drive the hub with. */
  clients: ClientKind[];
}

/** Defaults: 1,000 msgs/s for 3 s after 300 warm-up messages; before that 100 msgs/s, after it 5,000 msgs/s, 3 s each. */
export const defaultEndToEndLatencyOptions: EndToEndLatencyOptions = {
  ratePerSecond: 1_000,
  durationMs: 3_000,
  warmupMessages: 300,
  lightRatePerSecond: 100,
  heavyRatePerSecond: 5_000,
  clients: ["connect-es", "lean-h2"],
};

/** Longest wait for the last events after the last Send started. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Latencies measured on one server with one client. */
export interface LatencyRun {
  /** Send call start → subscriber received the event, milliseconds. */
  endToEnd: LatencySummary;
  /** Send call start → Send response, milliseconds. */
  sendCall: LatencySummary;
  /** How late calls started against the open-loop schedule, milliseconds. */
  startLag: LatencySummary;
  /** Messages scheduled. */
  offered: number;
  /** Events that never arrived (within the drain timeout). */
  missing: number;
  /** Failed Send calls plus a stream that ended with an error. */
  errors: number;
  /** The first failure, if any. */
  firstError?: string;
  /** CPU used by the server and by the bench process from the first measured Send to the last event. */
  cpu: PhaseCpu;
}

/**
 * One sender sends direct messages at a fixed rate (open loop) to one
 * recipient whose Subscribe stream is open; each connection is its own. The
 * latency of message i is from just before its Send call starts to the moment
 * the recipient's stream delivers it. With `receiverServer` the recipient
 * subscribes on that hub (another replica on the same database); CPU is
 * metered on the sender's.
 */
export async function measureLatency(
  server: ServerProcess,
  kind: ClientKind,
  options: Pick<EndToEndLatencyOptions, "ratePerSecond" | "durationMs" | "warmupMessages">,
  receiverServer: ServerProcess = server,
): Promise<LatencyRun> {
  const { url } = server;
  const connections: BenchConnection[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors += 1;
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  const count = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const sentAt = new Float64Array(count).fill(Number.NaN);
  const receivedAt = new Float64Array(count).fill(Number.NaN);
  const answeredAt = new Float64Array(count).fill(Number.NaN);
  let responses = 0;
  let warmupReceived = 0;
  let received = 0;
  const onResponse = (response: SubscribeResponse) => {
    responses += 1;
    if (response.item.case !== "event" || response.item.value.payload.case !== "message") return;
    const now = performance.now();
    const [phase, index] = response.item.value.payload.value.body.split(" ");
    if (phase === "warmup") warmupReceived += 1;
    else if (phase === "measured" && Number.isNaN(receivedAt[Number(index)])) {
      receivedAt[Number(index)] = now;
      received += 1;
    }
  };
  const senderConnection = openConnection(kind, url);
  const receiverConnection = openConnection(kind, receiverServer.url);
  connections.push(senderConnection, receiverConnection);
  try {
    const sender = await senderConnection.register(`latency-sender-${options.ratePerSecond}`);
    const receiver = await receiverConnection.register(`latency-receiver-${options.ratePerSecond}`);
    const stream = receiver.subscribe(receiver.headSeq, [], onResponse);
    stream.ended.catch(fail);
    try {
      await stream.caughtUp;
      await waitForQuiet(() => responses, 200, 5_000);
      await runOpenLoop({ ratePerSecond: options.ratePerSecond, count: options.warmupMessages }, (i) =>
        sender.send(receiver.name, `warmup ${i}`),
      );
      await waitUntil(() => warmupReceived >= options.warmupMessages || errors > 0, DRAIN_TIMEOUT_MS);
      const stopMeter = startCpuMeter(server.pid);
      const run = await runOpenLoop({ ratePerSecond: options.ratePerSecond, count }, async (i) => {
        sentAt[i] = performance.now();
        await sender.send(receiver.name, `measured ${i}`);
        answeredAt[i] = performance.now();
      });
      if (run.errors > 0) {
        errors += run.errors;
        firstError ??= run.firstError;
      }
      await waitUntil(() => received >= count - run.errors || errors > run.errors, DRAIN_TIMEOUT_MS);
      const cpu = stopMeter();
      const endToEnd: number[] = [];
      const sendCall: number[] = [];
      for (let i = 0; i < count; i++) {
        if (!Number.isNaN(receivedAt[i])) endToEnd.push(receivedAt[i] - sentAt[i]);
        if (!Number.isNaN(answeredAt[i])) sendCall.push(answeredAt[i] - sentAt[i]);
      }
      return {
        endToEnd: summarizeLatency(endToEnd),
        sendCall: summarizeLatency(sendCall),
        startLag: summarizeLatency(run.startLagMs),
        offered: count,
        missing: count - endToEnd.length,
        errors,
        firstError,
        cpu,
      };
    } finally {
      stream.cancel();
    }
  } finally {
    for (const connection of connections) connection.close();
  }
}

function round(summary: LatencySummary) {
  const r = (value: number) => Number(value.toFixed(3));
  return { count: summary.count, p50: r(summary.p50), p90: r(summary.p90), p99: r(summary.p99), max: r(summary.max) };
}

function runDetails(run: LatencyRun) {
  return {
    offered: run.offered,
    missing: run.missing,
    errors: run.errors,
    firstError: run.firstError,
    endToEndMs: round(run.endToEnd),
    sendCallMs: round(run.sendCall),
    startLagMs: round(run.startLag),
    serverCpuUsPerMessage: Math.round((run.cpu.serverMs * 1000) / run.offered),
    clientCpuUsPerMessage: Math.round((run.cpu.clientMs * 1000) / run.offered),
  };
}

/**
 * Figure 3: end-to-end latency p50/p99 at a fixed offered rate through a
 * persisted hub, against the raw node:http2 equivalent (the client posts, the
 * server pushes the message to the recipient's open stream) driven by the lean
 * client.
 */
export async function measureEndToEndLatency(
  launcher: ServerLauncher,
  options: EndToEndLatencyOptions = defaultEndToEndLatencyOptions,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const light = { ratePerSecond: options.lightRatePerSecond, durationMs: options.durationMs, warmupMessages: options.lightRatePerSecond };
  const heavy = { ratePerSecond: options.heavyRatePerSecond, durationMs: options.durationMs, warmupMessages: options.heavyRatePerSecond / 10 };
  const measureBoth = async (server: ServerProcess, kind: ClientKind) => ({
    light: options.lightRatePerSecond > 0 ? await measureLatency(server, kind, light) : undefined,
    full: await measureLatency(server, kind, options),
    heavy: options.heavyRatePerSecond > 0 && kind === "lean-h2" ? await measureLatency(server, kind, heavy) : undefined,
  });
  const hubRuns: Partial<Record<ClientKind, { light?: LatencyRun; full: LatencyRun; heavy?: LatencyRun }>> = {};
  for (const kind of options.clients) {
    hubRuns[kind] = await withServer(launcher.hub(), (server) => measureBoth(server, kind));
  }
  const baselineRuns = await withServer(launcher.raw(), (server) => measureBoth(server, "lean-h2"));
  const figures: Figure[] = [];
  for (const kind of options.clients) {
    const linker = hubRuns[kind]!.light;
    const baseline = baselineRuns.light;
    if (!linker || !baseline) continue;
    figures.push(
      figure({
        id: `latency.light.p99.${kind}`,
        name: `End-to-end p99 @ ${options.lightRatePerSecond}/s (${describeClient(kind)})`,
        unit: "ms",
        linker: linker.endToEnd.p99,
        baseline: baseline.endToEnd.p99,
        details: { errors: linker.errors + linker.missing, linker: runDetails(linker), baseline: runDetails(baseline) },
      }),
    );
  }
  const hub: Partial<Record<ClientKind, LatencyRun>> = {};
  for (const kind of options.clients) hub[kind] = hubRuns[kind]!.full;
  const baseline = baselineRuns.full;
  for (const kind of options.clients) {
    const linker = hub[kind]!;
    const errors = linker.errors + linker.missing;
    const details = { errors, linker: runDetails(linker), baseline: runDetails(baseline) };
    figures.push(
      figure({
        id: `latency.p50.${kind}`,
        name: `End-to-end p50 @ ${options.ratePerSecond}/s (${describeClient(kind)})`,
        unit: "ms",
        linker: linker.endToEnd.p50,
        baseline: baseline.endToEnd.p50,
        details,
      }),
      figure({
        id: `latency.p99.${kind}`,
        name: `End-to-end p99 @ ${options.ratePerSecond}/s (${describeClient(kind)})`,
        unit: "ms",
        linker: linker.endToEnd.p99,
        baseline: baseline.endToEnd.p99,
        target: { kind: "max-value", value: 5 },
        details,
      }),
    );
  }
  for (const kind of options.clients) {
    const linker = hubRuns[kind]!.heavy;
    const baselineHeavy = baselineRuns.heavy;
    if (!linker || !baselineHeavy) continue;
    figures.push(
      figure({
        id: `latency.heavy.p99.${kind}`,
        name: `End-to-end p99 @ ${options.heavyRatePerSecond}/s sustained (${describeClient(kind)})`,
        unit: "ms",
        linker: linker.endToEnd.p99,
        baseline: baselineHeavy.endToEnd.p99,
        // Sustained: every message arrived and none failed (errors fail the target).
        target: { kind: "max-value", value: 50 },
        details: { errors: linker.errors + linker.missing, linker: runDetails(linker), baseline: runDetails(baselineHeavy) },
      }),
    );
  }
  const cpuKind: ClientKind = options.clients.includes("lean-h2") ? "lean-h2" : options.clients[0];
  figures.push(
    figure({
      id: `latency.server-cpu.${cpuKind}`,
      name: `Server CPU per message @ ${options.ratePerSecond}/s (${describeClient(cpuKind)})`,
      unit: "µs",
      linker: (hub[cpuKind]!.cpu.serverMs * 1000) / hub[cpuKind]!.offered,
      baseline: (baseline.cpu.serverMs * 1000) / baseline.offered,
    }),
  );
  const notes = [
    `Latency: 1 sender → 1 subscribed recipient, each on its own connection, ${options.ratePerSecond} msgs/s open loop for ` +
      `${options.durationMs / 1000} s (${options.warmupMessages} warm-up messages first; a ${options.lightRatePerSecond} msgs/s pass runs before it on the same server); measured from just before the Send call to the event's arrival ` +
      `on the recipient's stream, both in the bench process. Baseline: raw node:http2 unary that pushes the message to the recipient's open stream.`,
  ];
  return { figures, notes };
}
