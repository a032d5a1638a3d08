//! Mini-program shipments: made in the transaction that marks a mini-program order paid, then moved by guarded
//! updates (each names the states it may come from, so two processes or a repeated click make one change), and the
//! cache of WeChat's `is_trade_managed` answers.

use std::sync::LazyLock;

use super::{Database, DbError};
use crate::ssr::clock::now;
use crate::types::channel::PayChannel;
use crate::types::shipping::{Goods, ShippingState};
use crate::types::status::OrderStatus;

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

/// A shipment claimed for an upload, with what its order says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedShipment {
    pub shipment: ShipmentRow,
    /// The order was refunded in full: nothing to report.
    pub order_refunded: bool,
}

/// How a claimed upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadEnd {
    /// WeChat took it, at this time: UPLOADED.
    Uploaded { at: i64 },
    /// Nothing to tell WeChat (not trade-managed, or refunded in full): NOT_REQUIRED.
    NotRequired,
    /// One more failed attempt, with its error and the next try (`None`: the retries ran out, FAILED).
    Failed {
        error: String,
        retry_at: Option<i64>,
    },
}

/// Makes the shipment of the mini-program order `$7` just marked paid by `$1` (none when `$1` is empty), inside the
/// transaction that marked it: physical goods (any item physical) wait for an admin's dispatch, virtual goods
/// are due at once. Other channels get none. [`bind_queue_shipment`] binds `$1`–`$8`.
pub(super) const QUEUE_SHIPMENT: &str =
    "INSERT INTO shipments (order_id, appid, transaction_id, payer_openid, item_desc, goods, state, \
     next_attempt_at, created_at, updated_at) \
     SELECT o.id, o.appid, o.transaction_id, $1, o.description, \
     CASE WHEN EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.goods = $2) THEN $2 ELSE $3 END, \
     CASE WHEN EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.goods = $2) THEN $4 ELSE $5 END, \
     $6, $6, $6 FROM orders o \
     WHERE o.out_trade_no = $7 AND o.surface = $8 AND o.appid IS NOT NULL AND o.transaction_id IS NOT NULL \
     AND $1 <> '' ON CONFLICT (order_id) DO NOTHING";

/// Binds [`QUEUE_SHIPMENT`]'s `$1`–`$8` to `query`, whose next parameter is `$1`.
pub(super) fn bind_queue_shipment<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    out_trade_no: &'q str,
    payer_openid: &'q str,
    at: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(payer_openid)
        .bind(Goods::Physical.as_str())
        .bind(Goods::Virtual.as_str())
        .bind(ShippingState::AwaitingDispatch.as_str())
        .bind(ShippingState::Uploading.as_str())
        .bind(at)
        .bind(out_trade_no)
        .bind(PayChannel::MiniProgram.as_str())
}

impl Database {
    pub async fn shipment(&self, order_id: &str) -> Result<Option<ShipmentRow>, DbError> {
        let query = format!("SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id = $1");
        Ok(sqlx::query_as(&query)
            .bind(order_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Claims at most `limit` uploads due at `at` until `until`, the longest-waiting first, so one process makes
    /// each: one guarded update (a row another process claimed meanwhile is no longer due), which returns each
    /// shipment with whether its order was refunded in full.
    pub async fn claim_due_shipments(
        &self,
        at: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedShipment>, DbError> {
        static CLAIM: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE shipments SET next_attempt_at = $1, updated_at = $2 \
                 WHERE order_id IN (SELECT order_id FROM shipments WHERE state = $3 AND next_attempt_at <= $4 \
                 ORDER BY next_attempt_at, order_id LIMIT $5) AND state = $3 AND next_attempt_at <= $4 \
                 RETURNING {SHIPMENT_COLUMNS}, \
                 (SELECT status FROM orders WHERE orders.id = shipments.order_id) AS order_status"
            )
        });
        let rows = sqlx::query(&CLAIM)
            .bind(until)
            .bind(now())
            .bind(ShippingState::Uploading.as_str())
            .bind(at)
            .bind(limit)
            .fetch_all(self.write().await?.connection())
            .await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                use sqlx::{FromRow, Row};
                let order_status: Option<String> = row.try_get("order_status")?;
                Ok(ClaimedShipment {
                    shipment: ShipmentRow::from_row(row)?,
                    order_refunded: order_status.as_deref() == Some(OrderStatus::Refunded.as_str()),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        claimed.sort_by_key(|claimed| claimed.shipment.created_at);
        Ok(claimed)
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

    /// Records how the uploads claimed until `claimed_until` ended, in one write transaction. Each changes its
    /// shipment only while it is still as claimed (`next_attempt_at` the claim's `until`): an admin who corrected
    /// the details meanwhile made it due again, and the corrected details are uploaded next instead of being
    /// marked done with the old ones.
    pub async fn finish_uploads(
        &self,
        claimed_until: i64,
        ends: &[(&str, UploadEnd)],
    ) -> Result<(), DbError> {
        if ends.is_empty() {
            return Ok(());
        }
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        for (order_id, end) in ends {
            let (state, uploaded_at, error, next_attempt_at, attempts) = match end {
                UploadEnd::Uploaded { at } => {
                    (ShippingState::Uploaded, Some(*at), None, None, 0_i64)
                }
                UploadEnd::NotRequired => (ShippingState::NotRequired, None, None, None, 0),
                UploadEnd::Failed { error, retry_at } => match retry_at {
                    Some(at) => (
                        ShippingState::Uploading,
                        None,
                        Some(error.as_str()),
                        Some(*at),
                        1,
                    ),
                    None => (
                        ShippingState::Failed,
                        None,
                        Some(error.as_str()),
                        Some(0),
                        1,
                    ),
                },
            };
            sqlx::query(
                "UPDATE shipments SET state = $1, uploaded_at = COALESCE($2, uploaded_at), last_error = $3, \
                 next_attempt_at = COALESCE($4, next_attempt_at), attempts = attempts + $5, updated_at = $6 \
                 WHERE order_id = $7 AND state = $8 AND next_attempt_at = $9",
            )
            .bind(state.as_str())
            .bind(uploaded_at)
            .bind(error)
            .bind(next_attempt_at)
            .bind(attempts)
            .bind(now())
            .bind(*order_id)
            .bind(ShippingState::Uploading.as_str())
            .bind(claimed_until)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
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
