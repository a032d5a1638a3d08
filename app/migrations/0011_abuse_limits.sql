-- Abuse limits that hold across every wxgate process sharing this database.
-- Fixed one-minute windows per limited subject; the key is a SHA-256 digest (never a raw code or address), and
-- windows that have ended are purged.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);

CREATE INDEX rate_limits_window_start ON rate_limits (window_start);

-- When WeChat Pay was last asked about the order, so a page polling it asks at most once every few seconds.
ALTER TABLE orders ADD COLUMN queried_at BIGINT NOT NULL DEFAULT 0;

CREATE INDEX orders_user_id_created_at ON orders (user_id, created_at);
