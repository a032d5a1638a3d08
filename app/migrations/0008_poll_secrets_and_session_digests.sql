-- Secrets at rest become digests, and a start/poll login hands its session out once.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.

-- Sessions are now stored under the SHA-256 digest (hex) of their id, which is the bearer token and the cookie.
-- A stored id cannot be turned into its digest in SQL that both engines run, so every existing session ends
-- here: everybody signs in again once after this upgrade.
DELETE FROM sessions;

-- Start/poll logins: only the digest of the poll secret is kept, which the poller must show (header
-- Wxgate-Poll-Secret); the callback records the user ('confirmed') and the first poll with the secret makes the
-- session and marks the row 'taken', so no session token is stored at all. Logins in flight (ten minutes at most)
-- are dropped with the old table: they are started again.
DROP TABLE oauth_logins;
CREATE TABLE oauth_logins (
    state TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL,
    provider TEXT NOT NULL,
    next_path TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX oauth_logins_expires_at ON oauth_logins (expires_at);

-- A code's result is reused only for WeChat's duplicate callback of the same login, so the state it came with
-- (its SHA-256 digest) is kept and must match. The results live five minutes; the old ones are dropped.
DROP TABLE oauth_code_results;
CREATE TABLE oauth_code_results (
    appid TEXT NOT NULL,
    code TEXT NOT NULL,
    state_digest TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, code)
);

CREATE INDEX oauth_code_results_created_at ON oauth_code_results (created_at);

-- The purge of refused notifications looks for old ones by outcome and time.
CREATE INDEX payment_notifications_received_at ON payment_notifications (received_at);
