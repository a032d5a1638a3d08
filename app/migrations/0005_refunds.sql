-- Refunds wxgate asked WeChat Pay for. out_refund_no is made from the order and the admin's request id, so a retried
-- request is the same refund at WeChat.
CREATE TABLE refunds (
    out_refund_no TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    refund_fen BIGINT NOT NULL CHECK (refund_fen > 0),
    reason TEXT,
    status TEXT NOT NULL,
    refund_id TEXT,
    requested_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX refunds_order_id ON refunds (order_id);
