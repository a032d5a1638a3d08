-- People and their WeChat identities: one user per person, identities (appid, openid) linked through the unionid.
-- A user merged into another keeps its row with merged_into set, so anything that still points at it is found.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    nickname TEXT,
    avatar_url TEXT,
    phone TEXT,
    merged_into TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE identities (
    appid TEXT NOT NULL,
    openid TEXT NOT NULL,
    unionid TEXT,
    provider TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);

CREATE INDEX identities_unionid ON identities (unionid);
CREATE INDEX identities_user_id ON identities (user_id);

-- The newest mini-program session_key of each identity; never leaves the server.
CREATE TABLE mp_session_keys (
    appid TEXT NOT NULL,
    openid TEXT NOT NULL,
    session_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);

-- Logins started through POST /api/auth/oauth/start and finished by the callback, possibly on another process.
CREATE TABLE oauth_logins (
    state TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    next_path TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT,
    session_token TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- What an OAuth code was exchanged for, so WeChat's duplicate callback with the same code reuses it (no 40163).
CREATE TABLE oauth_code_results (
    appid TEXT NOT NULL,
    code TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, code)
);
