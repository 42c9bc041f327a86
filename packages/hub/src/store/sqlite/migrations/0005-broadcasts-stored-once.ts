/**
 * A broadcast is stored as one event addressed to everyone and one narrow
 * inbox entry per recipient holding that recipient's delivered and read
 * state. Entries are keyed by the event's seq first, so one broadcast's
 * entries sit side by side and storing them touches a page or two however
 * many recipients there are; a recipient's entries are found through the
 * broadcast events. Broadcasts stored earlier, one event per recipient, stay
 * valid inbox entries. The `inbox` view is every instance's inbox: direct
 * message events and broadcast entries alike.
 */
export const broadcastsStoredOnce = `
CREATE TABLE IF NOT EXISTS broadcast_inbox (
  seq INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  expires_at INTEGER,
  delivered_at INTEGER,
  read_at INTEGER,
  PRIMARY KEY (seq, recipient)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS inbox AS
  SELECT audience AS recipient, seq, message_id, expires_at, delivered_at, read_at
    FROM events WHERE message_id IS NOT NULL AND audience <> '*'
  UNION ALL
  SELECT b.recipient, b.seq, e.message_id, b.expires_at, b.delivered_at, b.read_at
    FROM events e JOIN broadcast_inbox b ON b.seq = e.seq
    WHERE e.audience = '*' AND e.message_id IS NOT NULL;
`;
