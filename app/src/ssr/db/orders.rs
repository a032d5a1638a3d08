//! The catalogue and orders: server-priced orders with their items, guarded status changes (a change happens only
//! from the statuses the status machine allows, in one statement), and the audit trail of notifications.

use std::sync::LazyLock;

use sqlx::FromRow;

use super::event_data::{order_event_data, order_event_extras, record_order_event};
use super::events::NewEvent;
use super::shipments::{bind_queue_shipment, QUEUE_SHIPMENT};
use super::{Backend, Database, DbError};
use crate::ssr::clock::now;
use crate::ssr::events::{DeliveryState, EventType};
use crate::types::channel::PayChannel;
use crate::types::money::Fen;
use crate::types::status::OrderStatus;

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: String,
    pub user_id: String,
    pub out_trade_no: String,
    pub status: OrderStatus,
    pub description: String,
    pub total_fen: Fen,
    /// The channel of its latest prepay.
    pub channel: Option<PayChannel>,
    pub appid: Option<String>,
    pub prepay: Option<String>,
    pub prepay_expires_at: i64,
    pub transaction_id: Option<String>,
    pub paid_at: Option<i64>,
    pub flag: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    /// The checkout it was made from (every order since checkouts exist).
    pub checkout_id: Option<String>,
}

impl OrderRow {
    /// Whether the buyer can still pay it at `now`: unpaid and not expired.
    pub fn is_payable(&self, now: i64) -> bool {
        self.status.is_unpaid() && self.expires_at > now
    }

    /// WeChat Pay took the buyer's money after wxgate had closed the order: it stays CLOSED (nothing is delivered)
    /// and the money must go back. Only a late payment gives a closed order a transaction id.
    pub fn paid_after_closing(&self) -> bool {
        self.status == OrderStatus::Closed && self.transaction_id.is_some()
    }

    /// Whether money of it can be refunded: paid with some left, or paid after closing.
    pub fn is_refundable(&self) -> bool {
        self.status.is_refundable() || self.paid_after_closing()
    }
}

/// The flag of an order paid after it was closed here, for people reading the database.
pub const PAID_AFTER_CLOSING: &str = "paid after closing: refund it";

struct StoredOrder {
    id: String,
    user_id: String,
    out_trade_no: String,
    status: String,
    description: String,
    total_fen: i64,
    surface: Option<String>,
    appid: Option<String>,
    prepay: Option<String>,
    prepay_expires_at: i64,
    transaction_id: Option<String>,
    paid_at: Option<i64>,
    flag: Option<String>,
    expires_at: i64,
    created_at: i64,
    checkout_id: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for StoredOrder {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(StoredOrder {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            out_trade_no: row.try_get("out_trade_no")?,
            status: row.try_get("status")?,
            description: row.try_get("description")?,
            total_fen: row.try_get("total_fen")?,
            surface: row.try_get("surface")?,
            appid: row.try_get("appid")?,
            prepay: row.try_get("prepay")?,
            prepay_expires_at: row.try_get("prepay_expires_at")?,
            transaction_id: row.try_get("transaction_id")?,
            paid_at: row.try_get("paid_at")?,
            flag: row.try_get("flag")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            checkout_id: row.try_get("checkout_id")?,
        })
    }
}

impl StoredOrder {
    fn into_row(self) -> Result<OrderRow, DbError> {
        let status = OrderStatus::parse(&self.status).ok_or_else(|| {
            DbError::Query(sqlx::Error::Decode(
                format!("unknown order status {}", self.status).into(),
            ))
        })?;
        let channel = match self.surface.as_deref().map(PayChannel::parse) {
            None => None,
            Some(Some(channel)) => Some(channel),
            Some(None) => {
                return Err(DbError::Query(sqlx::Error::Decode(
                    format!("unknown payment channel {:?}", self.surface).into(),
                )))
            }
        };
        Ok(OrderRow {
            id: self.id,
            user_id: self.user_id,
            out_trade_no: self.out_trade_no,
            status,
            description: self.description,
            total_fen: Fen::new(self.total_fen),
            channel,
            appid: self.appid,
            prepay: self.prepay,
            prepay_expires_at: self.prepay_expires_at,
            transaction_id: self.transaction_id,
            paid_at: self.paid_at,
            flag: self.flag,
            expires_at: self.expires_at,
            created_at: self.created_at,
            checkout_id: self.checkout_id,
        })
    }
}

const ORDER_COLUMNS: &str =
    "id, user_id, out_trade_no, status, description, total_fen, surface, appid, prepay, \
                             prepay_expires_at, transaction_id, paid_at, flag, expires_at, created_at, checkout_id";

/// One notification received, and what became of it.
#[derive(Debug, Clone)]
pub struct NotificationReceipt<'a> {
    pub notification_id: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub out_trade_no: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

/// A paid transaction as it is applied to its order.
#[derive(Debug, Clone, Copy)]
pub struct PaidTransaction<'a> {
    pub out_trade_no: &'a str,
    pub transaction_id: &'a str,
    pub payer_openid: Option<&'a str>,
    /// When wxgate learned of the payment (WeChat's own time stays in its records).
    pub paid_at: i64,
}

/// What [`Database::mark_paid`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkedPaid {
    /// The order is PAID now.
    Paid,
    /// There is no such order, or it is not unpaid: nothing changed.
    NotPayable,
    /// The check refused the order, for this reason: nothing changed.
    Refused(String),
}

impl Database {
    /// Takes order `id`'s row lock for the rest of `tx` and reads its total in fen (`None`: no such order), so
    /// changes that read an order's money and then write it take turns. On PostgreSQL that is `SELECT … FOR
    /// UPDATE`; SQLite has no row locks and needs none: its write transactions ([`Database::write`],
    /// `BEGIN IMMEDIATE`) already take turns.
    pub(super) async fn lock_order(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &str,
    ) -> Result<Option<Fen>, DbError> {
        let query = match self.backend() {
            super::Backend::Postgres => "SELECT total_fen FROM orders WHERE id = $1 FOR UPDATE",
            super::Backend::Sqlite => "SELECT total_fen FROM orders WHERE id = $1",
        };
        let total: Option<(i64,)> = sqlx::query_as(query)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(total.map(|(total_fen,)| Fen::new(total_fen)))
    }

    pub async fn order(&self, id: &str) -> Result<Option<OrderRow>, DbError> {
        let query = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(StoredOrder::into_row)
            .transpose()
    }

    pub async fn order_by_out_trade_no(
        &self,
        out_trade_no: &str,
    ) -> Result<Option<OrderRow>, DbError> {
        let query = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE out_trade_no = $1");
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(out_trade_no)
            .fetch_optional(self.pool())
            .await?
            .map(StoredOrder::into_row)
            .transpose()
    }

    /// Keeps the prepay WeChat gave for the order and moves it to PAYING (if it was CREATED). An order paid or
    /// closed meanwhile is left alone and the call says so: false, which the caller must act on (the prepay it
    /// holds is for an order that can no longer be paid here).
    #[must_use = "an unchanged order means the prepay must not be handed out"]
    pub async fn set_prepay(
        &self,
        order_id: &str,
        channel: PayChannel,
        appid: &str,
        prepay: &str,
        expires_at: i64,
    ) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE orders SET surface = $1, appid = $2, prepay = $3, prepay_expires_at = $4, updated_at = $5, \
             status = CASE WHEN status = $6 THEN $7 ELSE status END WHERE id = $8 AND (status = $6 OR status = $7)",
        )
        .bind(channel.as_str())
        .bind(appid)
        .bind(prepay)
        .bind(expires_at)
        .bind(now())
        .bind(OrderStatus::Created.as_str())
        .bind(OrderStatus::Paying.as_str())
        .bind(order_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Marks order `paid.out_trade_no` PAID with its transaction, once, when `check` finds nothing wrong with it:
    /// one guarded update (from the statuses [`OrderStatus::sources`] allows) returning the order, its shipment
    /// for a mini-program payer, its `order.paid` event and, for a notification, its `receipt` — all in one
    /// transaction, so a notification applied is a notification recorded. Anything but [`MarkedPaid::Paid`]
    /// changes nothing.
    pub async fn mark_paid(
        &self,
        paid: &PaidTransaction<'_>,
        check: impl FnOnce(&OrderRow) -> Option<String>,
        receipt: Option<&NotificationReceipt<'_>>,
    ) -> Result<MarkedPaid, DbError> {
        let backend = self.backend();
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let row = sqlx::query(mark_paid_sql(backend))
            .bind(OrderStatus::Paid.as_str())
            .bind(paid.transaction_id)
            .bind(paid.paid_at)
            .bind(now())
            .bind(paid.out_trade_no)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(MarkedPaid::NotPayable);
        };
        let order = StoredOrder::from_row(&row)?.into_row()?;
        if let Some(why) = check(&order) {
            tx.rollback().await?;
            return Ok(MarkedPaid::Refused(why));
        }
        let event = NewEvent::of(EventType::OrderPaid, order_event_data(&row)?);
        let receipt_id = receipt.map(|_| super::new_id());
        let payer_openid = paid.payer_openid.unwrap_or_default();
        bind_queue_shipment(
            sqlx::query(paid_writes_sql(backend)),
            paid.out_trade_no,
            payer_openid,
            paid.paid_at,
        )
        .bind(event.id)
        .bind(EventType::OrderPaid.as_str())
        .bind(event.payload)
        .bind(event.created_at)
        .bind(DeliveryState::Pending.as_str())
        .bind(receipt_id)
        .bind(receipt.and_then(|receipt| receipt.notification_id))
        .bind(receipt.and_then(|receipt| receipt.event_type))
        .bind(receipt.and_then(|receipt| receipt.out_trade_no))
        .bind(receipt.map(|receipt| receipt.outcome))
        .bind(receipt.and_then(|receipt| receipt.detail))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.events_written();
        Ok(MarkedPaid::Paid)
    }

    /// Records a payment WeChat Pay took for an order already CLOSED here, once: the order keeps its status and
    /// gets the transaction, the time wxgate learned of it and the [`PAID_AFTER_CLOSING`] flag. True when this
    /// call recorded it.
    pub async fn record_paid_after_closing(
        &self,
        out_trade_no: &str,
        transaction_id: &str,
        paid_at: i64,
    ) -> Result<bool, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let recorded: Option<String> = sqlx::query_scalar(
            "UPDATE orders SET transaction_id = $1, paid_at = $2, flag = $3, updated_at = $4 \
             WHERE out_trade_no = $5 AND status = $6 AND transaction_id IS NULL RETURNING id",
        )
        .bind(transaction_id)
        .bind(paid_at)
        .bind(PAID_AFTER_CLOSING)
        .bind(now())
        .bind(out_trade_no)
        .bind(OrderStatus::Closed.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(order_id) = recorded else {
            tx.rollback().await?;
            return Ok(false);
        };
        record_order_event(&mut tx, EventType::OrderPaidAfterClose, &order_id).await?;
        tx.commit().await?;
        self.events_written();
        Ok(true)
    }

    /// Every order paid after it was closed here, oldest first (refunded ones too: the caller looks at refunds).
    pub async fn orders_paid_after_closing(&self) -> Result<Vec<OrderRow>, DbError> {
        let query = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE status = $1 AND transaction_id IS NOT NULL ORDER BY paid_at"
        );
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(OrderStatus::Closed.as_str())
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(StoredOrder::into_row)
            .collect()
    }

    /// The orders of `user_id` (a merge moves the merged account's orders over), newest first.
    pub async fn orders_of(&self, user_id: &str, limit: i64) -> Result<Vec<OrderRow>, DbError> {
        let query = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        );
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(user_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(StoredOrder::into_row)
            .collect()
    }

    /// Everyone's most recent orders, newest first (for admins).
    pub async fn recent_orders(&self, limit: i64) -> Result<Vec<OrderRow>, DbError> {
        let query =
            format!("SELECT {ORDER_COLUMNS} FROM orders ORDER BY created_at DESC, id LIMIT $1");
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(limit)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(StoredOrder::into_row)
            .collect()
    }

    /// Orders still CREATED or PAYING that nothing has touched since `before`.
    pub async fn unpaid_orders(&self, before: i64, limit: i64) -> Result<Vec<OrderRow>, DbError> {
        let query = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE (status = $1 OR status = $2) AND updated_at < $3 ORDER BY created_at, id LIMIT $4");
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(OrderStatus::Created.as_str())
            .bind(OrderStatus::Paying.as_str())
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(StoredOrder::into_row)
            .collect()
    }

    /// How many orders are open and unpaid (CREATED or PAYING), for the metrics.
    pub async fn count_unpaid_orders(&self) -> Result<i64, DbError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM orders WHERE status = $1 OR status = $2")
                .bind(OrderStatus::Created.as_str())
                .bind(OrderStatus::Paying.as_str())
                .fetch_one(self.pool())
                .await?;
        Ok(count)
    }

    /// Orders wxgate learned were paid between `start` and `end` (Unix seconds), whatever became of them since.
    pub async fn orders_paid_between(
        &self,
        start: i64,
        end: i64,
    ) -> Result<Vec<OrderRow>, DbError> {
        let query = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE paid_at >= $1 AND paid_at < $2 ORDER BY paid_at");
        sqlx::query_as::<_, StoredOrder>(&query)
            .bind(start)
            .bind(end)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(StoredOrder::into_row)
            .collect()
    }

    /// Closes an order that was never paid, once (the guard is the status machine's sources of CLOSED).
    pub async fn close_order(&self, id: &str) -> Result<bool, DbError> {
        let query = format!(
            "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND {}",
            status_guard(OrderStatus::Closed)
        );
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let changed = sqlx::query(&query)
            .bind(OrderStatus::Closed.as_str())
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if changed {
            record_order_event(&mut tx, EventType::OrderClosed, id).await?;
        }
        tx.commit().await?;
        if changed {
            self.events_written();
        }
        Ok(changed)
    }

    /// Marks an order as looked at now, so the sweeper comes back to it only after a while.
    pub async fn touch_order(&self, id: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Flags an order for a person to look at (e.g. a payment whose amount does not match).
    pub async fn flag_order(&self, out_trade_no: &str, flag: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE orders SET flag = $1, updated_at = $2 WHERE out_trade_no = $3")
            .bind(flag)
            .bind(now())
            .bind(out_trade_no)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a notification received and its outcome.
    pub async fn record_notification(
        &self,
        receipt: &NotificationReceipt<'_>,
    ) -> Result<(), DbError> {
        insert_receipt(self.pool(), receipt).await
    }
}

/// Inserts `receipt` into the audit trail of notifications, in a transaction of the caller's or on its own.
async fn insert_receipt<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    receipt: &NotificationReceipt<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO payment_notifications (receipt_id, notification_id, event_type, out_trade_no, outcome, detail, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(super::new_id())
    .bind(receipt.notification_id)
    .bind(receipt.event_type)
    .bind(receipt.out_trade_no)
    .bind(receipt.outcome)
    .bind(receipt.detail)
    .bind(now())
    .execute(executor)
    .await?;
    Ok(())
}

/// The guarded update that marks an order PAID (`$1`) with its transaction (`$2`, paid at `$3`, changed at `$4`):
/// order `$5`, only from the statuses [`OrderStatus::sources`] allows; it returns the order's columns and its event
/// data ([`order_event_extras`]) as they are once changed.
fn mark_paid_sql(backend: Backend) -> &'static str {
    static UPDATES: LazyLock<[String; 2]> = LazyLock::new(|| {
        [Backend::Sqlite, Backend::Postgres].map(|backend| {
            format!(
                "UPDATE orders SET status = $1, transaction_id = $2, paid_at = $3, updated_at = $4 \
                 WHERE out_trade_no = $5 AND {} RETURNING {ORDER_COLUMNS}, {}",
                status_guard(OrderStatus::Paid),
                order_event_extras(backend)
            )
        })
    });
    match backend {
        Backend::Sqlite => &UPDATES[0],
        Backend::Postgres => &UPDATES[1],
    }
}

/// What marking an order paid writes besides the order, in one round trip: SQLite runs the statements of one
/// string in turn, PostgreSQL runs the first two as data-modifying `WITH` queries of the last. The shipment
/// ([`QUEUE_SHIPMENT`], `$1`–`$8`), the `order.paid` event (`$9`–`$13`, as [`super::events::NEW_EVENT`]) and the
/// notification's receipt (`$14`–`$20`, none when its id `$14` is NULL).
fn paid_writes_sql(backend: Backend) -> &'static str {
    const EVENT: &str =
        "INSERT INTO events (id, type, payload, created_at, state, next_attempt_at) \
                         VALUES ($9, $10, $11, $12, $13, $12)";
    const RECEIPT: &str = "INSERT INTO payment_notifications (receipt_id, notification_id, event_type, out_trade_no, \
                           outcome, detail, received_at) SELECT $14, $15, $16, $17, $18, $19, $20 WHERE $14 IS NOT NULL";
    static WRITES: LazyLock<[String; 2]> = LazyLock::new(|| {
        [
            format!("{EVENT}; {RECEIPT}; {QUEUE_SHIPMENT}"),
            format!("WITH event AS ({EVENT}), receipt AS ({RECEIPT}) {QUEUE_SHIPMENT}"),
        ]
    });
    match backend {
        Backend::Sqlite => &WRITES[0],
        Backend::Postgres => &WRITES[1],
    }
}

/// The SQL condition of a guarded update to `to`, from [`OrderStatus::sources`]: `status IN ('CREATED', …)`.
/// The names are the status machine's own, never input.
pub(super) fn status_guard(to: OrderStatus) -> String {
    let names: Vec<String> = OrderStatus::sources(to)
        .into_iter()
        .map(|from| format!("'{}'", from.as_str()))
        .collect();
    format!("status IN ({})", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_updates_name_every_status_the_machine_allows() {
        assert_eq!(
            status_guard(OrderStatus::Paid),
            "status IN ('CREATED', 'PAYING')"
        );
        assert_eq!(
            status_guard(OrderStatus::Refunded),
            "status IN ('PAID', 'PARTIALLY_REFUNDED')"
        );
    }
}
