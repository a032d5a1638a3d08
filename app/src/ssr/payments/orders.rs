//! Looking at an order: its owner (or the same person after a merge) and admins see it, and while its payment is
//! pending the look asks WeChat Pay, so a notification that never comes still ends with the right status.

use super::checkout::pay_client_of;
use super::status::OrderStatus;
use super::webhook::apply_payment;
use super::{views, PaymentError};
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::{IdentityRow, OrderRow, UserRow};
use crate::types::shop::OrderDetail;
use wechat::pay::transactions;

/// True when `user` (with `identities`) is named in `WXGATE_ADMINS`, by user id or by one of their unionids.
pub fn names_admin(admins: &[String], user: &UserRow, identities: &[IdentityRow]) -> bool {
    admins.contains(&user.id)
        || identities
            .iter()
            .filter_map(|identity| identity.unionid.as_ref())
            .any(|unionid| admins.contains(unionid))
}

/// True when `user` is an admin.
async fn is_admin_user(context: &AppContext, user: &UserRow) -> Result<bool, PaymentError> {
    let admins = &context.settings.admins;
    if admins.is_empty() {
        return Ok(false);
    }
    let identities = context.db.identities(&user.id).await?;
    Ok(names_admin(admins, user, &identities))
}

/// True when `user_id` (or the account it was merged into) is an admin.
pub async fn is_admin(context: &AppContext, user_id: &str) -> Result<bool, PaymentError> {
    match context.db.user(user_id).await? {
        Some(user) => is_admin_user(context, &user).await,
        None => Ok(false),
    }
}

/// An order someone may see, and whether they see it as an admin.
pub struct Viewed {
    pub order: OrderRow,
    pub by_admin: bool,
}

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
        order: reconcile(context, viewed.order).await?,
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
    Ok(views::detail(viewed.order, refunds, viewed.by_admin))
}

/// The order `order_id` as stored, if `viewer` owns it (or is the same person after a merge) or is an admin.
pub async fn visible(
    context: &AppContext,
    viewer: &str,
    order_id: &str,
) -> Result<Viewed, PaymentError> {
    // Someone else's order does not exist, as far as this viewer can tell.
    let order = context
        .db
        .order(order_id)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let viewer = context
        .db
        .user(viewer)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let by_admin = is_admin_user(context, &viewer).await?;
    let owner = context.db.user(&order.user_id).await?.map(|user| user.id);
    if owner.as_deref() != Some(viewer.id.as_str()) && !by_admin {
        return Err(PaymentError::UnknownOrder);
    }
    Ok(Viewed { order, by_admin })
}

/// The buyer's orders, newest first (the most recent hundred).
pub async fn of_buyer(context: &AppContext, buyer: &str) -> Result<Vec<OrderRow>, PaymentError> {
    let Some(user) = context.db.user(buyer).await? else {
        return Ok(Vec::new());
    };
    Ok(context.db.orders_of(&user.id, 100).await?)
}

/// An order still PAYING is asked of WeChat Pay, and a payment found there is applied.
pub async fn reconcile(context: &AppContext, order: OrderRow) -> Result<OrderRow, PaymentError> {
    if order.status != OrderStatus::Paying {
        return Ok(order);
    }
    let client = pay_client_of(context)?;
    match transactions::query_by_out_trade_no(client, &order.out_trade_no).await {
        Ok(transaction)
            if transaction.trade_state == "SUCCESS" || transaction.trade_state == "REFUND" =>
        {
            if let Err(refused) = apply_payment(context, client.mch_id(), &transaction).await {
                tracing::warn!(%refused, out_trade_no = %order.out_trade_no, "the queried payment was not applied");
            }
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, out_trade_no = %order.out_trade_no, "could not query the order at WeChat Pay")
        }
    }
    Ok(context.db.order(&order.id).await?.unwrap_or(order))
}
