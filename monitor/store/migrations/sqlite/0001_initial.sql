-- The schema every SQLite store had before versioned migrations (schema_version 1).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_ts ON seen(ts);
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, value TEXT, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    key TEXT PRIMARY KEY, ts REAL NOT NULL, source TEXT NOT NULL, brands TEXT NOT NULL,
    label TEXT NOT NULL, score REAL NOT NULL, model TEXT NOT NULL,
    human_label TEXT, post TEXT NOT NULL, matches TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posts_ts ON posts(ts);
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, brand TEXT NOT NULL, ts REAL NOT NULL,
    kind TEXT NOT NULL, ref TEXT NOT NULL, data TEXT NOT NULL, UNIQUE(scope, kind, ref));
CREATE INDEX IF NOT EXISTS signals_ts ON signals(ts);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY, scope TEXT NOT NULL, brand TEXT NOT NULL, status TEXT NOT NULL,
    opened REAL NOT NULL, data TEXT NOT NULL, evidence TEXT);
CREATE INDEX IF NOT EXISTS incidents_open ON incidents(status, scope);
CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, incident_id TEXT, ts REAL NOT NULL,
    brand TEXT, level TEXT, transition TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    notification_id TEXT NOT NULL, notifier TEXT NOT NULL, status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0, last_error TEXT,
    sent REAL, seq INTEGER NOT NULL, PRIMARY KEY (notification_id, notifier));
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(status, notifier, seq);
CREATE TABLE IF NOT EXISTS relabels (
    key TEXT PRIMARY KEY, label TEXT NOT NULL, by TEXT NOT NULL, at REAL NOT NULL, note TEXT);
