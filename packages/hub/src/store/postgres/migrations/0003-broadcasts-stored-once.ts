/** As SQLite's migration 5: a broadcast is one event with its recipients listed, and one narrow inbox entry per recipient. */
export const broadcastsStoredOnce = `
ALTER TABLE events ADD COLUMN recipients TEXT;
CREATE TABLE broadcast_inbox (
  recipient TEXT NOT NULL,
  seq BIGINT NOT NULL,
  expires_at BIGINT,
  delivered_at BIGINT,
  read_at BIGINT,
  PRIMARY KEY (recipient, seq)
);
CREATE VIEW inbox AS
  SELECT audience AS recipient, seq, message_id, expires_at, delivered_at, read_at
    FROM events WHERE message_id IS NOT NULL AND audience <> '*'
  UNION ALL
  SELECT b.recipient, b.seq, e.message_id, b.expires_at, b.delivered_at, b.read_at
    FROM broadcast_inbox b JOIN events e ON e.seq = b.seq AND e.audience = '*';
`;
