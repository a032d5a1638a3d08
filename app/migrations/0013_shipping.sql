-- Shipping information for mini-program payments (小程序发货信息管理). Products, and the items of orders made from
-- them, are virtual or physical goods; products saved before default to physical, whose shipping an admin enters.
ALTER TABLE products ADD COLUMN goods TEXT NOT NULL DEFAULT 'physical';
ALTER TABLE order_items ADD COLUMN goods TEXT NOT NULL DEFAULT 'physical';

-- One row per paid mini-program order, made in the transaction that marked it paid: what WeChat is told of its
-- shipping, where that stands (AWAITING_DISPATCH, UPLOADING, UPLOADED, NOT_REQUIRED, FAILED), and the retries.
CREATE TABLE shipments (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    appid TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    payer_openid TEXT NOT NULL,
    item_desc TEXT NOT NULL,
    goods TEXT NOT NULL,
    state TEXT NOT NULL,
    express_company TEXT,
    express_name TEXT,
    tracking_no TEXT,
    receiver_contact TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    uploaded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX shipments_state_next_attempt_at ON shipments (state, next_attempt_at);

-- What WeChat said of `is_trade_managed` for a mini program, and when: asked again after a while.
CREATE TABLE trade_management (
    appid TEXT PRIMARY KEY,
    managed INTEGER NOT NULL,
    checked_at BIGINT NOT NULL
);
