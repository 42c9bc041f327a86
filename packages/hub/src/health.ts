/**
 * The standard gRPC health service (`grpc.health.v1.Health`) for the hub:
 * Check answers with the current serving status, Watch streams it and every
 * change after it.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@linker/protocol/gen/grpc/health/v1/health_pb.js";

/** Serving status of the hub's services, served as grpc.health.v1.Health. */
export interface HealthService {
  /**
   * Sets the status of a service ("" is the whole server), adding the service
   * if it is new. Ignored after `shutdown()`.
   */
  setStatus(service: string, status: ServingStatus): void;
  /** Sets every service NOT_SERVING, ends all Watch streams, and ignores later updates. */
  shutdown(): void;
  /** Serves this health state on the router. */
  register(router: ConnectRouter): void;
}

/** One open Watch stream. */
interface Watcher {
  readonly service: string;
  /** Wakes the stream after a status change, shutdown or cancellation. */
  wake(): void;
}

/** Creates the health state with "" and each named service SERVING. */
export function createHealthService(services: readonly string[]): HealthService {
  const statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  for (const service of services) statuses.set(service, ServingStatus.SERVING);
  const watchers = new Set<Watcher>();
  let stopped = false;

  const notify = (service: string | undefined): void => {
    for (const watcher of watchers) {
      if (service === undefined || watcher.service === service) watcher.wake();
    }
  };

  /** The status Watch reports: unknown services are SERVICE_UNKNOWN rather than an error. */
  const watchedStatus = (service: string): ServingStatus =>
    statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;

  async function* watch(
    request: HealthCheckRequest,
    ctx: HandlerContext,
  ): AsyncGenerator<MessageInitShape<typeof HealthCheckResponseSchema>> {
    const { signal } = ctx;
    let wakeUp: (() => void) | undefined;
    const watcher: Watcher = {
      service: request.service,
      wake() {
        const resolve = wakeUp;
        wakeUp = undefined;
        resolve?.();
      },
    };
    const onAbort = (): void => watcher.wake();
    watchers.add(watcher);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let sent = watchedStatus(request.service);
      yield { status: sent };
      for (;;) {
        if (signal.aborted) return;
        const current = watchedStatus(request.service);
        if (current !== sent) {
          sent = current;
          yield { status: sent };
          continue;
        }
        if (stopped) return;
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
        });
      }
    } finally {
      watchers.delete(watcher);
      signal.removeEventListener("abort", onAbort);
    }
  }

  return {
    setStatus(service, status) {
      if (stopped || statuses.get(service) === status) return;
      statuses.set(service, status);
      notify(service);
    },
    shutdown() {
      if (stopped) return;
      for (const service of statuses.keys()) statuses.set(service, ServingStatus.NOT_SERVING);
      stopped = true;
      notify(undefined);
    },
    register(router) {
      router.service(Health, {
        check(request) {
          const status = statuses.get(request.service);
          if (status === undefined) {
            throw new ConnectError(`unknown service: ${request.service}`, Code.NotFound);
          }
          return { status };
        },
        watch,
      });
    },
  };
}
