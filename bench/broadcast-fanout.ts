import type { SubscribeResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type AgentStream, type BenchAgent, type BenchConnection, type ClientKind, describeClient, openConnection } from "./bench-agents.js";
import { type PhaseCpu, type ServerLauncher, type ServerProcess, startCpuMeter, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";
import { waitForQuiet, waitUntil } from "./load-patterns.js";

/** How the broadcast fan-out scenario runs. */
export interface BroadcastFanoutOptions {
  /** Subscribers, each a registered instance with its own connection and one Subscribe stream. */
  subscribers: number;
  /** Length of the measured phase, milliseconds. */
  durationMs: number;
  /** Broadcasts allowed to be not yet fully delivered at once. */
  window: number;
  /** Clients to drive the hub with. */
  clients: ClientKind[];
}

/** Defaults: 100 subscribers, 4 s, at most 8 broadcasts in flight. */
export const defaultBroadcastFanoutOptions: BroadcastFanoutOptions = {
  subscribers: 100,
  durationMs: 4_000,
  window: 8,
  clients: ["connect-es", "lean-h2"],
};

/** Unmeasured broadcasts before the measured phase. */
const WARMUP_BROADCASTS = 20;
/** Upper bound of broadcasts in the measured phase, so it always stops. */
const MAX_BROADCASTS = 50_000;
/** Longest wait for the last deliveries after the driver stopped. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Subscribers registered or opened at once during setup. */
const SETUP_BATCH = 20;
const BODY = "bench: one broadcast to every subscriber (64 B).".padEnd(64, ".");

/** Fan-out measured on one server with one client. */
export interface FanoutRate {
  /** Message events received across all streams per second. */
  deliveriesPerSecond: number;
  /** Broadcast calls completed. */
  broadcasts: number;
  /** Message events received in the measured phase. */
  deliveries: number;
  /** Deliveries expected (broadcasts × subscribers). */
  expected: number;
  /** From the first broadcast to the last delivery, seconds. */
  seconds: number;
  /** Failed Broadcast calls plus streams that ended with an error. */
  errors: number;
  /** The first failure, if any. */
  firstError?: string;
  /** CPU used by the server and by the bench process in the measured phase. */
  cpu: PhaseCpu;
}

/**
 * Opens `subscribers` Subscribe streams (one registered instance and one
 * HTTP/2 connection each, as separate agent processes would have), then
 * broadcasts from one more instance with at most `window` broadcasts not yet
 * delivered everywhere, and counts message events arriving on all streams.
 */
export async function measureFanoutRate(server: ServerProcess, kind: ClientKind, options: BroadcastFanoutOptions): Promise<FanoutRate> {
  const { url } = server;
  const connections: BenchConnection[] = [];
  const streams: AgentStream[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors += 1;
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  let responses = 0;
  let deliveries = 0;
  let lastDeliveryAt = 0;
  let wake: (() => void) | undefined;
  const onResponse = (response: SubscribeResponse) => {
    responses += 1;
    if (response.item.case === "event" && response.item.value.payload.case === "message") {
      deliveries += 1;
      lastDeliveryAt = performance.now();
      const waiting = wake;
      wake = undefined;
      waiting?.();
    }
  };
  try {
    const senderConnection = openConnection(kind, url);
    connections.push(senderConnection);
    const sender = await senderConnection.register("broadcaster");
    const subscribers: BenchAgent[] = [];
    for (let first = 0; first < options.subscribers; first += SETUP_BATCH) {
      const batch = Array.from({ length: Math.min(SETUP_BATCH, options.subscribers - first) }, async (_, i) => {
        const connection = openConnection(kind, url);
        connections.push(connection);
        return connection.register(`subscriber-${first + i}`);
      });
      subscribers.push(...(await Promise.all(batch)));
    }
    const afterSeq = subscribers.reduce((max, agent) => (agent.headSeq > max ? agent.headSeq : max), 0n);
    for (const agent of subscribers) {
      const stream = agent.subscribe(afterSeq, [], onResponse);
      stream.ended.catch(fail);
      streams.push(stream);
    }
    await Promise.all(streams.map((stream) => stream.caughtUp));
    await waitForQuiet(() => responses, 300, 10_000);

    const drive = async (maxBroadcasts: number, durationMs: number) => {
      const startDeliveries = deliveries;
      let started = 0;
      const calls: Promise<void>[] = [];
      const deadline = performance.now() + durationMs;
      while (performance.now() < deadline && started < maxBroadcasts && errors === 0) {
        const fullyDelivered = Math.floor((deliveries - startDeliveries) / options.subscribers);
        if (started - fullyDelivered < options.window) {
          calls.push(sender.broadcast(`${BODY} ${started}`).catch(fail));
          started += 1;
        } else {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          });
        }
      }
      await Promise.all(calls);
      const expected = started * options.subscribers;
      await waitUntil(() => deliveries - startDeliveries >= expected || errors > 0, DRAIN_TIMEOUT_MS);
      return { started, expected, delivered: deliveries - startDeliveries };
    };

    await drive(WARMUP_BROADCASTS, DRAIN_TIMEOUT_MS);
    const stopMeter = startCpuMeter(server.pid);
    const begin = performance.now();
    const measured = await drive(MAX_BROADCASTS, options.durationMs);
    const cpu = stopMeter();
    const seconds = measured.delivered > 0 ? (lastDeliveryAt - begin) / 1000 : options.durationMs / 1000;
    if (measured.delivered < measured.expected) fail(new Error(`${measured.expected - measured.delivered} deliveries missing`));
    return {
      deliveriesPerSecond: measured.delivered / seconds,
      broadcasts: measured.started,
      deliveries: measured.delivered,
      expected: measured.expected,
      seconds,
      errors,
      firstError,
      cpu,
    };
  } finally {
    for (const stream of streams) stream.cancel();
    for (const connection of connections) connection.close();
  }
}

/** Server CPU microseconds per delivery. */
function serverCpuPerDelivery(rate: FanoutRate): number {
  return (rate.cpu.serverMs * 1000) / rate.deliveries;
}

function rateDetails(rate: FanoutRate) {
  const { deliveriesPerSecond: _, cpu, ...rest } = rate;
  return {
    ...rest,
    seconds: Number(rate.seconds.toFixed(3)),
    serverCpuUsPerDelivery: Number(serverCpuPerDelivery(rate).toFixed(1)),
    clientCpuUsPerDelivery: Number(((cpu.clientMs * 1000) / rate.deliveries).toFixed(1)),
  };
}

/**
 * Figure 2: broadcast fan-out of a persisted hub to `subscribers` open
 * streams, against the raw node:http2 server-stream fan-out of the same shape
 * driven by the lean client.
 */
export async function measureBroadcastFanout(
  launcher: ServerLauncher,
  options: BroadcastFanoutOptions = defaultBroadcastFanoutOptions,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const hub: Partial<Record<ClientKind, FanoutRate>> = {};
  for (const kind of options.clients) {
    hub[kind] = await withServer(launcher.hub(), (server) => measureFanoutRate(server, kind, options));
  }
  const baseline = await withServer(launcher.raw(), (server) => measureFanoutRate(server, "lean-h2", options));
  const figures = options.clients.map((kind) => {
    const linker = hub[kind]!;
    return figure({
      id: `broadcast.fanout-${options.subscribers}.${kind}`,
      name: `Broadcast → ${options.subscribers} subscribers (${describeClient(kind)})`,
      unit: "deliveries/s",
      linker: linker.deliveriesPerSecond,
      baseline: baseline.deliveriesPerSecond,
      target: { kind: "min-ratio", value: 0.6 },
      details: { errors: linker.errors, firstError: linker.firstError, linker: rateDetails(linker), baseline: rateDetails(baseline) },
    });
  });
  const cpuKind: ClientKind = options.clients.includes("lean-h2") ? "lean-h2" : options.clients[0];
  figures.push(
    figure({
      id: `broadcast.server-cpu.${cpuKind}`,
      name: `Server CPU per broadcast delivery (${describeClient(cpuKind)})`,
      unit: "µs",
      linker: serverCpuPerDelivery(hub[cpuKind]!),
      baseline: serverCpuPerDelivery(baseline),
      target: { kind: "max-ratio", value: 2 },
    }),
  );
  const notes = [
    `Fan-out: ${options.subscribers} registered subscribers, each with its own HTTP/2 connection and one Subscribe stream (all event types), ` +
      `all in the bench process; 1 broadcaster keeps at most ${options.window} broadcasts not yet delivered everywhere; ` +
      `rate = message events received ÷ (last delivery − first broadcast). Baseline: raw node:http2 writes one pre-encoded frame to each stream.`,
  ];
  return { figures, notes };
}
