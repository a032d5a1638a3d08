//! WeChat Pay notifications: raw bytes verified (time window, serial, signature; probes refused) and decrypted,
//! checked against the order (mchid, appid, out_trade_no, amount), applied as one guarded state change — so any
//! number of copies, at once or later, make exactly one transition — and every one recorded for audit. A payment
//! for an order already closed here is kept on the order and flagged for an admin to refund, and logged at ERROR.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791861>.

use super::checkout::pay_client_of;
use super::orders::reconcile;
use super::PaymentError;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::{NotificationReceipt, OrderRow};
use crate::ssr::metrics;
use wechat::pay::notify::{NotifyError, VerifiedNotification};
use wechat::pay::transactions::Transaction;
use wechat::pay::validate::{SignatureHeaders, ValidationError};
use wechat::pay::verify::VerifyError;

/// What became of an accepted notification; each is answered 204.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// This notification made the order PAID.
    Applied,
    /// The order was already paid by this transaction: nothing to do.
    Duplicate,
    /// The order had been closed here, and WeChat Pay took the money anyway (a buyer who opened the pay sheet
    /// before the order expired can still finish after it): recorded on the order, flagged for an admin to refund.
    PaidAfterClosing,
    /// Kept for audit; nothing of wxgate's to apply (a refund made on the merchant platform, another event).
    Recorded,
}

impl Accepted {
    /// The outcome recorded for audit and counted in the metrics.
    fn outcome(self) -> &'static str {
        match self {
            Accepted::Applied => "applied",
            Accepted::Duplicate => "duplicate",
            Accepted::PaidAfterClosing => "paid_after_closing",
            Accepted::Recorded => "recorded",
        }
    }
}

/// Why a notification was refused; WeChat retries it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("WeChat Pay is not configured")]
    NotEnabled,
    #[error("not verified: {0}")]
    Unverified(Unverified),
    #[error("not a notification wxgate can read: {0}")]
    Malformed(String),
    #[error("no order {0}")]
    UnknownOrder(String),
    #[error("does not match the order: {0}")]
    Mismatch(String),
    #[error("could not be applied: {0}")]
    Internal(String),
}

impl Refused {
    /// The outcome recorded for audit.
    fn outcome(&self) -> &'static str {
        match self {
            Refused::NotEnabled => "not_enabled",
            Refused::Unverified(_) => "unverified",
            Refused::Malformed(_) => "malformed",
            Refused::UnknownOrder(_) => "unknown_order",
            Refused::Mismatch(_) => "mismatch",
            Refused::Internal(_) => "error",
        }
    }

    /// Why it was refused, as the metrics count it: the outcome, with the verification step that failed.
    fn reason(&self) -> &'static str {
        match self {
            Refused::Unverified(unverified) => unverified.reason,
            other => other.outcome(),
        }
    }
}

/// A notification that failed verification: the step that failed, named for the metrics, and the cause.
#[derive(Debug)]
pub struct Unverified {
    pub reason: &'static str,
    pub cause: String,
}

impl std::fmt::Display for Unverified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.cause)
    }
}

impl From<NotifyError> for Unverified {
    fn from(error: NotifyError) -> Unverified {
        let reason = match &error {
            NotifyError::Validation(validation) => match validation {
                ValidationError::MissingHeader(_) => "missing_header",
                ValidationError::Probe => "probe",
                ValidationError::BadTimestamp => "bad_timestamp",
                ValidationError::Stale(_) => "stale_timestamp",
                ValidationError::Verify(VerifyError::UnknownSerial(_)) => "unknown_serial",
                ValidationError::Verify(VerifyError::Expired(_)) => "expired_certificate",
                ValidationError::Verify(VerifyError::BadSignature) => "bad_signature",
            },
            NotifyError::Malformed(_) => "malformed",
            NotifyError::Algorithm(_) => "unknown_algorithm",
            NotifyError::Decrypt(_) | NotifyError::NotText => "decrypt_failure",
        };
        Unverified {
            reason,
            cause: error.to_string(),
        }
    }
}

/// Handles one notification (see [`receive`]) and counts what became of it.
pub async fn handle(
    context: &AppContext,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Accepted, Refused> {
    let handled = receive(context, headers, body).await;
    match &handled {
        Ok(accepted) => metrics::pay_notification(accepted.outcome(), None),
        Err(refused) => metrics::pay_notification("refused", Some(refused.reason())),
    }
    handled
}

/// Handles one notification: `headers` and the exact `body` bytes as received.
async fn receive(
    context: &AppContext,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Accepted, Refused> {
    let outcome = process(context, headers, body).await;
    let (notification_id, event_type, out_trade_no) = match &outcome {
        Ok((_, Some(seen))) | Err((_, Some(seen))) => (
            Some(seen.notification.notification.id.clone()),
            Some(seen.notification.notification.event_type.clone()),
            seen.out_trade_no.clone(),
        ),
        _ => (None, None, None),
    };
    let (label, detail) = match &outcome {
        Ok((accepted, _)) => (accepted.outcome(), None),
        Err((refused, _)) => (refused.outcome(), Some(refused.to_string())),
    };
    let receipt = NotificationReceipt {
        notification_id: notification_id.as_deref(),
        event_type: event_type.as_deref(),
        out_trade_no: out_trade_no.as_deref(),
        outcome: label,
        detail: detail.as_deref(),
    };
    if let Err(error) = context.db.record_notification(&receipt).await {
        tracing::error!(%error, "could not record a WeChat Pay notification");
        return Err(Refused::Internal(
            "the notification could not be recorded".to_owned(),
        ));
    }
    match outcome {
        Ok((accepted, _)) => Ok(accepted),
        Err((refused, _)) => Err(refused),
    }
}

/// A notification that passed verification, and the order it names.
struct Seen {
    notification: VerifiedNotification,
    out_trade_no: Option<String>,
}

async fn process(
    context: &AppContext,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(Accepted, Option<Seen>), (Refused, Option<Seen>)> {
    let client = pay_client_of(context).map_err(|_| (Refused::NotEnabled, None))?;
    let signature = SignatureHeaders::from_headers(headers)
        .map_err(|error| (Refused::Unverified(NotifyError::from(error).into()), None))?;
    let notification = client
        .verify_notification(&signature, body)
        .await
        .map_err(|error| (Refused::Unverified(error.into()), None))?;
    // Every resource names its order; the audit record keeps it even when the rest cannot be read.
    let out_trade_no = serde_json::from_str::<serde_json::Value>(&notification.plaintext)
        .ok()
        .and_then(|resource| resource["out_trade_no"].as_str().map(str::to_owned));
    let seen = Seen {
        notification,
        out_trade_no,
    };
    let event_type = seen.notification.notification.event_type.as_str();
    let plaintext = seen.notification.plaintext.as_str();
    let outcome = if event_type.starts_with("REFUND.") {
        match serde_json::from_str::<RefundResource>(plaintext) {
            Ok(resource) => apply_refund(context, client.mch_id(), &resource).await,
            Err(error) => Err(Refused::Malformed(error.to_string())),
        }
    } else if event_type.starts_with("TRANSACTION.") {
        match serde_json::from_str::<Transaction>(plaintext) {
            Ok(transaction) => apply_payment(context, client.mch_id(), &transaction).await,
            Err(error) => Err(Refused::Malformed(error.to_string())),
        }
    } else {
        Ok(Accepted::Recorded)
    };
    match outcome {
        Ok(accepted) => Ok((accepted, Some(seen))),
        Err(refused) => Err((refused, Some(seen))),
    }
}

/// Checks a successful transaction against its order and marks the order paid, once.
pub async fn apply_payment(
    context: &AppContext,
    mch_id: &str,
    transaction: &Transaction,
) -> Result<Accepted, Refused> {
    let internal = |error: crate::ssr::db::DbError| Refused::Internal(error.to_string());
    let order = context
        .db
        .order_by_out_trade_no(&transaction.out_trade_no)
        .await
        .map_err(internal)?
        .ok_or_else(|| Refused::UnknownOrder(transaction.out_trade_no.clone()))?;
    if let Some(mismatch) = mismatch(&order, mch_id, transaction) {
        context
            .db
            .flag_order(&order.out_trade_no, &mismatch)
            .await
            .map_err(internal)?;
        tracing::error!(out_trade_no = %order.out_trade_no, %mismatch, "a payment does not match its order; flagged");
        return Err(Refused::Mismatch(mismatch));
    }
    let transaction_id = transaction.transaction_id.clone().unwrap_or_default();
    // paid_at is when wxgate learned of the payment; WeChat's own time stays in its records.
    if context
        .db
        .mark_paid(&order.out_trade_no, &transaction_id, now())
        .await
        .map_err(internal)?
    {
        tracing::info!(out_trade_no = %order.out_trade_no, "order paid");
        return Ok(Accepted::Applied);
    }
    // The guard is the order being CLOSED without a transaction: a status read before may be stale.
    if context
        .db
        .record_paid_after_closing(&order.out_trade_no, &transaction_id, now())
        .await
        .map_err(internal)?
    {
        tracing::error!(
            out_trade_no = %order.out_trade_no,
            order_id = %order.id,
            total_fen = order.total_fen,
            "WeChat Pay took a payment for an order closed here: paid after closing, refund it (the admin page lists it)"
        );
        return Ok(Accepted::PaidAfterClosing);
    }
    let current = context.db.order(&order.id).await.map_err(internal)?;
    match current {
        Some(current) if current.transaction_id.as_deref() == Some(transaction_id.as_str()) => {
            Ok(Accepted::Duplicate)
        }
        Some(current) => Err(Refused::Mismatch(format!(
            "the order is {}",
            current.status
        ))),
        None => Err(Refused::UnknownOrder(order.out_trade_no)),
    }
}

/// The resource of a refund notification.
#[derive(Debug, Clone, serde::Deserialize)]
struct RefundResource {
    mchid: String,
    out_trade_no: String,
    out_refund_no: String,
    #[serde(default)]
    refund_id: Option<String>,
    refund_status: String,
    amount: RefundResourceAmount,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct RefundResourceAmount {
    refund: i64,
}

/// Applies a refund notification to the refund wxgate asked for, once. A refund made elsewhere (the merchant
/// platform) is only recorded. An order whose payment notification has not come yet is asked of WeChat Pay first.
async fn apply_refund(
    context: &AppContext,
    mch_id: &str,
    resource: &RefundResource,
) -> Result<Accepted, Refused> {
    let internal = |error: crate::ssr::db::DbError| Refused::Internal(error.to_string());
    if resource.mchid != mch_id {
        return Err(Refused::Mismatch(format!(
            "mchid {} is not ours",
            resource.mchid
        )));
    }
    let Some(refund) = context
        .db
        .refund(&resource.out_refund_no)
        .await
        .map_err(internal)?
    else {
        return Ok(Accepted::Recorded);
    };
    if refund.refund_fen != resource.amount.refund {
        context
            .db
            .flag_order(&resource.out_trade_no, "refund amount mismatch")
            .await
            .map_err(internal)?;
        return Err(Refused::Mismatch(format!(
            "refund of {} fen, wxgate asked for {}",
            resource.amount.refund, refund.refund_fen
        )));
    }
    if let Some(order) = context.db.order(&refund.order_id).await.map_err(internal)? {
        reconcile(context, order).await?;
    }
    if super::refunds::apply_status(
        context,
        &refund.out_refund_no,
        &resource.refund_status,
        resource.refund_id.as_deref(),
    )
    .await?
    {
        tracing::info!(out_refund_no = %refund.out_refund_no, status = %resource.refund_status, "refund settled");
        Ok(Accepted::Applied)
    } else {
        Ok(Accepted::Duplicate)
    }
}

/// Why `transaction` is not a payment of `order`, if it is not.
fn mismatch(order: &OrderRow, mch_id: &str, transaction: &Transaction) -> Option<String> {
    let total = transaction.amount.as_ref().map(|amount| amount.total);
    // REFUND: paid, then refunded at WeChat Pay (e.g. on the merchant platform) before wxgate heard of the payment.
    if !matches!(transaction.trade_state.as_str(), "SUCCESS" | "REFUND") {
        Some(format!("trade_state is {}", transaction.trade_state))
    } else if transaction.mchid != mch_id {
        Some(format!("mchid {} is not ours", transaction.mchid))
    } else if order
        .appid
        .as_deref()
        .is_some_and(|appid| appid != transaction.appid)
    {
        Some(format!("appid {} is not the order's", transaction.appid))
    } else if total != u64::try_from(order.total_fen).ok() {
        Some(format!(
            "amount {total:?} fen, the order is {} fen",
            order.total_fen
        ))
    } else {
        None
    }
}

impl From<PaymentError> for Refused {
    fn from(error: PaymentError) -> Refused {
        Refused::Internal(error.to_string())
    }
}
