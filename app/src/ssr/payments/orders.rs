//! Looking at orders: one order as its page shows it (while its payment is pending the look asks WeChat Pay, so a
//! notification that never comes still ends with the right status), and a buyer's orders.

use super::access::{visible, Viewed};
use super::{refresh, views, PaymentError};
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::OrderRow;
use crate::types::shop::OrderDetail;
use crate::types::status::OrderStatus;

/// However often an order's page polls, WeChat Pay is asked about the order at most once in this many seconds.
pub const QUERY_INTERVAL_SECONDS: i64 = 5;

/// The order `order_id` as `viewer` may see it, brought up to date with WeChat Pay when it is still paying (at most
/// once every [`QUERY_INTERVAL_SECONDS`] across processes; the notification usually comes first anyway).
pub async fn view(
    context: &AppContext,
    viewer: &str,
    order_id: &str,
) -> Result<Viewed, PaymentError> {
    let viewed = visible(context, viewer, order_id).await?;
    let ask = viewed.order.status == OrderStatus::Paying
        && context
            .db
            .claim_order_query(&viewed.order.id, now(), QUERY_INTERVAL_SECONDS)
            .await?;
    if !ask {
        return Ok(viewed);
    }
    Ok(Viewed {
        order: refresh::ask_wechat(context, viewed.order).await?,
        ..viewed
    })
}

/// The order `order_id` as its page and `GET /api/orders/{order_id}` show it to `viewer`; `ask_wechat` first brings
/// a pending payment up to date with WeChat Pay.
pub async fn detail(
    context: &AppContext,
    viewer: &str,
    order_id: &str,
    ask_wechat: bool,
) -> Result<OrderDetail, PaymentError> {
    let viewed = if ask_wechat {
        view(context, viewer, order_id).await?
    } else {
        visible(context, viewer, order_id).await?
    };
    let refunds = context.db.refunds_of(&viewed.order.id).await?;
    let shipment = context.db.shipment(&viewed.order.id).await?;
    let checkout = match &viewed.order.checkout_id {
        Some(checkout_id) => context.db.checkout(checkout_id).await?,
        None => None,
    };
    Ok(views::detail(
        viewed.order,
        refunds,
        shipment,
        checkout,
        viewed.by_admin,
    ))
}

/// The buyer's orders, newest first (the most recent hundred).
pub async fn of_buyer(context: &AppContext, buyer: &str) -> Result<Vec<OrderRow>, PaymentError> {
    let Some(user) = context.db.user(buyer).await? else {
        return Ok(Vec::new());
    };
    Ok(context.db.orders_of(&user.id, 100).await?)
}
