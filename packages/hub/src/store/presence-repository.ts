/**
 * Presence leases: a hub holds a lease on a name while the instance has a
 * stream open on that hub or heartbeats there, renewed before it expires.
 * An instance is online while any hub holds a live lease on its name, so
 * hubs sharing a database agree, and the leases of a hub that died expire.
 */
export interface PresenceRepository {
  /** Creates or extends `hub`'s lease on `name` until `expiresAt`. */
  holdLease(name: string, hub: string, expiresAt: number): Promise<void>;
  /** Ends `hub`'s lease on `name`. */
  releaseLease(name: string, hub: string): Promise<void>;
  /** Extends every lease `hub` holds on `names` until `expiresAt`. */
  renewLeases(hub: string, names: string[], expiresAt: number): Promise<void>;
  /** Whether any hub holds a lease on `name` that is live at `now`. */
  hasLiveLease(name: string, now: number): Promise<boolean>;
  /** Deletes leases that expired by `now`; returns the names they were on. */
  deleteExpiredLeases(now: number): Promise<string[]>;
  /** Names with a live lease at `now`. */
  onlineNames(now: number): Promise<string[]>;
  /** Deletes every lease on `name`. */
  deleteLeasesOf(name: string): Promise<void>;
}
