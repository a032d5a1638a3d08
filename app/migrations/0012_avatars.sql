-- Avatars people upload, kept by the SHA-256 of their bytes: a user's avatar_url names the digest, so the file can
-- be cached for good and one image shared by several users is kept once. BYTEA is PostgreSQL's bytes; SQLite keeps a
-- blob in it as it is (its NUMERIC affinity converts only text).
CREATE TABLE avatars (
    digest TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
