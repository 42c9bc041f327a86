import { ConnectError } from "@connectrpc/connect";
import type { Event, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { LinkerClient } from "../support/clients.js";

/** One event as a subscriber saw it. */
export interface SeenEvent {
  seq: bigint;
  /** Set for message events. */
  messageId?: string;
  /** Body of a message event. */
  body?: string;
  /** Kind of payload. */
  kind: Event["payload"]["case"];
  /** Set for presence events. */
  presence?: { name: string; change: PresenceChangeKind };
}

/** An open Subscribe stream that records what it receives. */
export interface RecordedStream {
  /** Events received so far, in arrival order. */
  readonly events: SeenEvent[];
  /** Resolves with the caught_up seq once replay has finished. */
  readonly caughtUp: Promise<bigint>;
  /** Resolves when the stream ends: undefined if it ended cleanly, else its error. */
  readonly ended: Promise<ConnectError | undefined>;
  /** Resolves once `predicate(events)` holds; rejects if the stream ends first or after `timeoutMs`. */
  until(what: string, predicate: (events: SeenEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Cancels the stream and waits for it to end. */
  cancel(): Promise<void>;
}

/** Opens `client.subscribe({ afterSeq })` and records every event. */
export function recordStream(client: LinkerClient, afterSeq: bigint): RecordedStream {
  const abort = new AbortController();
  const events: SeenEvent[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  let resolveCaughtUp!: (seq: bigint) => void;
  let rejectCaughtUp!: (err: Error) => void;
  const caughtUp = new Promise<bigint>((resolve, reject) => {
    resolveCaughtUp = resolve;
    rejectCaughtUp = reject;
  });
  caughtUp.catch(() => undefined);
  const ended = (async (): Promise<ConnectError | undefined> => {
    try {
      for await (const response of client.subscribe({ afterSeq }, { signal: abort.signal })) {
        if (response.item.case === "caughtUp") {
          resolveCaughtUp(response.item.value.seq);
        } else if (response.item.case === "event") {
          const event = response.item.value;
          const seen: SeenEvent = { seq: event.seq, kind: event.payload.case };
          if (event.payload.case === "message") {
            seen.messageId = event.payload.value.id;
            seen.body = event.payload.value.body;
          } else if (event.payload.case === "presence") {
            seen.presence = { name: event.payload.value.instance?.name ?? "", change: event.payload.value.kind };
          }
          events.push(seen);
        }
        for (const waiter of waiters) waiter();
      }
      return undefined;
    } catch (err) {
      return ConnectError.from(err);
    } finally {
      finished = true;
      rejectCaughtUp(new Error("the stream ended before caught_up"));
      for (const waiter of waiters) waiter();
    }
  })();
  return {
    events,
    caughtUp,
    ended,
    until(what, predicate, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${events.length} events seen)`));
        }, timeoutMs);
        const check = () => {
          if (predicate(events)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (finished) {
            clearTimeout(timer);
            waiters.delete(check);
            ended.then((error) => reject(new Error(`the stream ended (${error?.message ?? "cleanly"}) before ${what}`)));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async cancel() {
      abort.abort();
      await ended;
    },
  };
}

/** Fails unless seqs only increase. */
export function assertIncreasing(events: readonly SeenEvent[], label: string): void {
  for (let i = 1; i < events.length; i++) {
    if (events[i].seq <= events[i - 1].seq) {
      throw new Error(`${label}: seq ${events[i].seq} at position ${i} follows ${events[i - 1].seq}`);
    }
  }
}
