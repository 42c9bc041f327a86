import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { LinkerService, type PublishRequest, PublishRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type PhaseCpu, type ServerLauncher, type ServerProcess, startCpuMeter, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";

/** How the streaming publish scenario runs. */
export interface StreamingPublishOptions {
  /** Messages in the measured stream. */
  messages: number;
  /** Messages in the unmeasured stream before it. */
  warmup: number;
}

/** Defaults: 40,000 measured messages after 5,000 warm-up ones. */
export const defaultStreamingPublishOptions: StreamingPublishOptions = { messages: 40_000, warmup: 5_000 };

/** Recipients the messages rotate over. */
const RECIPIENTS = 16;
const BODY = "bench: a direct message of a typical agent-to-agent size (64 B).".padEnd(64, ".");

/** Acknowledged messages of one Publish stream. */
export interface PublishRun {
  /** Acknowledged messages per second. */
  perSecond: number;
  /** Acknowledged (stored) messages. */
  ok: number;
  /** Messages answered with an error. */
  errors: number;
  /** The first error, if any. */
  firstError?: string;
  /** Server and bench CPU during the measured stream. */
  cpu: PhaseCpu;
}

/**
 * One sender publishes `messages` direct messages on one Publish stream
 * (connect-es gRPC client over h2c) to registered, unsubscribed recipients;
 * every answer is a message durably stored (or, on the raw baseline, a fixed
 * answer with nothing stored).
 */
export async function measurePublishRun(server: ServerProcess, options: StreamingPublishOptions): Promise<PublishRun> {
  let token = "";
  const client = createClient(
    LinkerService,
    createGrpcTransport({
      baseUrl: server.url,
      interceptors: [
        (next) => (req) => {
          if (token) req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ],
    }),
  );
  for (let i = 0; i < RECIPIENTS; i++) await client.register({ name: `recipient-${i}` });
  token = (await client.register({ name: "publisher" })).sessionToken;
  let sequence = 0;
  async function* stream(count: number): AsyncIterable<PublishRequest> {
    for (let i = 0; i < count; i++, sequence++) {
      yield create(PublishRequestSchema, {
        sequence: BigInt(sequence),
        message: { case: "send", value: { recipient: `recipient-${Math.floor(sequence / 500) % RECIPIENTS}`, body: BODY, idempotencyKey: `publish-${sequence}` } },
      });
    }
  }
  for await (const _ of client.publish(stream(options.warmup)));
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const stop = startCpuMeter(server.pid);
  const started = performance.now();
  for await (const answer of client.publish(stream(options.messages))) {
    if (answer.outcome.case === "error") {
      errors += 1;
      firstError ??= answer.outcome.value.message;
    } else ok += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: ok / seconds, ok, errors, firstError, cpu: stop() };
}

/**
 * Figure: persisted messages per second through one Publish stream, and the
 * hub's CPU per message, beside the raw server answering the same stream
 * without storing anything.
 */
export async function measureStreamingPublish(
  launcher: ServerLauncher,
  options: StreamingPublishOptions = defaultStreamingPublishOptions,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const linker = await withServer(launcher.hub(), (server) => measurePublishRun(server, options));
  const raw = await withServer(launcher.raw(), (server) => measurePublishRun(server, options));
  const perMessage = (run: PublishRun) => (run.cpu.serverMs * 1000) / run.ok;
  const figures = [
    figure({
      id: "publish.throughput",
      name: "Publish stream, persisted (connect-es gRPC client)",
      unit: "msgs/s",
      linker: linker.perSecond,
      baseline: raw.perSecond,
      target: { kind: "min-peer-ratio", value: 1.0 },
      details: { errors: linker.errors, firstError: linker.firstError, messages: linker.ok },
    }),
    figure({ id: "publish.server-cpu", name: "Server CPU per published message", unit: "µs", linker: perMessage(linker), baseline: perMessage(raw) }),
  ];
  const notes = [
    `Publish: 1 sender, one Publish stream of ${options.messages.toLocaleString("en-US")} direct messages (after ${options.warmup.toLocaleString("en-US")} warm-up ones) to ${RECIPIENTS} registered, unsubscribed recipients, 64-byte body, each answered once stored; baseline = raw node:http2 answering each request of the same stream without storing it.`,
  ];
  return { figures, notes };
}
