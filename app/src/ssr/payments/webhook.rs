//! WeChat Pay notifications: raw bytes verified (time window, serial, signature; probes refused) and decrypted by
//! the WeChat client, the transaction or refund in them settled ([`super::settle`]), and every one recorded for
//! audit.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791861>.

use super::merchant::pay_client_of;
use super::settle::{self, Settled, Unsettled};
use super::{refresh, PaymentError};
use crate::ssr::cause::Cause;
use crate::ssr::context::AppContext;
use crate::ssr::db::NotificationReceipt;
use crate::ssr::metrics;
use wechat::pay::notify::{self, NotifyError, Resource, VerifiedNotification};
use wechat::pay::validate::{SignatureHeaders, ValidationError};
use wechat::pay::verify::VerifyError;

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
    Internal(#[source] Cause),
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
) -> Result<Settled, Refused> {
    let handled = receive(context, headers, body).await;
    match &handled {
        Ok(settled) => metrics::pay_notification(settled.outcome(), None),
        Err(refused) => metrics::pay_notification("refused", Some(refused.reason())),
    }
    handled
}

/// Handles one notification: `headers` and the exact `body` bytes as received. Every one is recorded for audit:
/// an applied payment in the transaction that applies it, anything else after it is handled.
async fn receive(
    context: &AppContext,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Settled, Refused> {
    let processed = process(context, headers, body).await;
    if processed.recorded {
        return processed.outcome;
    }
    let (outcome, detail) = match &processed.outcome {
        Ok(settled) => (settled.outcome(), None),
        Err(refused) => (refused.outcome(), Some(refused.to_string())),
    };
    let receipt = receipt_of(processed.notification.as_ref(), outcome, detail.as_deref());
    if let Err(error) = context.db.record_notification(&receipt).await {
        tracing::error!(%error, "could not record a WeChat Pay notification");
        return Err(Refused::Internal(Cause::new(
            "the notification could not be recorded",
        )));
    }
    processed.outcome
}

/// What became of a notification: the outcome, the notification once verified, and whether its receipt was
/// recorded already.
struct Processed {
    outcome: Result<Settled, Refused>,
    notification: Option<VerifiedNotification>,
    recorded: bool,
}

impl Processed {
    fn refused(refused: Refused) -> Processed {
        Processed {
            outcome: Err(refused),
            notification: None,
            recorded: false,
        }
    }
}

/// The audit record of a notification (every resource names its order, so the record keeps it even when the rest
/// cannot be read).
fn receipt_of<'a>(
    notification: Option<&'a VerifiedNotification>,
    outcome: &'a str,
    detail: Option<&'a str>,
) -> NotificationReceipt<'a> {
    NotificationReceipt {
        notification_id: notification.map(|verified| verified.notification.id.as_str()),
        event_type: notification.map(|verified| verified.notification.event_type.as_str()),
        out_trade_no: notification.and_then(VerifiedNotification::out_trade_no),
        outcome,
        detail,
    }
}

async fn process(context: &AppContext, headers: &http::HeaderMap, body: &[u8]) -> Processed {
    let Ok(client) = pay_client_of(context) else {
        return Processed::refused(Refused::NotEnabled);
    };
    let signature = match SignatureHeaders::from_headers(headers) {
        Ok(signature) => signature,
        Err(error) => {
            return Processed::refused(Refused::Unverified(NotifyError::from(error).into()))
        }
    };
    let notification = match notify::verify(client, &signature, body).await {
        Ok(notification) => notification,
        Err(error) => return Processed::refused(Refused::Unverified(error.into())),
    };
    let mch_id = client.mch_id();
    let mut recorded = false;
    let outcome = match &notification.resource {
        Ok(Resource::Transaction(transaction)) => {
            let applied = receipt_of(Some(&notification), Settled::Applied.outcome(), None);
            let settled = settle::payment(context, mch_id, transaction, Some(&applied))
                .await
                .map_err(Refused::from);
            recorded = matches!(settled, Ok(Settled::Applied));
            settled
        }
        Ok(Resource::Refund(notice)) => settle_refund(context, mch_id, notice).await,
        Ok(Resource::Other(_)) => Ok(Settled::Recorded),
        Err(unreadable) => Err(Refused::Malformed(unreadable.cause.clone())),
    };
    Processed {
        outcome,
        notification: Some(notification),
        recorded,
    }
}

/// Settles a refund notification, its order first brought up to date with WeChat Pay (the payment's own
/// notification may not have come yet).
async fn settle_refund(
    context: &AppContext,
    mch_id: &str,
    notice: &wechat::pay::refund::RefundNotice,
) -> Result<Settled, Refused> {
    let internal = |error: crate::ssr::db::DbError| Refused::Internal(Cause::new(error));
    let refund = context
        .db
        .refund(&notice.out_refund_no)
        .await
        .map_err(internal)?;
    if let Some(refund) = &refund {
        if let Some(order) = context.db.order(&refund.order_id).await.map_err(internal)? {
            refresh::ask_wechat(context, order).await?;
        }
    }
    Ok(settle::refund(context, mch_id, notice, refund.as_ref()).await?)
}

impl From<Unsettled> for Refused {
    fn from(unsettled: Unsettled) -> Refused {
        match unsettled {
            Unsettled::UnknownOrder(out_trade_no) => Refused::UnknownOrder(out_trade_no),
            Unsettled::Mismatch(why) => Refused::Mismatch(why),
            Unsettled::Internal(cause) => Refused::Internal(cause),
        }
    }
}

impl From<PaymentError> for Refused {
    fn from(error: PaymentError) -> Refused {
        Refused::Internal(Cause::new(error))
    }
}
