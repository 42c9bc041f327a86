/**
 * The PostgreSQL schema, the same tables as SQLite's: instances, sessions,
 * messages, the event log, memory, tasks, presence leases. Names and keys
 * compare byte by byte (COLLATE "C"), as in SQLite.
 */
export const initial = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta (key, value) VALUES ('schema_version', 0), ('event_seq', 0), ('memory_revision', 0), ('message_ordinal', 0), ('task_ordinal', 0);
CREATE TABLE instances (name TEXT COLLATE "C" PRIMARY KEY, name_key TEXT COLLATE "C" UNIQUE, data BYTEA NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX sessions_by_name ON sessions (name);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  ordinal BIGINT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  idempotency_key TEXT,
  sent_at BIGINT NOT NULL,
  expires_at BIGINT,
  data BYTEA NOT NULL
);
CREATE UNIQUE INDEX messages_by_idempotency_key ON messages (sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_by_thread ON messages (thread_id, ordinal);
CREATE INDEX messages_by_pair ON messages (sender, recipient, ordinal);
CREATE TABLE events (
  seq BIGINT PRIMARY KEY,
  audience TEXT NOT NULL,
  type INTEGER NOT NULL,
  at BIGINT NOT NULL,
  message_id TEXT,
  expires_at BIGINT,
  delivered_at BIGINT,
  read_at BIGINT,
  data BYTEA
);
CREATE INDEX events_by_audience ON events (audience, seq);
CREATE UNIQUE INDEX inbox_by_message ON events (audience, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX inbox_unread_by_expiry ON events (audience, expires_at) WHERE message_id IS NOT NULL AND read_at IS NULL;
CREATE INDEX events_by_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE TABLE memory (key TEXT COLLATE "C" PRIMARY KEY, revision BIGINT NOT NULL, expires_at BIGINT, data BYTEA NOT NULL);
CREATE INDEX memory_by_expiry ON memory (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  ordinal BIGINT NOT NULL,
  assigner TEXT NOT NULL,
  assignee TEXT NOT NULL,
  status INTEGER NOT NULL,
  data BYTEA NOT NULL
);
CREATE INDEX tasks_by_ordinal ON tasks (ordinal);
CREATE TABLE presence_leases (
  name TEXT NOT NULL,
  hub TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (name, hub)
);
CREATE INDEX presence_leases_by_expiry ON presence_leases (expires_at);
`;
