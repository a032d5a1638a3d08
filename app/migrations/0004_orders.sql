-- The catalogue, orders priced by the server (integer fen), and every WeChat Pay notification received, for audit.
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    price_fen BIGINT NOT NULL CHECK (price_fen > 0),
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    out_trade_no TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    total_fen BIGINT NOT NULL CHECK (total_fen > 0),
    surface TEXT,
    appid TEXT,
    prepay TEXT,
    prepay_expires_at BIGINT NOT NULL DEFAULT 0,
    transaction_id TEXT,
    paid_at BIGINT,
    flag TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX orders_user_id ON orders (user_id);
CREATE INDEX orders_status ON orders (status);

CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id),
    product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- One row per notification received, duplicates included: what it was and what wxgate did with it.
CREATE TABLE payment_notifications (
    receipt_id TEXT PRIMARY KEY,
    notification_id TEXT,
    event_type TEXT,
    out_trade_no TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    received_at BIGINT NOT NULL
);

CREATE INDEX payment_notifications_notification_id ON payment_notifications (notification_id);
CREATE INDEX payment_notifications_out_trade_no ON payment_notifications (out_trade_no);
