import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type AgentIdentity, type AgentStream, type BenchConnection, type ClientKind, describeClient, openConnection } from "./bench-agents.js";
import { probeMemory, residentBytes, type ServerLauncher, type ServerProcess, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";
import { sleep, waitForQuiet } from "./load-patterns.js";

/** How the idle subscriber memory scenario runs. */
export interface IdleSubscriberMemoryOptions {
  /** Idle Subscribe streams to open. */
  subscribers: number;
  /** Pause before each reading, milliseconds. */
  settleMs: number;
  /** Client to open the streams with (it does not change what the server holds). */
  client: ClientKind;
}

/** Defaults: 500 idle subscribers. */
export const defaultIdleSubscriberMemoryOptions: IdleSubscriberMemoryOptions = {
  subscribers: 10_000,
  settleMs: 1_000,
  client: "lean-h2",
};

/** Registrations or stream openings at once during setup. */
const SETUP_BATCH = 25;
/**
 * Event types the idle streams ask for: messages only, so the presence events
 * of 500 instances joining (one per join, to everyone) do not flow through the
 * streams while they open and the reading shows what an idle stream holds.
 */
const IDLE_TYPES: EventType[] = [EventType.MESSAGE];

/** A memory reading of the server process after a full GC. */
interface MemoryReading {
  /** VmRSS from /proc, bytes. */
  rss: number;
  /** V8 heap used, bytes. */
  heapUsed: number;
  /** External (off-heap, bound to JS objects) memory, bytes. */
  external: number;
}

/** Per-subscriber memory growth of one server. */
export interface IdleMemoryRun {
  /** Readings before the streams opened and after they went idle. */
  before: MemoryReading;
  /** Reading with every stream open and idle. */
  after: MemoryReading;
  /** Streams open at the second reading. */
  open: number;
  /** Stream items (caught_up included) the subscribers received while opening: presence events from others' joins show up here. */
  itemsWhileOpening: number;
  /** Streams that failed to open or ended early. */
  errors: number;
  /** The first failure, if any. */
  firstError?: string;
}

async function read(server: ServerProcess): Promise<MemoryReading> {
  const probed = await probeMemory(server);
  return { rss: residentBytes(server.pid), heapUsed: probed.heapUsed, external: probed.external };
}

/**
 * Registers `subscribers` instances over one setup connection, reads the
 * server's memory, then opens one Subscribe stream per instance, each on its
 * own HTTP/2 connection (as separate agent processes would), waits until the
 * streams are caught up and quiet, and reads again.
 */
export async function measureIdleMemory(server: ServerProcess, options: IdleSubscriberMemoryOptions): Promise<IdleMemoryRun> {
  const connections: BenchConnection[] = [];
  const streams: AgentStream[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors += 1;
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  let responses = 0;
  try {
    const setup = openConnection(options.client, server.url);
    connections.push(setup);
    const identities: AgentIdentity[] = [];
    for (let first = 0; first < options.subscribers; first += SETUP_BATCH) {
      const size = Math.min(SETUP_BATCH, options.subscribers - first);
      identities.push(...(await Promise.all(Array.from({ length: size }, (_, i) => setup.register(`idle-${first + i}`)))));
    }
    const afterSeq = identities.reduce((max, agent) => (agent.headSeq > max ? agent.headSeq : max), 0n);
    await sleep(options.settleMs);
    const before = await read(server);
    for (let first = 0; first < identities.length; first += SETUP_BATCH) {
      const batch = identities.slice(first, first + SETUP_BATCH).map((identity) => {
        const connection = openConnection(options.client, server.url);
        connections.push(connection);
        const stream = connection.actAs(identity).subscribe(afterSeq, IDLE_TYPES, () => (responses += 1));
        stream.ended.catch(fail);
        streams.push(stream);
        return stream.caughtUp.catch(fail);
      });
      await Promise.all(batch);
    }
    await waitForQuiet(() => responses, 500, 20_000);
    await sleep(options.settleMs);
    const after = await read(server);
    return { before, after, open: streams.length - errors, itemsWhileOpening: responses, errors, firstError };
  } finally {
    for (const stream of streams) stream.cancel();
    for (const connection of connections) connection.close();
  }
}

const KIB = 1024;

function perStream(run: IdleMemoryRun, field: keyof MemoryReading): number {
  return (run.after[field] - run.before[field]) / run.open / KIB;
}

function runDetails(run: IdleMemoryRun) {
  const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
  const reading = (r: MemoryReading) => ({ rssMiB: mib(r.rss), heapUsedMiB: mib(r.heapUsed), externalMiB: mib(r.external) });
  return {
    open: run.open,
    itemsWhileOpening: run.itemsWhileOpening,
    errors: run.errors,
    firstError: run.firstError,
    before: reading(run.before),
    after: reading(run.after),
  };
}

/**
 * Figure 4: memory the hub process holds per idle subscriber (its own
 * connection plus one Subscribe stream), against a raw node:http2 server
 * holding the same number of idle streams in the same shape.
 */
export async function measureIdleSubscriberMemory(
  launcher: ServerLauncher,
  options: IdleSubscriberMemoryOptions = defaultIdleSubscriberMemoryOptions,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const linker = await withServer(launcher.hub({ memoryProbe: true }), (server) => measureIdleMemory(server, options));
  const baseline = await withServer(launcher.raw({ memoryProbe: true }), (server) => measureIdleMemory(server, options));
  // A stream that did not open, or ended, fails the target.
  const details = { errors: linker.errors + options.subscribers - linker.open, linker: runDetails(linker), baseline: runDetails(baseline) };
  const figures = [
    figure({
      id: "memory.idle-subscriber.rss",
      name: `RSS per idle subscriber (${options.subscribers} streams)`,
      unit: "KiB",
      linker: perStream(linker, "rss"),
      baseline: perStream(baseline, "rss"),
      target: { kind: "max-value", value: 25 },
      details,
    }),
    figure({
      id: "memory.idle-subscriber.heap",
      name: `JS heap per idle subscriber (${options.subscribers} streams)`,
      unit: "KiB",
      linker: perStream(linker, "heapUsed"),
      baseline: perStream(baseline, "heapUsed"),
      details,
    }),
  ];
  const notes = [
    `Memory: ${options.subscribers} instances registered first (not counted); then each opens one Subscribe stream (message events only, so others' ` +
      `presence events do not flow while the streams open) on its own ` +
      `HTTP/2 connection (${describeClient(options.client)}). Readings are taken after a forced full GC in the server (preloaded bench/memory-probe.ts, ` +
      `--expose-gc); RSS is VmRSS from /proc/PID/status. Per-subscriber = (after − before) ÷ streams.`,
  ];
  return { figures, notes };
}
