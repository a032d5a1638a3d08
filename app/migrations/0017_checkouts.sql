-- Checkouts (issue #15): what the product's backend (or the demo shop) sells to a buyer, priced by wxgate from its
-- line items (integer fen). A checkout becomes an order once, when its buyer is known and opens it. `api_key_id` is
-- the key that made it (NULL: the demo shop). `line_items` and `metadata` are JSON (line items after validation).
CREATE TABLE checkouts (
    id TEXT PRIMARY KEY,
    api_key_id TEXT REFERENCES api_keys (id),
    description TEXT NOT NULL,
    line_items TEXT NOT NULL,
    total_fen BIGINT NOT NULL CHECK (total_fen > 0),
    success_url TEXT,
    cancel_url TEXT,
    metadata TEXT,
    buyer_id TEXT REFERENCES users (id),
    order_id TEXT UNIQUE REFERENCES orders (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

ALTER TABLE orders ADD COLUMN checkout_id TEXT;

