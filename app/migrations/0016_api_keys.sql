-- API keys of the product's backend for the server-to-server API under /api/v1/ (issue #15). A key is shown once
-- when it is made; wxgate keeps its SHA-256 digest. `scopes` is space-separated; a revoked key stays listed.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_digest TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
