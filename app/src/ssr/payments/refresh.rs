//! Asking WeChat Pay about one order: an order still PAYING is queried, and a payment found there is settled, so a
//! notification that never comes still ends with the right status.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791858> (query by out_trade_no).

use super::merchant::pay_client_of;
use super::{settle, PaymentError};
use crate::ssr::context::AppContext;
use crate::ssr::db::OrderRow;
use crate::types::status::OrderStatus;
use wechat::pay::transactions;

/// `order` as it stands after asking WeChat Pay (only an order still PAYING is asked; a failed query leaves it
/// as it was, logged).
pub async fn ask_wechat(context: &AppContext, order: OrderRow) -> Result<OrderRow, PaymentError> {
    if order.status != OrderStatus::Paying {
        return Ok(order);
    }
    let client = pay_client_of(context)?;
    match transactions::query_by_out_trade_no(client, &order.out_trade_no).await {
        Ok(transaction) if transaction.is_paid() => {
            if let Err(refused) =
                settle::payment(context, client.mch_id(), &transaction, None).await
            {
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
