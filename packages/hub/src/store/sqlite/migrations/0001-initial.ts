/** The first schema: instances, sessions, messages, the event log (with inbox state), memory and tasks. */
export const initial = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', 0), ('memory_revision', 0), ('message_ordinal', 0), ('task_ordinal', 0);
CREATE TABLE IF NOT EXISTS instances (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  idempotency_key TEXT,
  sent_at INTEGER NOT NULL,
  expires_at INTEGER,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_idempotency_key ON messages (sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_thread ON messages (thread_id, ordinal);
CREATE INDEX IF NOT EXISTS messages_by_pair ON messages (sender, recipient, ordinal);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  audience TEXT NOT NULL,
  type INTEGER NOT NULL,
  at INTEGER NOT NULL,
  message_id TEXT,
  expires_at INTEGER,
  delivered_at INTEGER,
  read_at INTEGER,
  data BLOB
);
CREATE INDEX IF NOT EXISTS events_by_audience ON events (audience, seq);
CREATE UNIQUE INDEX IF NOT EXISTS inbox_by_message ON events (audience, message_id) WHERE message_id IS NOT NULL;
DROP INDEX IF EXISTS inbox_unread;
CREATE INDEX IF NOT EXISTS inbox_unread_by_expiry ON events (audience, expires_at) WHERE message_id IS NOT NULL AND read_at IS NULL;
CREATE INDEX IF NOT EXISTS events_by_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS memory (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, expires_at INTEGER, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS memory_by_expiry ON memory (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  assigner TEXT NOT NULL,
  assignee TEXT NOT NULL,
  status INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_ordinal ON tasks (ordinal);
`;
