-- What this database was made for: the built-in sandbox or live WeChat, and in live mode the WeChat Pay merchant.
-- wxgate refuses to start in the other mode (or for another merchant) against it, so sandbox-paid orders never meet
-- live ones. One row (id 1), written by the first start; a database made before this table is claimed by the mode
-- of its first start after the upgrade.
CREATE TABLE instance (
    id BIGINT PRIMARY KEY,
    mode TEXT NOT NULL,
    mch_id TEXT,
    created_at BIGINT NOT NULL
);
