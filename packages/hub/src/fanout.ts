import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type CommittedEvent, EVERYONE, INTERNAL_AUDIENCE_PREFIX } from "./store/store.js";
import { eventTypeOf } from "./event-type.js";
import { Subscription } from "./subscription.js";

/**
 * Routes committed events to live subscriptions by audience. Events are
 * published in commit order, so each subscription sees increasing sequence
 * numbers. Subscriptions are also indexed by the event types they take, so
 * an event to everyone costs nothing for the idle streams that filter it out.
 */
export class Fanout {
  private readonly byName = new Map<string, Set<Subscription>>();
  private readonly all = new Set<Subscription>();
  private readonly anyType = new Set<Subscription>();
  private readonly byType = new Map<EventType, Set<Subscription>>();
  private readonly watchers = new Set<Subscription>();

  /** Opens a subscription for `name` that receives its own and everyone's events. */
  subscribe(name: string, types: ReadonlySet<EventType>, capacity: number): Subscription {
    const subscription = new Subscription(name, types, capacity);
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(subscription);
    this.all.add(subscription);
    if (types.size === 0) this.anyType.add(subscription);
    for (const type of types) {
      let typed = this.byType.get(type);
      if (!typed) this.byType.set(type, (typed = new Set()));
      typed.add(subscription);
    }
    return subscription;
  }

  /** Opens a subscription that receives every event, whoever it is addressed to (observers). */
  watch(types: ReadonlySet<EventType>, capacity: number): Subscription {
    const subscription = new Subscription(EVERYONE, types, capacity);
    this.watchers.add(subscription);
    return subscription;
  }

  /** Removes a subscription. */
  unsubscribe(subscription: Subscription): void {
    if (this.watchers.delete(subscription)) return;
    this.all.delete(subscription);
    this.anyType.delete(subscription);
    for (const type of subscription.types) {
      const typed = this.byType.get(type);
      typed?.delete(subscription);
      if (typed && typed.size === 0) this.byType.delete(type);
    }
    const set = this.byName.get(subscription.name);
    set?.delete(subscription);
    if (set && set.size === 0) this.byName.delete(subscription.name);
  }

  /** Delivers committed events to the subscriptions they are addressed to. */
  publish(events: readonly CommittedEvent[]): void {
    for (const { audience, event, recipients } of events) {
      // Hub-internal events (their audience is no instance name) are for the hubs, not for any stream.
      if (audience.startsWith(INTERNAL_AUDIENCE_PREFIX)) continue;
      for (const watcher of this.watchers) watcher.push(event);
      if (recipients) {
        // A broadcast: one event object for every recipient's streams.
        for (const name of recipients) this.pushTo(this.byName.get(name), event);
      } else if (audience === EVERYONE) {
        this.pushTo(this.anyType, event);
        this.pushTo(this.byType.get(eventTypeOf(event.payload)), event);
      } else {
        this.pushTo(this.byName.get(audience), event);
      }
    }
  }

  private pushTo(targets: Set<Subscription> | undefined, event: Event): void {
    if (targets) for (const subscription of targets) subscription.push(event);
  }

  /** Number of open Subscribe subscriptions, and of watchers. */
  sizes(): { subscribers: number; watchers: number } {
    return { subscribers: this.all.size, watchers: this.watchers.size };
  }

  /** Number of open subscriptions of `name`. */
  count(name: string): number {
    return this.byName.get(name)?.size ?? 0;
  }

  /** Closes every subscription of `name` with `error`. */
  closeFor(name: string, error: Error): void {
    for (const subscription of this.byName.get(name) ?? []) subscription.close(error);
  }

  /** Closes every subscription with `error` (hub shutdown). */
  closeAll(error: Error): void {
    for (const subscription of this.all) subscription.close(error);
    for (const watcher of this.watchers) watcher.close(error);
  }
}
