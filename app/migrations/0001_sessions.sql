-- Browser and mini-program sessions, shared by every wxgate process that uses this database.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
