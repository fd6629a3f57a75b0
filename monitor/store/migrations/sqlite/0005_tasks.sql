-- The playbook as a checklist (issue 16, monitor/tasks/): each level's role tasks, media briefings
-- and 3-7-21 follow-ups as tracked tasks of an incident, and the holding statement's versions with
-- their approval. A task's id is derived from (incident, level, kind, position), so re-alerting
-- the same level never adds it twice.
CREATE TABLE IF NOT EXISTS incident_tasks (id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, level TEXT NOT NULL,
    kind TEXT NOT NULL, position INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, level_at REAL NOT NULL,
    due_at REAL NOT NULL, done_at REAL, done_by TEXT, reminded_at REAL,
    UNIQUE (incident_id, level, kind, position));
CREATE INDEX IF NOT EXISTS incident_tasks_incident ON incident_tasks (incident_id);
CREATE TABLE IF NOT EXISTS statement_versions (incident_id TEXT NOT NULL, version INTEGER NOT NULL,
    level TEXT NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL, at REAL NOT NULL, approved_by TEXT,
    approved_at REAL, PRIMARY KEY (incident_id, version));
