import { create } from "@bufbuild/protobuf";
import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type WatchHubResponse, WatchHubResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { HubShuttingDownError, LimitExceededError, UnavailableError } from "../errors.js";
import type { HubDeps } from "../hub-deps.js";
import { EVERYONE } from "../store/store.js";
import { servable } from "../payload-depth.js";

/** Events read from the store per replay page. */
const REPLAY_PAGE = 256;

/**
 * Every event on the hub, whoever it is addressed to: replays stored events
 * after `afterSeq` (for every registered instance and everyone), marks the end
 * of replay, then follows live events. Like Subscribe, the live watch opens
 * before replay and replayed events are skipped, so there is no gap and no
 * duplicate; unlike it, nothing is marked delivered and nobody goes online.
 */
export async function* watchHub(deps: HubDeps, afterSeq: bigint, types: EventType[], signal: AbortSignal): AsyncGenerator<WatchHubResponse> {
  const { store, fanout, clock, config } = deps;
  const watcher = fanout.watch(new Set(types), config.limits.subscriberBufferEvents);
  let last = afterSeq;
  const emit = (event: Event) => {
    last = event.seq;
    if (event.payload.case === "message") {
      const shown = servable(event.payload.value, config.limits.maxPayloadDepth);
      if (shown !== event.payload.value) event = { ...event, payload: { case: "message", value: shown } };
    }
    return create(WatchHubResponseSchema, { item: { case: "event", value: event } });
  };
  try {
    const audiences = [EVERYONE, ...(await store.transaction((tx) => tx.identity.listInstances())).map((instance) => instance.name)];
    for (;;) {
      const page = await store.transaction((tx) => tx.events.read({ audiences, afterSeq: last, types, limit: REPLAY_PAGE, now: clock.now() }));
      for (const event of page) yield emit(event);
      if (page.length > 0) continue;
      if (watcher.takeOverflow()) continue;
      break;
    }
    yield create(WatchHubResponseSchema, { item: { case: "caughtUp", value: { seq: last } } });
    for (;;) {
      const batch = await watcher.next(signal);
      if (!Array.isArray(batch)) {
        if (batch.kind === "overflow") {
          throw new LimitExceededError(
            `watcher too slow: more than ${config.limits.subscriberBufferEvents} events waiting; watch again with after_seq=${last}`,
          );
        }
        if (batch.error instanceof HubShuttingDownError) {
          throw new UnavailableError(`the hub is shutting down; reconnect and watch with after_seq=${last}`);
        }
        if (signal.aborted) return;
        throw batch.error;
      }
      for (const event of batch) if (event.seq > last) yield emit(event);
    }
  } finally {
    fanout.unsubscribe(watcher);
  }
}
