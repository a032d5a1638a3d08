//! Settling: the one place a verified WeChat Pay transaction or refund status is applied to wxgate's orders and
//! refunds, whoever learned of it (the webhook, a look at the order, the sweeper). Each is one guarded change, so
//! any number of copies, at once or later, make exactly one transition. A payment for an order already closed here
//! is kept on the order and flagged for an admin to refund, and logged at ERROR.

use super::PaymentError;
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::{
    DbError, MarkedPaid, NotificationReceipt, OrderRow, PaidTransaction, RefundRow,
};
use crate::types::status::RefundStatus;
use wechat::pay::refund::RefundNotice;
use wechat::pay::transactions::Transaction;

/// What settling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// It changed the order or refund (the order is PAID now, the refund settled).
    Applied,
    /// It had been applied before: nothing to do.
    Duplicate,
    /// The order had been closed here, and WeChat Pay took the money anyway (a buyer who opened the pay sheet
    /// before the order expired can still finish after it): recorded on the order, flagged for an admin to refund.
    PaidAfterClosing,
    /// Nothing of wxgate's to apply (a refund made on the merchant platform, another event); kept for audit.
    Recorded,
}

impl Settled {
    /// The outcome recorded for audit and counted in the metrics.
    pub fn outcome(self) -> &'static str {
        match self {
            Settled::Applied => "applied",
            Settled::Duplicate => "duplicate",
            Settled::PaidAfterClosing => "paid_after_closing",
            Settled::Recorded => "recorded",
        }
    }
}

/// Why a transaction or refund status was not applied.
#[derive(Debug, thiserror::Error)]
pub enum Unsettled {
    #[error("no order {0}")]
    UnknownOrder(String),
    #[error("does not match the order: {0}")]
    Mismatch(String),
    #[error("could not be applied: {0}")]
    Internal(#[source] Cause),
}

impl From<DbError> for Unsettled {
    fn from(error: DbError) -> Unsettled {
        Unsettled::Internal(Cause::new(error))
    }
}

/// Checks a paid transaction against its order and marks the order paid, once. A notification's `receipt` (its
/// outcome "applied") is kept in the same transaction when this marks the order paid; otherwise the caller keeps
/// it with the outcome returned.
pub async fn payment(
    context: &AppContext,
    mch_id: &str,
    transaction: &Transaction,
    receipt: Option<&NotificationReceipt<'_>>,
) -> Result<Settled, Unsettled> {
    let transaction_id = transaction.transaction_id.clone().unwrap_or_default();
    let paid = PaidTransaction {
        out_trade_no: &transaction.out_trade_no,
        transaction_id: &transaction_id,
        payer_openid: transaction
            .payer
            .as_ref()
            .map(|payer| payer.openid.as_str()),
        // paid_at is when wxgate learned of the payment; WeChat's own time stays in its records.
        paid_at: now(),
    };
    // The usual case, an unpaid order and a payment that matches it, is one transaction.
    match context
        .db
        .mark_paid(&paid, |order| mismatch(order, mch_id, transaction), receipt)
        .await?
    {
        MarkedPaid::Paid => {
            tracing::info!(out_trade_no = %transaction.out_trade_no, "order paid");
            context.shipping.wake();
            return Ok(Settled::Applied);
        }
        MarkedPaid::Refused(mismatch) => {
            return Err(flagged(context, &transaction.out_trade_no, mismatch).await)
        }
        MarkedPaid::NotPayable => {}
    }
    let order = context
        .db
        .order_by_out_trade_no(&transaction.out_trade_no)
        .await?
        .ok_or_else(|| Unsettled::UnknownOrder(transaction.out_trade_no.clone()))?;
    if let Some(mismatch) = mismatch(&order, mch_id, transaction) {
        return Err(flagged(context, &order.out_trade_no, mismatch).await);
    }
    // The guard is the order being CLOSED without a transaction: a status read before may be stale.
    if context
        .db
        .record_paid_after_closing(&order.out_trade_no, &transaction_id, now())
        .await?
    {
        tracing::error!(
            out_trade_no = %order.out_trade_no,
            order_id = %order.id,
            total_fen = order.total_fen.get(),
            "WeChat Pay took a payment for an order closed here: paid after closing, refund it (the admin page lists it)"
        );
        return Ok(Settled::PaidAfterClosing);
    }
    match context.db.order(&order.id).await? {
        Some(current) if current.transaction_id.as_deref() == Some(transaction_id.as_str()) => {
            Ok(Settled::Duplicate)
        }
        Some(current) => Err(Unsettled::Mismatch(format!(
            "the order is {}",
            current.status
        ))),
        None => Err(Unsettled::UnknownOrder(order.out_trade_no)),
    }
}

/// Flags order `out_trade_no` for an admin with the `mismatch` found between it and a payment.
async fn flagged(context: &AppContext, out_trade_no: &str, mismatch: String) -> Unsettled {
    if let Err(error) = context.db.flag_order(out_trade_no, &mismatch).await {
        return error.into();
    }
    tracing::error!(%out_trade_no, %mismatch, "a payment does not match its order; flagged");
    Unsettled::Mismatch(mismatch)
}

/// Why `transaction` is not a payment of `order`, if it is not.
fn mismatch(order: &OrderRow, mch_id: &str, transaction: &Transaction) -> Option<String> {
    let total = transaction.amount.as_ref().map(|amount| amount.total);
    if !transaction.is_paid() {
        Some(format!("trade_state is {}", transaction.trade_state))
    } else if transaction.mchid != mch_id {
        Some(format!("mchid {} is not ours", transaction.mchid))
    } else if order
        .appid
        .as_deref()
        .is_some_and(|appid| appid != transaction.appid)
    {
        Some(format!("appid {} is not the order's", transaction.appid))
    } else if total != order.total_fen.to_wechat() {
        Some(format!(
            "amount {total:?} fen, the order is {} fen",
            order.total_fen
        ))
    } else {
        None
    }
}

/// Applies a refund notification to `refund`, the refund wxgate asked for under its out_refund_no, once; with none
/// (a refund made elsewhere, on the merchant platform) it is only recorded. The caller brings the refund's order up
/// to date first (its payment notification may not have come yet).
pub async fn refund(
    context: &AppContext,
    mch_id: &str,
    notice: &RefundNotice,
    refund: Option<&RefundRow>,
) -> Result<Settled, Unsettled> {
    if notice.mchid != mch_id {
        return Err(Unsettled::Mismatch(format!(
            "mchid {} is not ours",
            notice.mchid
        )));
    }
    let Some(refund) = refund else {
        return Ok(Settled::Recorded);
    };
    if refund.refund_fen.to_wechat() != Some(notice.amount.refund) {
        context
            .db
            .flag_order(&notice.out_trade_no, "refund amount mismatch")
            .await?;
        return Err(Unsettled::Mismatch(format!(
            "refund of {} fen, wxgate asked for {}",
            notice.amount.refund, refund.refund_fen
        )));
    }
    let status = RefundStatus::parse(&notice.refund_status).ok_or_else(|| {
        Unsettled::Mismatch(format!(
            "refund_status {} is not one of WeChat Pay's",
            notice.refund_status
        ))
    })?;
    let changed = refund_status(
        context,
        &refund.out_refund_no,
        status,
        notice.refund_id.as_deref(),
    )
    .await
    .map_err(|error| Unsettled::Internal(Cause::new(error)))?;
    if changed {
        tracing::info!(out_refund_no = %refund.out_refund_no, %status, "refund settled");
        Ok(Settled::Applied)
    } else {
        Ok(Settled::Duplicate)
    }
}

/// Applies WeChat Pay's `status` of a refund (from its answer, its notification or a query); true when it changed
/// something. SUCCESS also moves the order to PARTIALLY_REFUNDED or REFUNDED, in the same transaction.
pub async fn refund_status(
    context: &AppContext,
    out_refund_no: &str,
    status: RefundStatus,
    refund_id: Option<&str>,
) -> Result<bool, PaymentError> {
    Ok(match status {
        RefundStatus::Success => context.db.settle_refund(out_refund_no, refund_id).await?,
        other => {
            context
                .db
                .update_refund(out_refund_no, other, refund_id)
                .await?
        }
    })
}
