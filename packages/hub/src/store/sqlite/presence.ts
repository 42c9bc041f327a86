import type Database from "better-sqlite3";
import type { PresenceRepository } from "../presence-repository.js";

/** Presence leases in SQLite. */
export function sqlitePresence(db: Database.Database): PresenceRepository {
  const s = {
    hold: db.prepare<[string, string, number]>(
      "INSERT INTO presence_leases (name, hub, expires_at) VALUES (?, ?, ?) ON CONFLICT (name, hub) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)",
    ),
    release: db.prepare<[string, string]>("DELETE FROM presence_leases WHERE name = ? AND hub = ?"),
    renew: db.prepare<[number, string, string]>(
      "UPDATE presence_leases SET expires_at = MAX(expires_at, ?) WHERE hub = ? AND name IN (SELECT value FROM json_each(?))",
    ),
    live: db.prepare<[string, number], { n: number }>("SELECT COUNT(*) AS n FROM presence_leases WHERE name = ? AND expires_at > ?"),
    expired: db.prepare<[number], { name: string }>("DELETE FROM presence_leases WHERE expires_at <= ? RETURNING name"),
    online: db.prepare<[number], { name: string }>("SELECT DISTINCT name FROM presence_leases WHERE expires_at > ? ORDER BY name"),
    deleteOf: db.prepare<[string]>("DELETE FROM presence_leases WHERE name = ?"),
  };
  return {
    holdLease: async (name, hub, expiresAt) => {
      s.hold.run(name, hub, expiresAt);
    },
    releaseLease: async (name, hub) => {
      s.release.run(name, hub);
    },
    renewLeases: async (hub, names, expiresAt) => {
      if (names.length > 0) s.renew.run(expiresAt, hub, JSON.stringify(names));
    },
    hasLiveLease: async (name, now) => s.live.get(name, now)!.n > 0,
    deleteExpiredLeases: async (now) => [...new Set(s.expired.all(now).map((row) => row.name))],
    onlineNames: async (now) => s.online.all(now).map((row) => row.name),
    deleteLeasesOf: async (name) => {
      s.deleteOf.run(name);
    },
  };
}
