-- The web console (issue 16, monitor/console/): people's accounts with hashed passwords and their
-- display time zone, and sign-in sessions (only a hash of the cookie's value is kept).
CREATE TABLE IF NOT EXISTS console_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT,
    timezone TEXT, created_at DOUBLE PRECISION NOT NULL, disabled_at DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS console_sessions (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL, via TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_sessions_name ON console_sessions(name);
