/**
 * A broadcast is stored as one event addressed to everyone, with its
 * recipients listed on the event, and one narrow inbox entry per recipient
 * (keyed by recipient and the event's seq) holding that recipient's delivered
 * and read state. Broadcasts stored earlier, one event per recipient, stay
 * valid inbox entries. The `inbox` view is every instance's inbox: direct
 * message events and broadcast entries alike.
 */
export const broadcastsStoredOnce = `
ALTER TABLE events ADD COLUMN recipients TEXT;
CREATE TABLE IF NOT EXISTS broadcast_inbox (
  recipient TEXT NOT NULL,
  seq INTEGER NOT NULL,
  expires_at INTEGER,
  delivered_at INTEGER,
  read_at INTEGER,
  PRIMARY KEY (recipient, seq)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS inbox AS
  SELECT audience AS recipient, seq, message_id, expires_at, delivered_at, read_at
    FROM events WHERE message_id IS NOT NULL AND audience <> '*'
  UNION ALL
  SELECT b.recipient, b.seq, e.message_id, b.expires_at, b.delivered_at, b.read_at
    FROM broadcast_inbox b JOIN events e ON e.seq = b.seq AND e.audience = '*';
`;
