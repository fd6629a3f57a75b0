-- Seasonal baselines (issue 10): one serialized series per key ('brand|category|metric').
CREATE TABLE IF NOT EXISTS baselines (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated DOUBLE PRECISION);
