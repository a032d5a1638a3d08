-- A buyer's open unpaid orders are counted before each new order (the order limits): by buyer, status and expiry
-- from this index alone, however many orders the buyer has made.
CREATE INDEX orders_user_id_status_expires_at ON orders (user_id, status, expires_at);
