import { randomUUID } from "node:crypto";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { Clock } from "./clock.js";
import type { HubLogger } from "./logger.js";
import { Presence } from "./presence.js";
import type { CommittedEvent, Store, StoreTx } from "./store/store.js";

/** Writes the JOINED or LEFT event of `name` inside `tx` (the registry does). */
export type PresenceAnnouncer = (tx: StoreTx, name: string, online: boolean, now: number) => Promise<void>;

/** What shared presence is built from. */
export interface SharedPresenceDeps {
  /** Where leases are kept. */
  store: Store;
  /** Time source. */
  clock: Clock;
  /** Seconds without stream or heartbeat before an instance is offline. */
  ttlSeconds: number;
  /** Where failures to write presence are logged. */
  logger: HubLogger;
}

/**
 * Who is online, agreed by every hub on one database. This hub tracks its
 * own streams and heartbeats (Presence) and holds a lease in the store on
 * each name that is live here, renewed before it expires; an instance is
 * online while any hub holds a live lease on it. JOINED and LEFT are decided
 * inside the leasing transaction, so hubs never disagree about them, and
 * every hub's view follows those events as they commit. When a hub dies its
 * leases expire and the sweeping hub announces LEFT; a hub that takes over
 * the same database sees the leases still live, so nobody flaps offline.
 */
export class SharedPresence {
  /** This hub's identity in the lease table. */
  readonly hubId = randomUUID();
  private readonly local: Presence;
  private readonly online = new Set<string>();
  /** The latest presence write of each name whose write has not finished. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly ttlMs: number;
  private announce: PresenceAnnouncer | undefined;
  private closing = false;

  constructor(private readonly deps: SharedPresenceDeps) {
    this.ttlMs = deps.ttlSeconds * 1000;
    this.local = new Presence(this.ttlMs, deps.clock, (name, online) => this.localChanged(name, online));
  }

  /** Sets who writes the JOINED and LEFT events. */
  announceWith(announce: PresenceAnnouncer): void {
    this.announce = announce;
  }

  /** Loads who is online from the store (leases of every hub). */
  async start(): Promise<void> {
    const names = await this.deps.store.transaction((tx) => tx.presence.onlineNames(this.deps.clock.now()));
    for (const name of names) this.online.add(name);
  }

  /** Whether `name` is online on any hub, as far as this hub has heard (other hubs' changes arrive as their events commit). */
  isOnline(name: string): boolean {
    return this.local.isOnline(name) || this.online.has(name);
  }

  /**
   * Whether `name` is online on any hub, read from the leases in the store:
   * exact even before another hub's JOINED or LEFT event has reached this one.
   */
  async isOnlineIn(tx: StoreTx, name: string): Promise<boolean> {
    return this.local.isOnline(name) || (await tx.presence.hasLiveLease(name, this.deps.clock.now()));
  }

  /** Who is online on any hub, from one read of the leases in the store (see isOnlineIn). */
  async onlineIn(tx: StoreTx): Promise<(name: string) => boolean> {
    const leased = new Set(await tx.presence.onlineNames(this.deps.clock.now()));
    return (name) => this.local.isOnline(name) || leased.has(name);
  }

  /**
   * Resolves once the lease change that this hub's last presence change of
   * `name` made is committed (at once when none is pending), so a caller told
   * it is online is online for every hub on the database.
   */
  written(name: string): Promise<void> {
    return this.writes.get(name) ?? Promise.resolve();
  }

  /** When this hub last heard from `name`, if ever. */
  lastSeen(name: string): number | undefined {
    return this.local.lastSeen(name);
  }

  /** A Subscribe stream of `name` opened on this hub. */
  streamOpened(name: string): void {
    this.local.streamOpened(name);
  }

  /** A Subscribe stream of `name` closed on this hub. */
  streamClosed(name: string): void {
    this.local.streamClosed(name);
  }

  /** `name` sent a heartbeat to this hub. */
  heartbeat(name: string): void {
    this.local.heartbeat(name);
  }

  /** `name` ended its session here: offline on this hub now, whatever its streams. */
  leave(name: string): void {
    this.local.leave(name);
  }

  /** Follows committed presence events (this hub's and other hubs'). */
  apply(events: readonly CommittedEvent[]): void {
    for (const { event } of events) {
      if (event.payload.case !== "presence") continue;
      const { kind, instance } = event.payload.value;
      if (!instance) continue;
      if (kind === PresenceChangeKind.JOINED) this.online.add(instance.name);
      else if (kind === PresenceChangeKind.LEFT || kind === PresenceChangeKind.REMOVED) this.online.delete(instance.name);
    }
  }

  /** Extends this hub's leases on every name live here; run well within the TTL. */
  async renew(): Promise<void> {
    const names = this.local.onlineNames();
    if (names.length === 0 || this.closing) return;
    const expiresAt = this.deps.clock.now() + this.ttlMs;
    await this.deps.store.transaction((tx) => tx.presence.renewLeases(this.hubId, names, expiresAt));
  }

  /**
   * Ages this hub's heartbeats; with `expireLeases` (one hub per database)
   * also deletes every hub's expired leases and announces LEFT for names no
   * live lease holds any more.
   */
  async sweep(expireLeases: boolean): Promise<void> {
    this.local.sweep();
    if (!expireLeases || this.closing) return;
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      for (const name of await tx.presence.deleteExpiredLeases(now)) {
        if (await tx.presence.hasLiveLease(name, now)) continue;
        await this.announce?.(tx, name, false, now);
        tx.afterCommit(() => this.settle(name, false));
      }
    });
  }

  /** Stops writing presence (the hub is shutting down): leases stay and expire unless another hub renews them. */
  close(): void {
    this.closing = true;
  }

  /** Records a presence outcome this hub just committed. */
  private settle(name: string, online: boolean): void {
    if (online) this.online.add(name);
    else this.online.delete(name);
  }

  private localChanged(name: string, online: boolean): void {
    if (this.closing) return;
    const now = this.deps.clock.now();
    const write = this.deps.store
      .transaction(async (tx) => {
        if (online) {
          const already = await tx.presence.hasLiveLease(name, now);
          await tx.presence.holdLease(name, this.hubId, now + this.ttlMs);
          if (!already) await this.announce?.(tx, name, true, now);
        } else {
          await tx.presence.releaseLease(name, this.hubId);
          if (await tx.presence.hasLiveLease(name, now)) return;
          await this.announce?.(tx, name, false, now);
        }
        // This hub knows the outcome at once; the committed event tells the others (and repeats it here).
        tx.afterCommit(() => this.settle(name, online));
      })
      .catch((err: unknown) => this.deps.logger.warn({ err, instance: name }, "presence not stored"));
    this.writes.set(name, write);
    void write.then(() => {
      if (this.writes.get(name) === write) this.writes.delete(name);
    });
  }
}
