import { type ClientKind, describeClient, openConnection } from "./bench-agents.js";
import { type PhaseCpu, type ServerLauncher, type ServerProcess, startCpuMeter, withServer } from "./bench-processes.js";
import { type Figure, figure } from "./bench-report.js";
import { type ClosedLoopResult, runClosedLoop } from "./load-patterns.js";

/** How long and how hard the Send throughput scenario runs. */
export interface SendThroughputOptions {
  /** Length of each measured phase, milliseconds. */
  durationMs: number;
  /** Unmeasured warm-up before the phases, milliseconds. */
  warmupMs: number;
  /** Calls in flight in the concurrent phase. */
  concurrency: number;
  /** Clients to drive the hub with. */
  clients: ClientKind[];
}

/** Defaults: 2.5 s sequential and 2.5 s with 50 in flight, after a 1.5 s warm-up, with each client. */
export const defaultSendThroughputOptions: SendThroughputOptions = {
  durationMs: 2_500,
  warmupMs: 1_500,
  concurrency: 50,
  clients: ["connect-es", "connect-es-connect-protocol", "lean-h2"],
};

/** Recipients the messages rotate over, so no inbox nears the hub's backlog limit. */
const RECIPIENTS = 16;
/** Consecutive messages to one recipient before moving on to the next. */
const MESSAGES_PER_TURN = 500;
/** A 64-byte text body. */
const BODY = "bench: a direct message of a typical agent-to-agent size (64 B).".padEnd(64, ".");
/** Upper bound of calls in one phase, so a phase always stops. */
const MAX_CALLS_PER_PHASE = 200_000;

/** One measured phase and the CPU time it cost. */
export interface SendPhase extends ClosedLoopResult {
  /** CPU used by the server and by the bench process during the phase. */
  cpu: PhaseCpu;
}

/** Send rates of one server driven by one client. */
export interface SendRates {
  /** One call at a time. */
  sequential: SendPhase;
  /** `concurrency` calls in flight. */
  concurrent: SendPhase;
}

/**
 * Measures Send from one registered sender to registered (unsubscribed)
 * recipients on `server`: a warm-up, then sequential and concurrent closed
 * loops, each with the CPU time the server and the bench process spent.
 */
export async function measureSendRates(server: ServerProcess, kind: ClientKind, options: SendThroughputOptions): Promise<SendRates> {
  const setup = openConnection(kind, server.url);
  const senderConnection = openConnection(kind, server.url);
  try {
    const recipients: string[] = [];
    for (let i = 0; i < RECIPIENTS; i++) recipients.push((await setup.register(`recipient-${i}`)).name);
    const sender = await senderConnection.register("sender");
    let sent = 0;
    const sendNext = () => {
      const recipient = recipients[Math.floor(sent++ / MESSAGES_PER_TURN) % RECIPIENTS];
      return sender.send(recipient, BODY);
    };
    const phase = async (concurrency: number, durationMs: number): Promise<SendPhase> => {
      const stopMeter = startCpuMeter(server.pid);
      const result = await runClosedLoop({ concurrency, durationMs, maxOps: MAX_CALLS_PER_PHASE }, sendNext);
      return { ...result, cpu: stopMeter() };
    };
    await phase(options.concurrency, options.warmupMs);
    const sequential = await phase(1, options.durationMs);
    const concurrent = await phase(options.concurrency, options.durationMs);
    return { sequential, concurrent };
  } finally {
    setup.close();
    senderConnection.close();
  }
}

/** Server CPU microseconds per successful call of a phase. */
function serverCpuPerCall(phase: SendPhase): number {
  return (phase.cpu.serverMs * 1000) / phase.ok;
}

function phaseDetails(phase: SendPhase) {
  return {
    calls: phase.ok,
    seconds: Number(phase.seconds.toFixed(3)),
    errors: phase.errors,
    firstError: phase.firstError,
    serverCpuUsPerCall: Math.round(serverCpuPerCall(phase)),
    clientCpuUsPerCall: Math.round((phase.cpu.clientMs * 1000) / phase.ok),
  };
}

/**
 * Figure 1: Send throughput of a persisted (SQLite) hub, sequential and with
 * many calls in flight, against the raw node:http2 unary baseline driven by
 * the lean client. Also measures the connect-es client against the raw server
 * to show how much of the gap is the client's.
 */
export async function measureSendThroughput(
  launcher: ServerLauncher,
  options: SendThroughputOptions = defaultSendThroughputOptions,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const hub: Partial<Record<ClientKind, SendRates>> = {};
  for (const kind of options.clients) {
    hub[kind] = await withServer(launcher.hub(), (server) => measureSendRates(server, kind, options));
  }
  const raw = await withServer(launcher.raw(), async (server) => ({
    lean: await measureSendRates(server, "lean-h2", options),
    connect: await measureSendRates(server, "connect-es", options),
  }));
  const figures: Figure[] = [];
  for (const kind of options.clients) {
    const rates = hub[kind]!;
    for (const mode of ["sequential", "concurrent"] as const) {
      const linker = rates[mode];
      const baseline = raw.lean[mode];
      figures.push(
        figure({
          id: `send.${mode}.${kind}`,
          name: `Send, ${mode === "sequential" ? "sequential" : `${options.concurrency} in flight`} (${describeClient(kind)})`,
          unit: "msgs/s",
          linker: linker.perSecond,
          baseline: baseline.perSecond,
          target: mode === "concurrent" ? { kind: "min-ratio", value: 0.5 } : undefined,
          details: { errors: linker.errors, linker: phaseDetails(linker), baseline: phaseDetails(baseline) },
        }),
      );
    }
  }
  for (const kind of options.clients) {
    figures.push(
      figure({
        id: `send.server-cpu.${kind}`,
        name: `Server CPU per Send, ${options.concurrency} in flight (${describeClient(kind)})`,
        unit: "µs",
        linker: serverCpuPerCall(hub[kind]!.concurrent),
        baseline: serverCpuPerCall(raw.lean.concurrent),
        target: { kind: "max-ratio", value: 3 },
      }),
    );
  }
  const rate = (result: ClosedLoopResult) => `${Math.round(result.perSecond).toLocaleString("en-US")}`;
  const notes = [
    `Send: 1 sender → ${RECIPIENTS} registered, unsubscribed recipients (rotating every ${MESSAGES_PER_TURN} messages), ${BODY.length}-byte body; ` +
      `each client on its own HTTP/2 connection; baseline = raw node:http2 unary (gRPC framing, no persistence) driven by the lean client.`,
    `Client share: the connect-es gRPC client against the raw server does ${rate(raw.connect.sequential)} sequential / ${rate(raw.connect.concurrent)} concurrent msgs/s ` +
      `(lean-h2 client: ${rate(raw.lean.sequential)} / ${rate(raw.lean.concurrent)}).`,
  ];
  return { figures, notes };
}
