-- Seasonal baselines (issue 10): one serialized series per key ('brand|category|metric').
-- IF NOT EXISTS: stores from before migrations created this table on first use.
CREATE TABLE IF NOT EXISTS baselines (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL);
