//! Mini-program shipments: made in the transaction that marks a mini-program order paid, then moved by guarded
//! updates (each names the states it may come from, so two processes or a repeated click make one change), and the
//! cache of WeChat's `is_trade_managed` answers.

use super::{Database, DbError};
use crate::ssr::clock::now;
use crate::types::channel::PayChannel;
use crate::types::shipping::{Goods, ShippingState};

/// A shipment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentRow {
    pub order_id: String,
    pub appid: String,
    pub transaction_id: String,
    pub payer_openid: String,
    pub item_desc: String,
    pub goods: Goods,
    pub state: ShippingState,
    /// The express company's `delivery_id`, and its name as WeChat's list gave it.
    pub express_company: Option<String>,
    pub express_name: Option<String>,
    pub tracking_no: Option<String>,
    /// The receiver's phone number, masked as WeChat wants it (`189****1234`).
    pub receiver_contact: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub uploaded_at: Option<i64>,
    /// When the buyer confirmed receipt, as WeChat's trade management pushed it.
    pub receipt_confirmed_at: Option<i64>,
    pub created_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for ShipmentRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let state: String = row.try_get("state")?;
        Ok(ShipmentRow {
            order_id: row.try_get("order_id")?,
            appid: row.try_get("appid")?,
            transaction_id: row.try_get("transaction_id")?,
            payer_openid: row.try_get("payer_openid")?,
            item_desc: row.try_get("item_desc")?,
            goods: super::catalogue::parse_goods(row.try_get("goods")?)?,
            state: ShippingState::parse(&state).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown shipping state {state}").into())
            })?,
            express_company: row.try_get("express_company")?,
            express_name: row.try_get("express_name")?,
            tracking_no: row.try_get("tracking_no")?,
            receiver_contact: row.try_get("receiver_contact")?,
            attempts: row.try_get("attempts")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
            last_error: row.try_get("last_error")?,
            uploaded_at: row.try_get("uploaded_at")?,
            receipt_confirmed_at: row.try_get("receipt_confirmed_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const SHIPMENT_COLUMNS: &str = "order_id, appid, transaction_id, payer_openid, item_desc, goods, state, \
     express_company, express_name, tracking_no, receiver_contact, attempts, next_attempt_at, last_error, \
     uploaded_at, receipt_confirmed_at, created_at";

/// The express details an admin entered for physical goods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch<'a> {
    pub express_company: &'a str,
    pub express_name: &'a str,
    pub tracking_no: &'a str,
    pub receiver_contact: Option<&'a str>,
}

/// What a failed attempt leaves: the error, and when to try again (`None`: the retries ran out, FAILED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAttempt<'a> {
    pub error: &'a str,
    pub retry_at: Option<i64>,
}

/// Makes the shipment of the mini-program order `order_id` just marked paid by `payer_openid`, inside the
/// transaction that marked it: physical goods (any item physical) wait for an admin's dispatch, virtual goods
/// are due at once. Other channels get none.
pub(super) async fn queue_shipment(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    out_trade_no: &str,
    payer_openid: &str,
    at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO shipments (order_id, appid, transaction_id, payer_openid, item_desc, goods, state, \
         next_attempt_at, created_at, updated_at) \
         SELECT o.id, o.appid, o.transaction_id, $1, o.description, \
         CASE WHEN EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.goods = $2) THEN $2 ELSE $3 END, \
         CASE WHEN EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.goods = $2) THEN $4 ELSE $5 END, \
         $6, $6, $6 FROM orders o \
         WHERE o.out_trade_no = $7 AND o.surface = $8 AND o.appid IS NOT NULL AND o.transaction_id IS NOT NULL \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(payer_openid)
    .bind(Goods::Physical.as_str())
    .bind(Goods::Virtual.as_str())
    .bind(ShippingState::AwaitingDispatch.as_str())
    .bind(ShippingState::Uploading.as_str())
    .bind(at)
    .bind(out_trade_no)
    .bind(PayChannel::MiniProgram.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Database {
    pub async fn shipment(&self, order_id: &str) -> Result<Option<ShipmentRow>, DbError> {
        let query = format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id = $1");
        Ok(sqlx::query_as(&query)
            .bind(order_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Shipments due for an upload at `at`, the longest-waiting first.
    pub async fn due_shipments(&self, at: i64, limit: i64) -> Result<Vec<ShipmentRow>, DbError> {
        let query = format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE state = $1 AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at, order_id LIMIT $3"
        );
        Ok(sqlx::query_as(&query)
            .bind(ShippingState::Uploading.as_str())
            .bind(at)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// When the next upload is due (Unix seconds), if any is waiting.
    pub async fn next_shipment_due(&self) -> Result<Option<i64>, DbError> {
        let (due,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(next_attempt_at) FROM shipments WHERE state = $1")
                .bind(ShippingState::Uploading.as_str())
                .fetch_one(self.pool())
                .await?;
        Ok(due)
    }

    /// Claims a due upload until `until`, so one process makes it: true when this call moved `next_attempt_at` from
    /// the `seen` value (another process that saw the same row finds it changed).
    pub async fn claim_shipment(
        &self,
        order_id: &str,
        seen: i64,
        until: i64,
    ) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE shipments SET next_attempt_at = $1, updated_at = $2 \
             WHERE order_id = $3 AND state = $4 AND next_attempt_at = $5",
        )
        .bind(until)
        .bind(now())
        .bind(order_id)
        .bind(ShippingState::Uploading.as_str())
        .bind(seen)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    // The ends of a claimed upload below change the shipment only while it is still as claimed (`next_attempt_at`
    // the claim's `until`): an admin who corrected the details meanwhile made it due again, and the corrected
    // details are uploaded next instead of being marked done with the old ones.

    /// WeChat accepted the upload claimed until `claimed_until`: UPLOADED, once.
    pub async fn shipment_uploaded(
        &self,
        order_id: &str,
        claimed_until: i64,
        at: i64,
    ) -> Result<bool, DbError> {
        self.finish_upload(order_id, claimed_until, ShippingState::Uploaded, Some(at))
            .await
    }

    /// Nothing to tell WeChat (not trade-managed, or refunded in full): NOT_REQUIRED, once.
    pub async fn shipment_not_required(
        &self,
        order_id: &str,
        claimed_until: i64,
    ) -> Result<bool, DbError> {
        self.finish_upload(order_id, claimed_until, ShippingState::NotRequired, None)
            .await
    }

    async fn finish_upload(
        &self,
        order_id: &str,
        claimed_until: i64,
        state: ShippingState,
        uploaded_at: Option<i64>,
    ) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE shipments SET state = $1, uploaded_at = $2, last_error = NULL, updated_at = $3 \
             WHERE order_id = $4 AND state = $5 AND next_attempt_at = $6",
        )
        .bind(state.as_str())
        .bind(uploaded_at)
        .bind(now())
        .bind(order_id)
        .bind(ShippingState::Uploading.as_str())
        .bind(claimed_until)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Records a failed upload claimed until `claimed_until`: one more attempt, its error, and the next try (or
    /// FAILED when there is none).
    pub async fn shipment_attempt_failed(
        &self,
        order_id: &str,
        claimed_until: i64,
        failed: &FailedAttempt<'_>,
    ) -> Result<bool, DbError> {
        let (state, next_attempt_at) = match failed.retry_at {
            Some(at) => (ShippingState::Uploading, at),
            None => (ShippingState::Failed, 0),
        };
        let changed = sqlx::query(
            "UPDATE shipments SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, \
             updated_at = $4 WHERE order_id = $5 AND state = $6 AND next_attempt_at = $7",
        )
        .bind(state.as_str())
        .bind(failed.error)
        .bind(next_attempt_at)
        .bind(now())
        .bind(order_id)
        .bind(ShippingState::Uploading.as_str())
        .bind(claimed_until)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Keeps an admin's express details of physical goods and makes the upload due now, with fresh retries. From
    /// AWAITING_DISPATCH, or to correct details still UPLOADING or FAILED; true when it changed the shipment.
    pub async fn dispatch_shipment(
        &self,
        order_id: &str,
        dispatch: &Dispatch<'_>,
    ) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE shipments SET state = $1, express_company = $2, express_name = $3, tracking_no = $4, \
             receiver_contact = $5, attempts = 0, next_attempt_at = $6, last_error = NULL, updated_at = $6 \
             WHERE order_id = $7 AND goods = $8 AND state IN ($9, $1, $10)",
        )
        .bind(ShippingState::Uploading.as_str())
        .bind(dispatch.express_company)
        .bind(dispatch.express_name)
        .bind(dispatch.tracking_no)
        .bind(dispatch.receiver_contact)
        .bind(now())
        .bind(order_id)
        .bind(Goods::Physical.as_str())
        .bind(ShippingState::AwaitingDispatch.as_str())
        .bind(ShippingState::Failed.as_str())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Tries a FAILED upload again, now, with fresh retries; true when it was FAILED.
    pub async fn retry_shipment(&self, order_id: &str) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE shipments SET state = $1, attempts = 0, next_attempt_at = $2, updated_at = $2 \
             WHERE order_id = $3 AND state = $4",
        )
        .bind(ShippingState::Uploading.as_str())
        .bind(now())
        .bind(order_id)
        .bind(ShippingState::Failed.as_str())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Shipments an admin should see: awaiting dispatch, being retried or given up on; oldest first.
    pub async fn shipments_needing_attention(
        &self,
        limit: i64,
    ) -> Result<Vec<ShipmentRow>, DbError> {
        let query = format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE state IN ($1, $2, $3) \
             ORDER BY created_at, order_id LIMIT $4"
        );
        Ok(sqlx::query_as(&query)
            .bind(ShippingState::AwaitingDispatch.as_str())
            .bind(ShippingState::Uploading.as_str())
            .bind(ShippingState::Failed.as_str())
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// WeChat's `is_trade_managed` answer for `appid`, if it was asked at or after `since`.
    pub async fn trade_managed(&self, appid: &str, since: i64) -> Result<Option<bool>, DbError> {
        let managed: Option<(i64,)> = sqlx::query_as(
            "SELECT managed FROM trade_management WHERE appid = $1 AND checked_at >= $2",
        )
        .bind(appid)
        .bind(since)
        .fetch_optional(self.pool())
        .await?;
        Ok(managed.map(|(managed,)| managed != 0))
    }

    /// Keeps WeChat's `is_trade_managed` answer for `appid`.
    pub async fn remember_trade_managed(&self, appid: &str, managed: bool) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO trade_management (appid, managed, checked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (appid) DO UPDATE SET managed = excluded.managed, checked_at = excluded.checked_at",
        )
        .bind(appid)
        .bind(i64::from(managed))
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
