/** As SQLite's migration 5: a broadcast is one event and one narrow inbox entry per recipient, keyed by the event's seq first. */
export const broadcastsStoredOnce = `
CREATE TABLE broadcast_inbox (
  seq BIGINT NOT NULL,
  recipient TEXT NOT NULL,
  expires_at BIGINT,
  delivered_at BIGINT,
  read_at BIGINT,
  PRIMARY KEY (seq, recipient)
);
CREATE VIEW inbox AS
  SELECT audience AS recipient, seq, message_id, expires_at, delivered_at, read_at
    FROM events WHERE message_id IS NOT NULL AND audience <> '*'
  UNION ALL
  SELECT b.recipient, b.seq, e.message_id, b.expires_at, b.delivered_at, b.read_at
    FROM events e JOIN broadcast_inbox b ON b.seq = e.seq
    WHERE e.audience = '*' AND e.message_id IS NOT NULL;
`;
