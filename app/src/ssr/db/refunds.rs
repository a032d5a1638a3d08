//! Refunds and what they do to their order: a request is recorded only if it fits what is left, a refund settles
//! once (a guarded change), and in the same transaction the order becomes PARTIALLY_REFUNDED or REFUNDED by the sum
//! of its settled refunds. Requests and settlements of one order take turns on the order's row lock.

use super::event_data::{record_order_event, record_refund_event};
use super::orders::status_guard;
use super::{Database, DbError};
use crate::ssr::clock::now;
use crate::ssr::events::EventType;
use crate::types::money::Fen;
use crate::types::status::{OrderStatus, RefundStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    pub out_refund_no: String,
    pub order_id: String,
    pub refund_fen: Fen,
    pub reason: Option<String>,
    pub status: RefundStatus,
    pub refund_id: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for RefundRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(RefundRow {
            out_refund_no: row.try_get("out_refund_no")?,
            order_id: row.try_get("order_id")?,
            refund_fen: Fen::new(row.try_get("refund_fen")?),
            reason: row.try_get("reason")?,
            status: {
                let status: String = row.try_get("status")?;
                RefundStatus::try_from(status).map_err(|error| sqlx::Error::ColumnDecode {
                    index: "status".to_owned(),
                    source: Box::new(error),
                })?
            },
            refund_id: row.try_get("refund_id")?,
        })
    }
}

const REFUND_COLUMNS: &str = "out_refund_no, order_id, refund_fen, reason, status, refund_id";

/// The fen of `refunds` that count against their order.
pub fn committed_fen(refunds: &[RefundRow]) -> Fen {
    refunds
        .iter()
        .filter(|refund| refund.status.counts_against_order())
        .map(|refund| refund.refund_fen)
        .sum()
}

/// What recording a refund request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRequested {
    /// Recorded now, REQUESTED.
    Recorded,
    /// A refund with this out_refund_no was recorded before: this is the same request again.
    Existing(RefundRow),
    /// It is more than what is left of the order's total.
    TooMuch,
    /// There is no such order.
    UnknownOrder,
}

impl Database {
    /// Records a refund request in one transaction holding the order's row lock ([`Database::lock_order`]): the
    /// refunds already asked for are read and the new one is inserted only if it fits what is left, so refund
    /// requests of one order at once take turns and can never together ask for more than was paid.
    pub async fn request_refund(
        &self,
        refund: &RefundRow,
        requested_by: &str,
    ) -> Result<RefundRequested, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let Some(total_fen) = self.lock_order(&mut tx, &refund.order_id).await? else {
            tx.rollback().await?;
            return Ok(RefundRequested::UnknownOrder);
        };
        let query = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = $1");
        let refunds: Vec<RefundRow> = sqlx::query_as(&query)
            .bind(&refund.order_id)
            .fetch_all(&mut *tx)
            .await?;
        if let Some(existing) = refunds
            .iter()
            .find(|existing| existing.out_refund_no == refund.out_refund_no)
        {
            let existing = existing.clone();
            tx.rollback().await?;
            return Ok(RefundRequested::Existing(existing));
        }
        let left = total_fen
            .checked_sub(committed_fen(&refunds))
            .unwrap_or(Fen::ZERO);
        if refund.refund_fen > left {
            tx.rollback().await?;
            return Ok(RefundRequested::TooMuch);
        }
        sqlx::query(
            "INSERT INTO refunds (out_refund_no, order_id, refund_fen, reason, status, requested_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&refund.out_refund_no)
        .bind(&refund.order_id)
        .bind(refund.refund_fen.get())
        .bind(&refund.reason)
        .bind(RefundStatus::Requested.as_str())
        .bind(requested_by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RefundRequested::Recorded)
    }

    pub async fn refund(&self, out_refund_no: &str) -> Result<Option<RefundRow>, DbError> {
        let query = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE out_refund_no = $1");
        Ok(sqlx::query_as(&query)
            .bind(out_refund_no)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn refunds_of(&self, order_id: &str) -> Result<Vec<RefundRow>, DbError> {
        let query = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = $1 ORDER BY created_at, out_refund_no");
        Ok(sqlx::query_as(&query)
            .bind(order_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// The refunds WeChat Pay accepted (it gave them a refund_id) that were asked for between `start` and `end`.
    pub async fn refunds_accepted_between(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT out_refund_no FROM refunds WHERE refund_id IS NOT NULL AND created_at >= $1 AND created_at < $2 \
             ORDER BY created_at",
        )
        .bind(start)
        .bind(end)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(out_refund_no,)| out_refund_no)
            .collect())
    }

    /// Moves an unsettled refund to WeChat's PROCESSING, ABNORMAL or CLOSED (never out of SUCCESS); a refund
    /// that becomes ABNORMAL or CLOSED is reported (`refund.failed`) in the same transaction. True when it changed.
    pub async fn update_refund(
        &self,
        out_refund_no: &str,
        status: RefundStatus,
        refund_id: Option<&str>,
    ) -> Result<bool, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let changed = sqlx::query(
            "UPDATE refunds SET status = $1, refund_id = COALESCE($2, refund_id), updated_at = $3 \
             WHERE out_refund_no = $4 AND status <> $5 AND (status <> $1 OR refund_id IS NULL AND $2 IS NOT NULL)",
        )
        .bind(status.as_str())
        .bind(refund_id)
        .bind(now())
        .bind(out_refund_no)
        .bind(RefundStatus::Success.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let failed = matches!(status, RefundStatus::Closed | RefundStatus::Abnormal);
        if changed && failed {
            record_refund_event(&mut tx, EventType::RefundFailed, out_refund_no).await?;
        }
        tx.commit().await?;
        if changed && failed {
            self.events_written();
        }
        Ok(changed)
    }

    /// Settles a refund once and, in the same transaction, sets its order to PARTIALLY_REFUNDED or REFUNDED.
    /// The transaction holds the order's row lock ([`Database::lock_order`]): settlements of two refunds of one
    /// order at once take turns, so the second one sums both (without it, on PostgreSQL, each could miss the
    /// other's uncommitted change and leave a fully refunded order PARTIALLY_REFUNDED). True when this call
    /// settled it.
    pub async fn settle_refund(
        &self,
        out_refund_no: &str,
        refund_id: Option<&str>,
    ) -> Result<bool, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let order_id: Option<(String,)> =
            sqlx::query_as("SELECT order_id FROM refunds WHERE out_refund_no = $1")
                .bind(out_refund_no)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((order_id,)) = order_id else {
            tx.rollback().await?;
            return Ok(false);
        };
        self.lock_order(&mut tx, &order_id).await?;
        let settled = sqlx::query(
            "UPDATE refunds SET status = $1, refund_id = COALESCE($2, refund_id), updated_at = $3 \
             WHERE out_refund_no = $4 AND status <> $1",
        )
        .bind(RefundStatus::Success.as_str())
        .bind(refund_id)
        .bind(now())
        .bind(out_refund_no)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if settled != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let (total_fen, refunded_fen): (i64, i64) = sqlx::query_as(
            "SELECT o.total_fen, CAST(COALESCE(SUM(r.refund_fen), 0) AS BIGINT) FROM refunds r JOIN orders o ON o.id = r.order_id \
             WHERE r.order_id = $1 AND r.status = $2 GROUP BY o.id, o.total_fen",
        )
        .bind(&order_id)
        .bind(RefundStatus::Success.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let status = if refunded_fen >= total_fen {
            OrderStatus::Refunded
        } else {
            OrderStatus::PartiallyRefunded
        };
        let query = format!(
            "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND {}",
            status_guard(status)
        );
        sqlx::query(&query)
            .bind(status.as_str())
            .bind(now())
            .bind(&order_id)
            .execute(&mut *tx)
            .await?;
        record_refund_event(&mut tx, EventType::RefundSucceeded, out_refund_no).await?;
        if status == OrderStatus::Refunded {
            record_order_event(&mut tx, EventType::OrderRefunded, &order_id).await?;
        }
        tx.commit().await?;
        self.events_written();
        Ok(true)
    }
}
