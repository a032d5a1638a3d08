-- Server access tokens and jsapi_tickets shared by every wxgate process, with the lease that lets exactly one of
-- them refresh a token at a time. Portable SQL: the same file runs on SQLite and PostgreSQL.
CREATE TABLE wechat_tokens (
    key TEXT PRIMARY KEY,
    value TEXT,
    expires_at BIGINT NOT NULL DEFAULT 0,
    lease_holder TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);
