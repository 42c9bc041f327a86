import type { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type CommittedEvent, EVERYONE } from "./store/store.js";
import { Subscription } from "./subscription.js";

/**
 * Routes committed events to live subscriptions by audience. Events are
 * published in commit order, so each subscription sees increasing sequence
 * numbers.
 */
export class Fanout {
  private readonly byName = new Map<string, Set<Subscription>>();
  private readonly all = new Set<Subscription>();
  private readonly watchers = new Set<Subscription>();

  /** Opens a subscription for `name` that receives its own and everyone's events. */
  subscribe(name: string, types: ReadonlySet<EventType>, capacity: number): Subscription {
    const subscription = new Subscription(name, types, capacity);
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(subscription);
    this.all.add(subscription);
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
    const set = this.byName.get(subscription.name);
    set?.delete(subscription);
    if (set && set.size === 0) this.byName.delete(subscription.name);
  }

  /** Delivers committed events to the subscriptions they are addressed to. */
  publish(events: readonly CommittedEvent[]): void {
    for (const { audience, event } of events) {
      for (const watcher of this.watchers) watcher.push(event);
      const targets = audience === EVERYONE ? this.all : this.byName.get(audience);
      if (!targets) continue;
      for (const subscription of targets) subscription.push(event);
    }
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
