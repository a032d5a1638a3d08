//! What the admin page is shown, for admins only: orders paid after they were closed that still need a refund,
//! mini-program shipments to dispatch or failing, everyone's recent orders, the catalogue and the latest days
//! checked against WeChat Pay's trade bill, and the events for the product with their deliveries.

use super::access::is_admin;
use super::refunds::left_to_refund;
use super::{catalogue, views, PaymentError};
use crate::ssr::context::AppContext;
use crate::types::shop::AdminOverview;

/// How many recent orders the admin page lists.
const RECENT_ORDERS: i64 = 100;
/// How many checked days the admin page shows.
const RECENT_DAYS: i64 = 14;

pub async fn overview(context: &AppContext, admin: &str) -> Result<AdminOverview, PaymentError> {
    if !is_admin(context, admin).await? {
        return Err(PaymentError::Forbidden);
    }
    let mut paid_after_closing = Vec::new();
    for order in context.db.orders_paid_after_closing().await? {
        if left_to_refund(&order, &context.db.refunds_of(&order.id).await?).is_positive() {
            paid_after_closing.push(views::summary(order));
        }
    }
    let shipments = context
        .db
        .shipments_needing_attention(RECENT_ORDERS)
        .await?;
    let orders = context.db.recent_orders(RECENT_ORDERS).await?;
    let products = catalogue::list(context).await?;
    let reconciliations = context.db.recent_reconciliations(RECENT_DAYS).await?;
    let events = crate::ssr::events::admin::overview(context).await?;
    Ok(AdminOverview {
        paid_after_closing,
        shipments: shipments.into_iter().map(views::shipment_summary).collect(),
        orders: orders.into_iter().map(views::summary).collect(),
        products,
        reconciliations: reconciliations
            .into_iter()
            .map(views::reconciliation)
            .collect(),
        events,
    })
}
