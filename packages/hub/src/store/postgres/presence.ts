import type { PresenceRepository } from "../presence-repository.js";
import type { Sql } from "./sql.js";

/** Presence leases in PostgreSQL. */
export function postgresPresence(sql: Sql): PresenceRepository {
  return {
    holdLease: async (name, hub, expiresAt) => {
      await sql(
        "INSERT INTO presence_leases (name, hub, expires_at) VALUES ($1, $2, $3) ON CONFLICT (name, hub) DO UPDATE SET expires_at = GREATEST(presence_leases.expires_at, excluded.expires_at)",
        [name, hub, expiresAt],
      );
    },
    releaseLease: async (name, hub) => {
      await sql("DELETE FROM presence_leases WHERE name = $1 AND hub = $2", [name, hub]);
    },
    renewLeases: async (hub, names, expiresAt) => {
      if (names.length === 0) return;
      await sql("UPDATE presence_leases SET expires_at = GREATEST(expires_at, $1) WHERE hub = $2 AND name = ANY($3)", [expiresAt, hub, names]);
    },
    hasLiveLease: async (name, now) => (await sql("SELECT 1 FROM presence_leases WHERE name = $1 AND expires_at > $2 LIMIT 1", [name, now])).length > 0,
    deleteExpiredLeases: async (now) => [...new Set((await sql<{ name: string }>("DELETE FROM presence_leases WHERE expires_at <= $1 RETURNING name", [now])).map((row) => row.name))],
    onlineNames: async (now) =>
      (await sql<{ name: string }>("SELECT DISTINCT name FROM presence_leases WHERE expires_at > $1 ORDER BY name", [now])).map((row) => row.name),
    deleteLeasesOf: async (name) => {
      await sql("DELETE FROM presence_leases WHERE name = $1", [name]);
    },
  };
}
