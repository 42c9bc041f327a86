import { create } from "@bufbuild/protobuf";
import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type SubscribeResponse, SubscribeResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { HubShuttingDownError, LimitExceededError, UnavailableError } from "./errors.js";
import type { HubDeps } from "./hub-deps.js";
import type { Mailbox } from "./mailbox.js";
import { EVERYONE } from "./store/store.js";
import { servable } from "./payload-depth.js";

/** Events read from the store per replay page. */
const REPLAY_PAGE = 256;

/**
 * One instance's event stream: replays every stored event after `afterSeq`,
 * marks the end of replay with `caught_up`, then follows live events. The live
 * subscription is opened before replay starts and events already replayed are
 * skipped, so there is no gap and no duplicate. Messages a direct recipient
 * receives here are marked delivered (with receipts to their senders).
 */
export async function* streamEvents(
  deps: HubDeps,
  mailbox: Mailbox,
  name: string,
  afterSeq: bigint,
  types: EventType[],
  signal: AbortSignal,
): AsyncGenerator<SubscribeResponse> {
  const { store, fanout, presence, clock, config } = deps;
  const subscription = fanout.subscribe(name, new Set(types), config.limits.subscriberBufferEvents);
  presence.streamOpened(name);
  let last = afterSeq;
  const undelivered: string[] = [];
  const emit = (event: Event) => {
    last = event.seq;
    if (event.payload.case === "message") {
      if (!event.payload.value.deliveredAt && event.payload.value.recipient !== EVERYONE) undelivered.push(event.payload.value.id);
      const shown = servable(event.payload.value, config.limits.maxPayloadDepth);
      if (shown !== event.payload.value) event = { ...event, payload: { case: "message", value: shown } };
    }
    return create(SubscribeResponseSchema, { item: { case: "event", value: event } });
  };
  const flushDelivered = () => {
    if (undelivered.length > 0) mailbox.markDelivered(name, undelivered.splice(0));
  };
  try {
    for (;;) {
      const page = await store.transaction((tx) => tx.events.read({ audiences: [name, EVERYONE], viewer: name, afterSeq: last, types, limit: REPLAY_PAGE, now: clock.now() }));
      for (const event of page) yield emit(event);
      flushDelivered();
      if (page.length > 0) continue;
      // Replay reached the head. Events committed since then are buffered,
      // unless the buffer overflowed meanwhile: then read the store again.
      if (subscription.takeOverflow()) continue;
      break;
    }
    // Caught up means online, for every hub on the database: the lease the stream took is committed.
    await presence.written(name);
    yield create(SubscribeResponseSchema, { item: { case: "caughtUp", value: { seq: last } } });
    for (;;) {
      const batch = await subscription.next(signal);
      if (!Array.isArray(batch)) {
        if (batch.kind === "overflow") {
          throw new LimitExceededError(
            `subscriber too slow: more than ${config.limits.subscriberBufferEvents} events waiting; subscribe again with after_seq=${last}`,
          );
        }
        if (batch.error instanceof HubShuttingDownError) {
          throw new UnavailableError(`the hub is shutting down; reconnect and subscribe with after_seq=${last}`);
        }
        if (signal.aborted) return;
        throw batch.error;
      }
      for (const event of batch) if (event.seq > last) yield emit(event);
      flushDelivered();
    }
  } finally {
    fanout.unsubscribe(subscription);
    presence.streamClosed(name);
  }
}
