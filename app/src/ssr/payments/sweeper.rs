//! The sweeper: unpaid orders nobody has heard about for a while are asked of WeChat Pay (a lost notification
//! still ends as PAID), and orders past their time are closed at WeChat Pay before they are closed here.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791860> (close).

use super::merchant::pay_client_of;
use super::refresh;
use super::PaymentError;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::OrderRow;
use crate::types::status::OrderStatus;
use wechat::pay::transactions;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub paid: usize,
    pub closed: usize,
    /// Orders looked at, and the pages they were read in.
    pub looked_at: usize,
    pub pages: usize,
}

/// Orders looked at per page: a sweep reads a page, deals with each order (which touches, pays or closes it, so it
/// leaves the next page's query), then reads the next.
const PAGE_SIZE: i64 = 100;
/// Pages per sweep at most; what is left waits for the next sweep.
const MAX_PAGES: usize = 50;

/// Looks at every unpaid order untouched for a sweep interval, a page at a time.
pub async fn sweep(context: &AppContext) -> Result<Swept, PaymentError> {
    let mut swept = Swept::default();
    let untouched_since = now() - context.settings.sweep_seconds;
    for _ in 0..MAX_PAGES {
        let page = context.db.unpaid_orders(untouched_since, PAGE_SIZE).await?;
        if page.is_empty() {
            break;
        }
        let last_page = page.len() < usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
        swept.pages += 1;
        swept.looked_at += page.len();
        sweep_page(context, page, &mut swept).await?;
        if last_page {
            break;
        }
    }
    Ok(swept)
}

async fn sweep_page(
    context: &AppContext,
    page: Vec<OrderRow>,
    swept: &mut Swept,
) -> Result<(), PaymentError> {
    for order in page {
        let order = refresh::ask_wechat(context, order).await?;
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
                    let paid = refresh::ask_wechat(context, order).await?;
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
    Ok(())
}
