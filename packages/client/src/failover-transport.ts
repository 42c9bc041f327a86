import { setTimeout as sleep } from "node:timers/promises";
import { create, type DescMessage, type DescMethodStreaming, type DescMethodUnary, type MessageInitShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextKey,
  createContextValues,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { timeOrderedId } from "@linker/protocol";
import { Backoff, type BackoffOptions } from "./backoff.js";
import type { HubEndpoints } from "./hub-endpoints.js";
import { isHubFailure, neverReachedHub } from "./hub-failure.js";
import { LinkerError, toLinkerError } from "./linker-error.js";

/** Options of the failover transport. */
export interface FailoverTransportOptions {
  /** The hubs and the one in use. */
  endpoints: HubEndpoints;
  /** The `Authorization` header value for a call of `rpc` (session token, or hub secret for Register). */
  authorization(rpc: string): string | undefined;
  /** Registers again after the hub answered UNAUTHENTICATED to a call made with `token`. */
  renewSession(token: string | undefined): Promise<void>;
  /** How long a call keeps retrying across failovers and takeovers (default 20 s). */
  retryBudgetMs?: number;
  /** Waits between retries. */
  backoff?: BackoffOptions;
}

const RETRY_BUDGET_KEY = createContextKey<number | undefined>(undefined, { description: "linker retry budget in ms" });

/** Context values that give one call its own retry budget (milliseconds). */
export function retryBudget(ms: number | undefined): ContextValues {
  return createContextValues().set(RETRY_BUDGET_KEY, ms);
}

/** Anything `new Headers()` accepts. */
type HeaderInit = ConstructorParameters<typeof Headers>[0];

/**
 * Requests whose repeatability depends on their fields, for the RPCs the
 * proto leaves at IDEMPOTENCY_UNKNOWN (their comments in linker_service.proto
 * say why). Every other RPC is repeatable exactly when the proto marks it
 * NO_SIDE_EFFECTS or IDEMPOTENT.
 */
const REPEATABLE_WHEN: ReadonlyMap<string, (input: Record<string, unknown>) => boolean> = new Map([
  [LinkerService.method.register.name, (input) => input.resumeToken !== ""],
  [LinkerService.method.send.name, (input) => input.idempotencyKey !== ""],
  [LinkerService.method.broadcast.name, (input) => input.idempotencyKey !== ""],
  [LinkerService.method.listMessages.name, (input) => !(input.markRead === true && input.unreadOnly === true)],
  // A blind write repeated leaves the value the caller asked for (as an HTTP
  // PUT does); with expected_revision the repeat would fail as a lost race.
  [LinkerService.method.putMemory.name, (input) => input.expectedRevision === undefined],
]);

/**
 * True when repeating `input` of `method` cannot do anything twice: the
 * proto's idempotency level decides, except for the request-dependent cases
 * above (Send/Broadcast with an idempotency key, Register with a resume
 * token, a peeking ListMessages, PutMemory without expected revision).
 */
export function isRepeatable(method: { name: string; idempotency: MethodOptions_IdempotencyLevel }, input: Record<string, unknown>): boolean {
  if (method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) return true;
  return REPEATABLE_WHEN.get(method.name)?.(input) ?? false;
}

/**
 * A Transport over a list of hubs: every call carries the session, and when
 * the hub cannot be reached the call moves to the next hub (or waits for the
 * machine's hub to be taken over) and is retried with backoff, as long as
 * repeating it is safe and the retry budget lasts. Send and Broadcast get an
 * idempotency key first, so a retried send is stored once. A call the hub
 * rejects as UNAUTHENTICATED re-registers once and is retried. Failures are
 * LinkerErrors naming the RPC and hub URL.
 */
export function createFailoverTransport(options: FailoverTransportOptions): Transport {
  const { endpoints } = options;
  const budgetMs = options.retryBudgetMs ?? 20_000;

  function withAuth(rpc: string, header: HeaderInit | undefined): { headers: Headers; token: string | undefined } {
    const headers = new Headers(header);
    const token = options.authorization(rpc);
    if (token !== undefined && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return { headers, token };
  }

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeaderInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const rpc = method.name;
      const message = create(method.input, input);
      const fields = message as unknown as Record<string, unknown>;
      if ((rpc === LinkerService.method.send.name || rpc === LinkerService.method.broadcast.name) && fields.idempotencyKey === "") fields.idempotencyKey = timeOrderedId();
      const repeatable = isRepeatable(method, fields);
      const backoff = new Backoff(options.backoff);
      const callBudgetMs = contextValues?.get(RETRY_BUDGET_KEY) ?? budgetMs;
      const started = Date.now();
      let renewed = false;
      for (let attempt = 0; ; attempt++) {
        let endpoint;
        try {
          endpoint = endpoints.current();
        } catch (err) {
          throw toLinkerError(new ConnectError((err as Error).message, Code.Canceled), { rpc, hint: "create a new client" });
        }
        const { headers, token } = withAuth(rpc, header);
        try {
          return await endpoint.transport.unary(method, signal, timeoutMs, headers, message as MessageInitShape<I>, contextValues);
        } catch (err) {
          const failure = toLinkerError(err, { rpc, hubUrl: endpoint.url });
          if (signal?.aborted) throw failure;
          if (failure.code === Code.Unauthenticated && rpc !== LinkerService.method.register.name && !renewed && !failure.hubFailure) {
            renewed = true;
            await options.renewSession(token);
            continue;
          }
          const retry = isHubFailure(err) && (repeatable || neverReachedHub(err));
          if (!retry || Date.now() - started >= callBudgetMs) throw failure;
          let outcome;
          try {
            outcome = await endpoints.failed(endpoint.generation);
          } catch (recoveryError) {
            throw new LinkerError((recoveryError as Error).message, Code.Unavailable, { rpc, hubUrl: endpoint.url, hint: failure.hint }, recoveryError);
          }
          const remainingMs = Math.max(0, callBudgetMs - (Date.now() - started));
          if (!outcome.switched || attempt > 0) await sleep(Math.min(backoff.next(), remainingMs), undefined, { signal }).catch(() => undefined);
          if (signal?.aborted) throw failure;
        }
      }
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeaderInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const rpc = method.name;
      const endpoint = endpoints.current();
      const { headers } = withAuth(rpc, header);
      let response: StreamResponse<I, O>;
      try {
        response = await endpoint.transport.stream(method, signal, timeoutMs, headers, input, contextValues);
      } catch (err) {
        throw toLinkerError(err, { rpc, hubUrl: endpoint.url });
      }
      const messages = response.message;
      return {
        ...response,
        message: (async function* () {
          try {
            yield* messages;
          } catch (err) {
            throw toLinkerError(err, { rpc, hubUrl: endpoint.url });
          }
        })(),
      };
    },
  };
}
