-- Replicas: named leases (source pollers, the engine writer) and outbox claims.
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL,
                     acquired DOUBLE PRECISION NOT NULL);
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until DOUBLE PRECISION;
