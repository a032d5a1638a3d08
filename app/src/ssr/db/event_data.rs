//! The `data` of the order and refund events, read inside the transaction that records them, so an event shows the
//! change exactly as it is committed. Money is integer fen; times are RFC 3339 in China time, as WeChat gives them.

use serde_json::{json, Value};
use sqlx::{Any, Transaction};

use super::events::record_event;
use super::DbError;
use crate::ssr::clock::china_rfc3339;
use crate::ssr::events::EventType;
use crate::types::status::RefundStatus;

/// The order's columns an event carries, and the fen refunded of it.
type OrderColumns = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
);

/// Order `order_id` as its events describe it: ids (its checkout's too), status, money, items, the WeChat
/// transaction and the product's `metadata`.
pub(super) async fn order_data(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
) -> Result<Value, DbError> {
    let (id, user_id, out_trade_no, status, description, total_fen, surface, appid, transaction_id, paid_at, metadata, checkout_id, refunded_fen): OrderColumns =
        sqlx::query_as(
            "SELECT id, user_id, out_trade_no, status, description, total_fen, surface, appid, transaction_id, paid_at, metadata, checkout_id, \
             CAST((SELECT COALESCE(SUM(refund_fen), 0) FROM refunds WHERE order_id = orders.id AND status = $2) AS BIGINT) \
             FROM orders WHERE id = $1",
        )
        .bind(order_id)
        .bind(RefundStatus::Success.as_str())
        .fetch_one(&mut **tx)
        .await?;
    let items: Vec<(String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT product_id, name, unit_price_fen, quantity, goods FROM order_items WHERE order_id = $1 ORDER BY product_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let metadata = metadata
        .and_then(|stored| serde_json::from_str::<Value>(&stored).ok())
        .unwrap_or(Value::Null);
    Ok(json!({
        "order_id": id,
        "checkout_id": checkout_id,
        "user_id": user_id,
        "out_trade_no": out_trade_no,
        "status": status,
        "description": description,
        "total_fen": total_fen,
        "refunded_fen": refunded_fen,
        "channel": surface,
        "appid": appid,
        "transaction_id": transaction_id,
        "paid_at": paid_at.map(china_rfc3339),
        "items": items.into_iter().map(|(product_id, name, unit_fen, quantity, goods)| json!({
            "product_id": product_id,
            "name": name,
            "unit_fen": unit_fen,
            "quantity": quantity,
            "goods": goods,
        })).collect::<Vec<_>>(),
        "metadata": metadata,
    }))
}

/// Records an event of `kind` whose `data` is order `order_id`.
pub(super) async fn record_order_event(
    tx: &mut Transaction<'static, Any>,
    kind: EventType,
    order_id: &str,
) -> Result<(), DbError> {
    let data = order_data(tx, order_id).await?;
    record_event(tx, kind, data).await
}

/// Records an event of `kind` whose `data` is refund `out_refund_no` with its order.
pub(super) async fn record_refund_event(
    tx: &mut Transaction<'static, Any>,
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
