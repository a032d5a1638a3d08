-- WeChat's message push (消息推送), kept before it is answered: WeChat sends a message again until it hears
-- `success`, so each is stored once under its repeat key (MsgId, or an event's sender, time and event) and
-- applied from here after the answer; `applied_at` is set when it has been.
CREATE TABLE push_messages (
    appid TEXT NOT NULL,
    repeat_key TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    event TEXT,
    from_openid TEXT NOT NULL,
    fields TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    applied_at BIGINT,
    outcome TEXT,
    PRIMARY KEY (appid, repeat_key)
);

CREATE INDEX push_messages_received_at ON push_messages (applied_at, received_at);

-- Who follows the official account, from its subscribe / unsubscribe / SCAN events; joined to a person through
-- `identities` (appid, openid), so a follower who has not signed in yet is kept too.
CREATE TABLE official_account_follows (
    appid TEXT NOT NULL,
    openid TEXT NOT NULL,
    following INTEGER NOT NULL,
    scene TEXT,
    followed_at BIGINT,
    unfollowed_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);

-- What WeChat's trade management said of a mini-program order after its shipping was uploaded.
ALTER TABLE shipments ADD COLUMN receipt_confirmed_at BIGINT;
ALTER TABLE shipments ADD COLUMN settled_at BIGINT;
ALTER TABLE shipments ADD COLUMN wechat_reminded_at BIGINT;

-- When a person withdrew an app's authorisation (or closed their WeChat account) and what they withdrew.
ALTER TABLE identities ADD COLUMN revoked_at BIGINT;

-- What the product attached to an order; it travels along in the order's events.
ALTER TABLE orders ADD COLUMN metadata TEXT;

-- The outbox: each event for the product, written in the transaction of the change it reports and delivered from
-- here (Standard Webhooks). `id` is the `webhook-id` of every attempt; `payload` is the body exactly as signed.
-- A process delivering an event holds it until `leased_until` under `lease`.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until BIGINT NOT NULL DEFAULT 0,
    lease TEXT,
    last_attempt_at BIGINT,
    last_status BIGINT,
    last_error TEXT,
    delivered_at BIGINT
);

CREATE INDEX events_state_next_attempt_at ON events (state, next_attempt_at);
CREATE INDEX events_created_at ON events (created_at);
