/** Presence is a lease per (name, hub): shared by every hub on the database and expiring with a hub that died. */
export const presenceLeases = `
CREATE TABLE presence_leases (
  name TEXT NOT NULL,
  hub TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (name, hub)
);
CREATE INDEX presence_leases_by_expiry ON presence_leases (expires_at);
`;
