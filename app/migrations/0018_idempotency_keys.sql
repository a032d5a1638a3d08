-- The answers to the product's backend's POSTs under `/api/v1/`, by the `Idempotency-Key` it sent
-- (draft-ietf-httpapi-idempotency-key-header): a retried request is answered the same, a different request with the
-- same key is refused (its `request_digest`, SHA-256 of method, path and body, differs). Kept a day.
CREATE TABLE idempotency_keys (
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    idempotency_key TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
