//! The `data` of the order and refund events, read inside the transaction that records them, so an event shows the
//! change exactly as it is committed. Money is integer fen; times are RFC 3339 in China time, as WeChat gives them.

use std::sync::LazyLock;

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Transaction};

use super::events::record_event;
use super::{Backend, DbError};
use crate::ssr::clock::china_rfc3339;
use crate::ssr::events::EventType;
use crate::types::status::RefundStatus;

/// What an order's events carry of it beyond its own columns, as SQL over a row of `orders`: its product `metadata`,
/// the fen refunded of it and its items as a JSON array (made by the engine's own JSON functions), so the statement
/// that reads or changes an order gives its event data too (a SELECT's columns, an UPDATE's `RETURNING`).
pub(super) fn order_event_extras(backend: Backend) -> &'static str {
    static EXTRAS: LazyLock<[String; 2]> = LazyLock::new(|| {
        let refunded = format!(
            "CAST((SELECT COALESCE(SUM(refund_fen), 0) FROM refunds WHERE order_id = orders.id AND status = '{}') \
             AS BIGINT) AS refunded_fen",
            RefundStatus::Success.as_str()
        );
        // The items' keys in the order the event has always listed them.
        let item = "'product_id', product_id, 'name', name, 'unit_fen', unit_price_fen, 'quantity', quantity, \
                    'goods', goods";
        let sqlite = format!(
            "metadata, {refunded}, \
             (SELECT json_group_array(json_object({item})) FROM order_items WHERE order_id = orders.id) AS items"
        );
        let postgres = format!(
            "metadata, {refunded}, \
             (SELECT COALESCE(json_agg(json_build_object({item})), '[]'::json)::text FROM order_items \
             WHERE order_id = orders.id) AS items"
        );
        [sqlite, postgres]
    });
    match backend {
        Backend::Sqlite => &EXTRAS[0],
        Backend::Postgres => &EXTRAS[1],
    }
}

/// An order's row as [`order_event_extras`] reads it, for its events.
struct OrderEventRow {
    id: String,
    user_id: String,
    out_trade_no: String,
    status: String,
    description: String,
    total_fen: i64,
    surface: Option<String>,
    appid: Option<String>,
    transaction_id: Option<String>,
    paid_at: Option<i64>,
    metadata: Option<String>,
    checkout_id: Option<String>,
    refunded_fen: i64,
    /// A JSON array of the items.
    items: String,
}

impl sqlx::FromRow<'_, AnyRow> for OrderEventRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(OrderEventRow {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            out_trade_no: row.try_get("out_trade_no")?,
            status: row.try_get("status")?,
            description: row.try_get("description")?,
            total_fen: row.try_get("total_fen")?,
            surface: row.try_get("surface")?,
            appid: row.try_get("appid")?,
            transaction_id: row.try_get("transaction_id")?,
            paid_at: row.try_get("paid_at")?,
            metadata: row.try_get("metadata")?,
            checkout_id: row.try_get("checkout_id")?,
            refunded_fen: row.try_get("refunded_fen")?,
            items: row.try_get("items")?,
        })
    }
}

/// The `data` of an order's events, from `row`: a row of `orders` with [`order_event_extras`] among its columns
/// (ids, its checkout's too, status, money, items by product, the WeChat transaction and the product's `metadata`).
pub(super) fn order_event_data(row: &AnyRow) -> Result<Value, DbError> {
    let order = OrderEventRow::from_row(row)?;
    let mut items: Vec<Value> = serde_json::from_str(&order.items)
        .map_err(|error| sqlx::Error::Decode(format!("an order's items: {error}").into()))?;
    items.sort_by(|a, b| a["product_id"].as_str().cmp(&b["product_id"].as_str()));
    let metadata = order
        .metadata
        .and_then(|stored| serde_json::from_str::<Value>(&stored).ok())
        .unwrap_or(Value::Null);
    Ok(json!({
        "order_id": order.id,
        "checkout_id": order.checkout_id,
        "user_id": order.user_id,
        "out_trade_no": order.out_trade_no,
        "status": order.status,
        "description": order.description,
        "total_fen": order.total_fen,
        "refunded_fen": order.refunded_fen,
        "channel": order.surface,
        "appid": order.appid,
        "transaction_id": order.transaction_id,
        "paid_at": order.paid_at.map(china_rfc3339),
        "items": items,
        "metadata": metadata,
    }))
}

/// Order `order_id` as its events describe it (see [`order_event_data`]), read in one statement.
pub(super) async fn order_data(
    tx: &mut Transaction<'_, Any>,
    order_id: &str,
) -> Result<Value, DbError> {
    static SELECTS: LazyLock<[String; 2]> = LazyLock::new(|| {
        [Backend::Sqlite, Backend::Postgres].map(|backend| {
            format!(
                "SELECT id, user_id, out_trade_no, status, description, total_fen, surface, appid, transaction_id, \
                 paid_at, checkout_id, {} FROM orders WHERE id = $1",
                order_event_extras(backend)
            )
        })
    });
    let query = match Backend::of(tx) {
        Backend::Sqlite => &SELECTS[0],
        Backend::Postgres => &SELECTS[1],
    };
    let row = sqlx::query(query)
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    order_event_data(&row)
}

/// Records an event of `kind` whose `data` is order `order_id`.
pub(super) async fn record_order_event(
    tx: &mut Transaction<'_, Any>,
    kind: EventType,
    order_id: &str,
) -> Result<(), DbError> {
    let data = order_data(tx, order_id).await?;
    record_event(tx, kind, data).await
}

/// Records an event of `kind` whose `data` is refund `out_refund_no` with its order.
pub(super) async fn record_refund_event(
    tx: &mut Transaction<'_, Any>,
    kind: EventType,
    out_refund_no: &str,
) -> Result<(), DbError> {
    let (order_id, refund_fen, reason, status, refund_id): (
        String,
        i64,
        Option<String>,
        String,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT order_id, refund_fen, reason, status, refund_id FROM refunds WHERE out_refund_no = $1",
    )
    .bind(out_refund_no)
    .fetch_one(&mut **tx)
    .await?;
    let order = order_data(tx, &order_id).await?;
    let data = json!({
        "out_refund_no": out_refund_no,
        "order_id": order_id,
        "refund_fen": refund_fen,
        "reason": reason,
        "status": status,
        "refund_id": refund_id,
        "order": order,
    });
    record_event(tx, kind, data).await
}
