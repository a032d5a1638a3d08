//! Refunds, asked for by an admin or by the product's backend (an API key with `refunds:write`): partial or full up
//! to the paid total, with an out_refund_no made from the order and the request's id so a retried request is the
//! same refund at WeChat Pay; settled by WeChat's answer or its notification, once.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791862>.

use sha2::{Digest, Sha256};

use super::access::is_admin;
use super::merchant::pay_client_of;
use super::{refresh, settle, PaymentError};
use crate::ssr::cause::Cause;
use crate::ssr::context::AppContext;
use crate::ssr::db::refunds::{committed_fen, RefundRequested};
use crate::ssr::db::{new_id, OrderRow, RefundRow};
use crate::types::money::Fen;
use crate::types::status::RefundStatus;
use wechat::pay::error::PayError;
use wechat::pay::refund::{self, RefundRequest};

/// What of `order` can still be refunded, given its `refunds` so far.
pub fn left_to_refund(order: &OrderRow, refunds: &[RefundRow]) -> Fen {
    order
        .total_fen
        .checked_sub(committed_fen(refunds))
        .unwrap_or(Fen::ZERO)
}

/// The out_refund_no of `request_id` for `order_id`: the same every time, 6–64 characters.
fn out_refund_no(order_id: &str, request_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(
        format!("{order_id}:{request_id}").as_bytes(),
    ));
    format!("WXR{}", &digest[..29])
}

/// Who asks for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunder<'a> {
    /// A signed-in person, refused unless an admin (their user id).
    Admin(&'a str),
    /// The product's backend, through the API key of this id (already checked for `refunds:write`).
    ApiKey(&'a str),
}

impl Refunder<'_> {
    /// What the refund's `requested_by` records.
    fn recorded_as(self) -> String {
        match self {
            Refunder::Admin(user_id) => user_id.to_owned(),
            Refunder::ApiKey(key_id) => format!("api_key:{key_id}"),
        }
    }
}

/// Asks WeChat Pay to refund `refund_fen` of `order_id`. `request_id` names this request: sending it again is safe.
pub async fn request(
    context: &AppContext,
    refunder: Refunder<'_>,
    order_id: &str,
    refund_fen: Fen,
    reason: Option<String>,
    request_id: Option<String>,
) -> Result<RefundRow, PaymentError> {
    if let Refunder::Admin(user_id) = refunder {
        if !is_admin(context, user_id).await? {
            return Err(PaymentError::Forbidden);
        }
    }
    let client = pay_client_of(context)?;
    let order = context
        .db
        .order(order_id)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let order = refresh::ask_wechat(context, order).await?;
    if !order.is_refundable() {
        return Err(PaymentError::NotRefundable(order.status.to_string()));
    }
    let too_much =
        PaymentError::BadRequest("refund_fen (more than 0, at most what is left to refund)");
    if !refund_fen.is_positive() {
        return Err(too_much);
    }
    let refund = RefundRow {
        out_refund_no: out_refund_no(&order.id, &request_id.unwrap_or_else(new_id)),
        order_id: order.id.clone(),
        refund_fen,
        reason,
        status: RefundStatus::Requested,
        refund_id: None,
    };
    // Checked against what is left and recorded in one step under the order's lock: requests at once take turns.
    let refund = match context
        .db
        .request_refund(&refund, &refunder.recorded_as())
        .await?
    {
        RefundRequested::Recorded => refund,
        RefundRequested::Existing(existing) if existing.refund_fen != refund_fen => {
            return Err(PaymentError::BadRequest(
                "request_id (it named a refund of another amount)",
            ))
        }
        RefundRequested::Existing(existing) => existing,
        RefundRequested::TooMuch => return Err(too_much),
        RefundRequested::UnknownOrder => return Err(PaymentError::UnknownOrder),
    };
    let answer = match refund::create(
        client,
        &RefundRequest {
            out_trade_no: order.out_trade_no.clone(),
            out_refund_no: refund.out_refund_no.clone(),
            refund_fen: refund
                .refund_fen
                .to_wechat()
                .ok_or(PaymentError::BadRequest("refund_fen"))?,
            total_fen: order
                .total_fen
                .to_wechat()
                .ok_or(PaymentError::BadRequest("total"))?,
            reason: refund.reason.clone(),
            notify_url: context
                .settings
                .pay
                .as_ref()
                .map(|pay| pay.notify_url.to_string()),
        },
    )
    .await
    {
        Ok(answer) => answer,
        Err(error) => {
            if matches!(error, PayError::Api { .. }) && !error.is_retryable() {
                // WeChat Pay said no for good: the refund never started, so it no longer counts against the order.
                context
                    .db
                    .update_refund(&refund.out_refund_no, RefundStatus::Closed, None)
                    .await?;
            }
            return Err(error.into());
        }
    };
    let status = RefundStatus::parse(&answer.status).ok_or_else(|| {
        PaymentError::Internal(Cause::new(format!(
            "WeChat Pay answered the refund with status {}",
            answer.status
        )))
    })?;
    settle::refund_status(
        context,
        &refund.out_refund_no,
        status,
        Some(&answer.refund_id),
    )
    .await?;
    Ok(context
        .db
        .refund(&refund.out_refund_no)
        .await?
        .unwrap_or(refund))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_is_the_same_refund_and_fits_wechats_length() {
        let first = out_refund_no("order-1", "request-a");
        assert_eq!(first, out_refund_no("order-1", "request-a"));
        assert_ne!(first, out_refund_no("order-1", "request-b"));
        assert_ne!(first, out_refund_no("order-2", "request-a"));
        assert_eq!(first.len(), 32);
    }
}
