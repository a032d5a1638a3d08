//! The sweeper: unpaid orders nobody has heard about for a while are asked of WeChat Pay (a lost notification
//! still ends as PAID), and orders past their time are closed at WeChat Pay before they are closed here.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791860> (close).

use super::checkout::pay_client_of;
use super::orders::reconcile;
use super::status::OrderStatus;
use super::PaymentError;
use crate::ssr::context::AppContext;
use crate::ssr::wechat::clock::now;
use crate::ssr::wechat::pay::transactions;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub paid: usize,
    pub closed: usize,
}

/// Looks at every unpaid order untouched for a sweep interval.
pub async fn sweep(context: &AppContext) -> Result<Swept, PaymentError> {
    let mut swept = Swept::default();
    for order in context
        .db
        .unpaid_orders(now() - context.settings.sweep_seconds)
        .await?
    {
        let order = reconcile(context, order).await?;
        if order.status == OrderStatus::Paid {
            swept.paid += 1;
            continue;
        }
        if order.expires_at > now() {
            context.db.touch_order(&order.id).await?;
            continue;
        }
        if order.status == OrderStatus::Paying {
            // Closed at WeChat first, so a buyer cannot pay an order wxgate has given up on.
            match transactions::close(pay_client_of(context)?, &order.out_trade_no).await {
                Ok(()) => {}
                Err(error) if error.code() == Some("ORDERPAID") => {
                    let paid = reconcile(context, order).await?;
                    swept.paid += usize::from(paid.status == OrderStatus::Paid);
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, out_trade_no = %order.out_trade_no, "could not close the order at WeChat Pay; will try again");
                    context.db.touch_order(&order.id).await?;
                    continue;
                }
            }
        }
        if context.db.close_order(&order.id).await? {
            tracing::info!(out_trade_no = %order.out_trade_no, "unpaid order closed");
            swept.closed += 1;
        }
    }
    Ok(swept)
}
