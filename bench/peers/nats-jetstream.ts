import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type PhaseCpu, startCpuMeter } from "../bench-processes.js";
import { type LatencySummary, summarizeLatency } from "../latency-stats.js";
import { runClosedLoop, runOpenLoop, waitForQuiet } from "../load-patterns.js";
import { freePort } from "../../test/support/free-port.js";

/** A nats-server with JetStream (file storage) the bench started. */
export interface NatsServer {
  /** nats://host:port. */
  url: string;
  /** Process id, for CPU accounting. */
  pid: number;
  /** Stops it and removes its storage. */
  stop(): Promise<void>;
}

/** Where Debian's nats-server is, if installed. */
export function natsServerPath(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Starts `nats-server -js` with file storage in a fresh folder, on a free port. */
export async function startNats(binary: string): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "linker-bench-nats-"));
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const url = `nats://127.0.0.1:${port}`;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  for (let attempt = 0; ; attempt++) {
    try {
      const probe = await connect({ servers: url, maxReconnectAttempts: 0 });
      await probe.close();
      break;
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((done) => setTimeout(done, 50));
    }
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A JetStream stream on `subjects` with file storage, ready for publishing. */
async function fileStream(nc: NatsConnection, name: string, subjects: string[]): Promise<void> {
  const manager = await jetstreamManager(nc);
  await manager.streams.add({ name, subjects, storage: "file" as never });
}

/** Persisted publish throughput of NATS JetStream. */
export interface NatsPublishResult {
  /** Acknowledged (persisted) messages per second. */
  perSecond: number;
  /** Server and bench CPU during the measured phase. */
  cpu: PhaseCpu;
  /** Messages acknowledged. */
  ok: number;
}

/**
 * JetStream async publish: one connection publishes `count` 64-byte messages
 * to a file-backed stream, keeping `window` publishes awaiting their acks.
 */
export async function measureNatsPublish(server: NatsServer, count: number, window: number, body: Uint8Array): Promise<NatsPublishResult> {
  const nc = await connect({ servers: server.url });
  try {
    await fileStream(nc, "bench_publish", ["publish.>"]);
    const js = jetstream(nc);
    const run = async (n: number) => {
      const inflight: Promise<unknown>[] = [];
      let ok = 0;
      for (let i = 0; i < n; i++) {
        inflight.push(js.publish(`publish.r${i % 16}`, body).then(() => ok++));
        if (inflight.length >= window) await inflight.shift();
      }
      await Promise.all(inflight);
      return ok;
    };
    await run(Math.min(10_000, count));
    const stop = startCpuMeter(server.pid);
    const started = performance.now();
    const ok = await run(count);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: ok / seconds, cpu: stop(), ok };
  } finally {
    await nc.close();
  }
}

/** JetStream publish with `concurrency` awaited publishes in flight (the unary Send workload). */
export async function measureNatsClosedLoop(server: NatsServer, concurrency: number, durationMs: number, body: Uint8Array): Promise<NatsPublishResult> {
  const nc = await connect({ servers: server.url });
  try {
    await fileStream(nc, "bench_send", ["send.>"]);
    const js = jetstream(nc);
    let n = 0;
    const next = () => js.publish(`send.r${n++ % 16}`, body).then(() => undefined);
    await runClosedLoop({ concurrency, durationMs: 1_000, maxOps: 1e6 }, next);
    const stop = startCpuMeter(server.pid);
    const result = await runClosedLoop({ concurrency, durationMs, maxOps: 1e6 }, next);
    return { perSecond: result.perSecond, cpu: stop(), ok: result.ok };
  } finally {
    await nc.close();
  }
}

/** Fan-out of JetStream-persisted messages to many live subscribers. */
export interface NatsFanoutResult {
  /** Messages received across all subscribers per second. */
  deliveriesPerSecond: number;
  /** Server and bench CPU during the measured phase. */
  cpu: PhaseCpu;
  /** Messages received. */
  deliveries: number;
}

/**
 * `subscribers` connections each subscribe to one subject; one more
 * connection publishes `messages` persisted messages to it (JetStream,
 * awaiting each ack in a small window), and every subscriber receives each.
 */
export async function measureNatsFanout(server: NatsServer, subscribers: number, messages: number, body: Uint8Array): Promise<NatsFanoutResult> {
  const publisher = await connect({ servers: server.url });
  const connections: NatsConnection[] = [];
  try {
    await fileStream(publisher, "bench_fanout", ["fanout"]);
    let deliveries = 0;
    for (let i = 0; i < subscribers; i++) {
      const nc = await connect({ servers: server.url });
      connections.push(nc);
      nc.subscribe("fanout", {
        callback: () => {
          deliveries += 1;
        },
      });
      await nc.flush();
    }
    const js = jetstream(publisher);
    const stop = startCpuMeter(server.pid);
    const started = performance.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < messages; i++) {
      inflight.push(js.publish("fanout", body));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
    await waitForQuiet(() => deliveries, 200, 10_000);
    const seconds = (performance.now() - started) / 1000;
    return { deliveriesPerSecond: deliveries / seconds, cpu: stop(), deliveries };
  } finally {
    await Promise.all(connections.map((nc) => nc.close()));
    await publisher.close();
  }
}

/**
 * Publish → subscriber latency at a fixed rate: JetStream publishes (acked,
 * persisted) on one connection, a core subscription on another receives them.
 */
export async function measureNatsLatency(server: NatsServer, ratePerSecond: number, durationMs: number): Promise<LatencySummary> {
  const publisher = await connect({ servers: server.url });
  const subscriber = await connect({ servers: server.url });
  try {
    await fileStream(publisher, "bench_latency", ["latency"]);
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    subscriber.subscribe("latency", {
      callback: (_err, message) => {
        const at = sentAt.get(Number(new TextDecoder().decode(message.data)));
        if (at !== undefined) latencies.push(performance.now() - at);
      },
    });
    await subscriber.flush();
    const js = jetstream(publisher);
    let n = 0;
    await runOpenLoop({ ratePerSecond, count: Math.round((ratePerSecond * durationMs) / 1000) }, async () => {
      const i = n++;
      sentAt.set(i, performance.now());
      await js.publish("latency", new TextEncoder().encode(String(i)));
    });
    await waitForQuiet(() => latencies.length, 200, 10_000);
    return summarizeLatency(latencies);
  } finally {
    await subscriber.close();
    await publisher.close();
  }
}
