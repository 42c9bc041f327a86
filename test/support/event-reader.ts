import type { Event } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { SubscribeResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { LinkerClient } from "./clients.js";

/** Reads a Subscribe stream item by item, for tests. */
export class EventReader {
  private readonly abort = new AbortController();
  private readonly iterator: AsyncIterator<SubscribeResponse>;
  /** Every event read so far. */
  readonly seen: Event[] = [];
  /** Highest seq read so far. */
  lastSeq = 0n;

  constructor(client: LinkerClient, afterSeq = 0n, types: EventType[] = []) {
    this.iterator = client.subscribe({ afterSeq, types }, { signal: this.abort.signal })[Symbol.asyncIterator]();
  }

  /** The next item (event or caught_up); throws the stream's error. */
  async item(): Promise<SubscribeResponse["item"]> {
    const result = await this.iterator.next();
    if (result.done) throw new Error("stream ended");
    const item = result.value.item;
    if (item.case === "event") {
      this.seen.push(item.value);
      this.lastSeq = item.value.seq;
    }
    return item;
  }

  /** Reads until caught_up; returns the events replayed. */
  async caughtUp(): Promise<Event[]> {
    const events: Event[] = [];
    for (;;) {
      const item = await this.item();
      if (item.case === "caughtUp") return events;
      if (item.case === "event") events.push(item.value);
    }
  }

  /** Reads events until `predicate` holds for one; returns every event read on the way. */
  async until(predicate: (event: Event) => boolean): Promise<Event[]> {
    const events: Event[] = [];
    for (;;) {
      const item = await this.item();
      if (item.case !== "event") continue;
      events.push(item.value);
      if (predicate(item.value)) return events;
    }
  }

  /** The next `n` events. */
  async take(n: number): Promise<Event[]> {
    const events: Event[] = [];
    while (events.length < n) {
      const item = await this.item();
      if (item.case === "event") events.push(item.value);
    }
    return events;
  }

  /** Bodies of message events among `events`. */
  static bodies(events: Event[]): string[] {
    return events.flatMap((e) => (e.payload.case === "message" ? [e.payload.value.body] : []));
  }

  /** Cancels the stream. */
  close(): void {
    this.abort.abort();
  }
}
