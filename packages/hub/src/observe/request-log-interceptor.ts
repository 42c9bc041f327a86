import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { callerKey } from "../caller.js";
import type { HubLogger } from "../logger.js";
import { FixedHistogram, type HistogramSeries } from "./fixed-histogram.js";
import { nodeRequestKey, peerOf } from "./peer.js";
import type { AskOutcome, TrafficStats } from "./traffic-stats.js";

/** Bucket bounds of RPC durations, in seconds (streams run long and land high). */
const RPC_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** snake_case names of the Connect codes, by code ("ok" for success). */
const CODE_NAMES: readonly string[] = (() => {
  const names = ["ok"];
  for (const [name, value] of Object.entries(Code)) {
    if (typeof value === "number") names[value] = name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  }
  return names;
})();

/** Durations of every RPC by service, method and code, observed without allocating after the first call. */
export class RpcHistogram extends FixedHistogram {
  private readonly rows = new Map<DescMethod, Array<HistogramSeries | undefined>>();

  constructor() {
    super("linker_rpc_duration_seconds", "Time from receiving an RPC to its last response message, by service, method and code.", RPC_BOUNDS);
  }

  /** Records one finished call. */
  record(method: DescMethod, code: number, seconds: number): void {
    let row = this.rows.get(method);
    if (!row) this.rows.set(method, (row = []));
    let series = row[code];
    if (!series) series = row[code] = this.open({ service: method.parent.typeName, method: method.name, code: CODE_NAMES[code] ?? String(code) });
    this.observe(series, seconds);
  }
}

/** How an Ask call ended, from its code. */
function askOutcome(code: number): AskOutcome {
  if (code === 0) return "answered";
  if (code === Code.DeadlineExceeded || code === Code.Canceled) return "timed_out";
  if (code === Code.Unavailable || code === Code.NotFound) return "no_responders";
  return "failed";
}

/**
 * Observes every RPC once it has finished: its duration by method and code
 * in `rpcs`, Ask outcomes in `traffic`, one structured line at debug (method,
 * caller, code, duration; never a token or a body), and security events at
 * info (registrations, reclaims, refused credentials, denied calls, released
 * names). Place it outermost so it sees the codes clients see.
 */
export function createRequestLogInterceptor(logger: HubLogger, rpcs: RpcHistogram, traffic: TrafficStats): Interceptor {
  const debugEnabled = () => logger.isLevelEnabled?.("debug") ?? true;
  return (next) => async (req) => {
    const start = performance.now();
    const finish = (err: unknown, items?: number) => {
      const seconds = (performance.now() - start) / 1000;
      let code = err === undefined ? 0 : ConnectError.from(err).code;
      if (err !== undefined && req.signal.aborted && code !== Code.DeadlineExceeded) code = Code.Canceled;
      rpcs.record(req.method, code, seconds);
      const linker = req.service.typeName === LinkerService.typeName;
      if (linker && req.method.name === LinkerService.method.ask.name) traffic.askEnded(askOutcome(code));
      const caller = req.contextValues.get(callerKey)?.name;
      if (debugEnabled()) {
        logger.debug(
          { rpc: `${req.service.typeName}/${req.method.name}`, caller, code: CODE_NAMES[code], ms: Math.round(seconds * 1e6) / 1e3, ...(items === undefined ? {} : { items }) },
          "rpc",
        );
      }
      if (linker) securityEvent(logger, traffic, req, code, caller, res);
    };
    let res: Awaited<ReturnType<typeof next>> | undefined;
    try {
      res = await next(req);
    } catch (err) {
      finish(err);
      throw err;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        let items = 0;
        let failure: unknown;
        try {
          for await (const message of messages) {
            items += 1;
            yield message;
          }
        } catch (err) {
          failure = err;
          throw err;
        } finally {
          finish(failure ?? (req.signal.aborted ? new ConnectError("canceled", Code.Canceled) : undefined), items);
        }
      })(),
    };
  };
}

function peerAddress(req: Parameters<Parameters<Interceptor>[0]>[0]): string | undefined {
  return peerOf(req.contextValues.get(nodeRequestKey)).address;
}

/** Logs at info what an operator must be able to audit; nothing secret is ever logged. */
function securityEvent(
  logger: HubLogger,
  traffic: TrafficStats,
  req: Parameters<Parameters<Interceptor>[0]>[0],
  code: number,
  caller: string | undefined,
  res: { message?: unknown } | undefined,
): void {
  const method = req.method.name;
  const peer = () => peerAddress(req);
  if (method === LinkerService.method.register.name) {
    const name = req.stream ? undefined : (req.message as { name?: string }).name;
    if (code === 0) {
      const reclaimed = (res?.message as { reclaimed?: boolean } | undefined)?.reclaimed === true;
      traffic.registrations[reclaimed ? "reclaimed" : "new"] += 1;
      logger.info({ event: reclaimed ? "name_reclaimed" : "name_registered", name, peer: peer() }, reclaimed ? "name reclaimed" : "name registered");
    } else if (code === Code.PermissionDenied || code === Code.Unauthenticated) {
      logger.info({ event: "register_refused", name, code: CODE_NAMES[code], peer: peer() }, "registration refused");
    }
    return;
  }
  if (code === Code.Unauthenticated) {
    logger.info({ event: "unauthenticated", rpc: method, peer: peer() }, "call without a valid credential refused");
  } else if (code === Code.PermissionDenied) {
    logger.info({ event: "permission_denied", rpc: method, caller, peer: peer() }, "call refused");
  } else if (code === 0 && method === LinkerService.method.unregister.name && (req.message as { forget?: boolean }).forget) {
    logger.info({ event: "name_released", name: caller, peer: peer() }, "name released");
  }
}
