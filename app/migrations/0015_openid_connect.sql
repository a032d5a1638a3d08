-- wxgate as an OpenID Connect provider (OpenID Connect Core 1.0, RFC 6749, RFC 7636).

-- Clients registered with `wxgate clients add` (those of WXGATE_OIDC_CLIENTS live in the configuration). The
-- secret is kept as its SHA-256 digest, NULL for a public client (which must use PKCE); the URI lists are JSON
-- arrays, matched exactly.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_digest TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The keys ID tokens are signed with (ES256, PKCS#8 DER in base64). The newest unretired key signs; a retired
-- key stays published in the JWKS until `expires_at`, after every token it signed has expired.
CREATE TABLE oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    expires_at BIGINT
);

-- What one authorization gave a client: its codes and tokens hang off it, and revoking it (a code used twice, a
-- rotated refresh token presented again) ends every token it issued.
CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX oidc_grants_user_id ON oidc_grants (user_id);

-- Authorization codes by digest: single use, short-lived, bound to the redirect URI, the PKCE challenge and nonce.
CREATE TABLE oidc_codes (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id),
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Access and refresh tokens by digest. A refresh token is used once: refreshing marks it used and issues the next.
CREATE TABLE oidc_tokens (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id),
    kind TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX oidc_tokens_grant_id ON oidc_tokens (grant_id);

-- The `sub` each client knows a person by: the user id it first saw. A merge moves the rows to the surviving
-- user, and the oldest row wins, so a client's `sub` for a person never changes.
CREATE TABLE oidc_subjects (
    client_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, sub)
);

CREATE INDEX oidc_subjects_user_id ON oidc_subjects (user_id);
