//! What bounds a buyer's orders and the questions asked of WeChat Pay about them: open unpaid orders, orders made
//! lately, and when WeChat Pay was last asked about an order.

use super::{Database, DbError};
use crate::types::status::OrderStatus;

impl Database {
    /// Claims the right to ask WeChat Pay about order `id` now: true for at most one caller every `interval`
    /// seconds, across processes (one guarded update).
    pub async fn claim_order_query(
        &self,
        id: &str,
        now: i64,
        interval: i64,
    ) -> Result<bool, DbError> {
        let claimed =
            sqlx::query("UPDATE orders SET queried_at = $1 WHERE id = $2 AND queried_at <= $3")
                .bind(now)
                .bind(id)
                .bind(now - interval)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(claimed == 1)
    }

    /// How many of `user_id`'s orders are unpaid and still payable at `now`, counted up to `up_to` at most (the
    /// limit asked about: a buyer with many orders costs no more to check than one at the limit).
    pub async fn open_unpaid_orders_of(
        &self,
        user_id: &str,
        now: i64,
        up_to: i64,
    ) -> Result<i64, DbError> {
        let count = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM orders \
             WHERE user_id = $1 AND status IN ($2, $3) AND expires_at > $4 LIMIT $5) AS open_orders",
        )
        .bind(user_id)
        .bind(OrderStatus::Created.as_str())
        .bind(OrderStatus::Paying.as_str())
        .bind(now)
        .bind(up_to)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// How many orders `user_id` made since `since`, counted up to `up_to` at most.
    pub async fn orders_made_since(
        &self,
        user_id: &str,
        since: i64,
        up_to: i64,
    ) -> Result<i64, DbError> {
        let count = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE user_id = $1 AND created_at >= $2 LIMIT $3) \
             AS recent_orders",
        )
        .bind(user_id)
        .bind(since)
        .bind(up_to)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }
}
