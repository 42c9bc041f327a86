import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { eventTypeOf } from "./event-type.js";

/** Why a subscription stopped taking events. */
export type SubscriptionEnd =
  | { kind: "overflow" }
  | { kind: "closed"; error: Error };

/**
 * One subscriber's queue of live events. Producers `push` without waiting; the
 * stream takes batches with `next`. The queue is bounded: past `capacity`
 * events it stops taking more and remembers that it overflowed, so a slow
 * consumer can never make the hub grow without bound.
 */
export class Subscription {
  private buffer: Event[] = [];
  private overflowed = false;
  private ended: SubscriptionEnd | undefined;
  private wake: (() => void) | undefined;

  constructor(
    /** Name of the subscribing instance. */
    readonly name: string,
    /** Event types it takes (empty = all). */
    readonly types: ReadonlySet<EventType>,
    private readonly capacity: number,
  ) {}

  /** Offers an event; ignored when filtered out or after overflow or close. */
  push(event: Event): void {
    if (this.ended || this.overflowed) return;
    if (this.types.size > 0 && !this.types.has(eventTypeOf(event.payload))) return;
    if (this.buffer.length >= this.capacity) {
      this.overflowed = true;
      this.buffer = [];
    } else {
      this.buffer.push(event);
    }
    this.notify();
  }

  /** Ends the subscription; a waiting or later `next` reports `error`. */
  close(error: Error): void {
    if (this.ended) return;
    this.ended = { kind: "closed", error };
    this.notify();
  }

  /**
   * Clears an overflow that happened while the stream was replaying from the
   * store (which holds every event anyway). Returns whether there was one.
   */
  takeOverflow(): boolean {
    const overflowed = this.overflowed;
    this.overflowed = false;
    return overflowed;
  }

  /**
   * Waits for buffered events and takes them all. Resolves to the reason the
   * subscription ended instead when it overflowed, was closed, or `signal` aborted.
   */
  async next(signal: AbortSignal): Promise<Event[] | SubscriptionEnd> {
    for (;;) {
      if (this.ended) return this.ended;
      if (this.overflowed) return { kind: "overflow" };
      if (this.buffer.length > 0) {
        const batch = this.buffer;
        this.buffer = [];
        return batch;
      }
      if (signal.aborted) return { kind: "closed", error: new Error("stream canceled") };
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
