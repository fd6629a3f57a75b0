-- Human response (issue 15, monitor/store_actions.py): silences, the audit log, people's API
-- tokens, chat thread references, single-use nonces and incident marks. IF NOT EXISTS: stores
-- from before migrations created these tables on first use (the same DDL, DOUBLE PRECISION times).
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, brand TEXT NOT NULL, level TEXT, category TEXT,
    story TEXT, incident_id TEXT, starts_at DOUBLE PRECISION NOT NULL, ends_at DOUBLE PRECISION NOT NULL, created_by TEXT NOT NULL,
    reason TEXT NOT NULL, include_red INTEGER NOT NULL, expired_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS audit_log (id TEXT PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL,
    channel TEXT NOT NULL, action TEXT NOT NULL, incident_id TEXT, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (id TEXT PRIMARY KEY, person TEXT NOT NULL, role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS chat_threads (incident_id TEXT NOT NULL, notifier TEXT NOT NULL,
    channel TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (incident_id, notifier));
CREATE TABLE IF NOT EXISTS used_nonces (nonce TEXT PRIMARY KEY, used_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS incident_marks (incident_id TEXT NOT NULL, mark TEXT NOT NULL,
    actor TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, PRIMARY KEY (incident_id, mark));
