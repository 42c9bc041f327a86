import { type Figure, figure, type PeerValue } from "../bench-report.js";
import { measureNatsClosedLoop, measureNatsFanout, measureNatsLatency, measureNatsPublish, natsServerPath, startNats } from "./nats-jetstream.js";

/** The peer system every figure is compared with. */
const PEER = "NATS JetStream";
const BODY = new TextEncoder().encode("bench: a direct message of a typical agent-to-agent size (64 B).".padEnd(64, "."));

/** Peer values by the id prefix of the figures they compare with. */
export type PeerValues = Map<string, PeerValue>;

/**
 * Runs the bench's workloads against NATS JetStream (Debian's nats-server,
 * file storage) in the same run: publish with 50 acks in flight (the unary
 * Send workload), async publish with 512 in flight (the Publish stream),
 * fan-out of persisted messages to 100 subscribers, and publish → subscriber
 * latency at 100 and 1,000 msgs/s. Returns undefined when nats-server is not
 * installed.
 */
export async function measurePeers(log: (line: string) => void): Promise<{ values: PeerValues; notes: string[] } | undefined> {
  const binary = natsServerPath();
  if (!binary) {
    log("bench: nats-server is not installed (apt-get install nats-server); no peer figures");
    return undefined;
  }
  const values: PeerValues = new Map();
  const cpuPer = (ms: number, count: number) => (ms * 1000) / count;
  const run = async <T>(fn: (server: Awaited<ReturnType<typeof startNats>>) => Promise<T>) => {
    const server = await startNats(binary);
    try {
      return await fn(server);
    } finally {
      await server.stop();
    }
  };
  const closed = await run((server) => measureNatsClosedLoop(server, 50, 2_500, BODY));
  values.set("send.concurrent.", { name: PEER, value: closed.perSecond });
  values.set("send.server-cpu.", { name: PEER, value: cpuPer(closed.cpu.serverMs, closed.ok) });
  const published = await run((server) => measureNatsPublish(server, 100_000, 512, BODY));
  values.set("publish.throughput", { name: PEER, value: published.perSecond });
  values.set("publish.server-cpu", { name: PEER, value: cpuPer(published.cpu.serverMs, published.ok) });
  const fanout = await run((server) => measureNatsFanout(server, 100, 2_000, BODY));
  values.set("broadcast.fanout-", { name: PEER, value: fanout.deliveriesPerSecond });
  values.set("broadcast.server-cpu.", { name: PEER, value: cpuPer(fanout.cpu.serverMs, fanout.deliveries) });
  const light = await run((server) => measureNatsLatency(server, 100, 3_000));
  values.set("latency.light.p99.", { name: PEER, value: light.p99 });
  const heavy = await run((server) => measureNatsLatency(server, 1_000, 3_000));
  values.set("latency.p50.", { name: PEER, value: heavy.p50 });
  values.set("latency.p99.", { name: PEER, value: heavy.p99 });
  const notes = [
    `Peer: ${PEER} (nats-server ${binary}, -js with file storage, nats.js @nats-io/jetstream clients in the bench process), the same workloads: ` +
      "publish with 50 acks awaited in flight (Send), async publish with 512 in flight (Publish), persisted messages fanned out to 100 core subscribers " +
      "(broadcast), publish → subscriber latency (latency); CPU per operation is the nats-server process's.",
  ];
  return { values, notes };
}

/** The figures with the peer value of their workload attached (and targets against the peer evaluated). */
export function withPeers(figures: readonly Figure[], values: PeerValues): Figure[] {
  return figures.map((f) => {
    const match = [...values].find(([prefix]) => f.id.startsWith(prefix));
    if (!match) return f;
    const { ratio: _ratio, met: _met, peerRatio: _peerRatio, ...fields } = f;
    return figure({ ...fields, peer: match[1] });
  });
}
