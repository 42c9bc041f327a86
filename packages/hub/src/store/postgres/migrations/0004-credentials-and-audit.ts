/**
 * Agent keys (hashed), the key each name and session is held under, the
 * audit log, and a subject column that lets the event log keep only the
 * latest presence event of each instance.
 */
export const credentialsAndAudit = `
INSERT INTO meta (key, value) VALUES ('audit_id', 0);
CREATE TABLE agent_keys (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, data BYTEA NOT NULL);
ALTER TABLE instances ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_key ON sessions (key_id) WHERE key_id != '';
CREATE TABLE audit (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, kind INTEGER NOT NULL, data BYTEA NOT NULL);
CREATE INDEX audit_by_at ON audit (at);
ALTER TABLE events ADD COLUMN subject TEXT;
CREATE INDEX events_by_subject ON events (subject) WHERE subject IS NOT NULL;
`;
