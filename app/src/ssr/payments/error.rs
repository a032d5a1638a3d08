//! What a payment request can end with other than success: a stable code, a sentence, and the cause for the logs.

use crate::ssr::cause::{self, Cause};
use crate::ssr::db::DbError;
use crate::types::shop::ShopProblem;
use crate::types::ApiError;
use wechat::pay::error::PayError;
use wechat::pay::sign::SignError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("WeChat Pay is not configured on this wxgate")]
    NotEnabled,
    #[error("the request is missing or has a malformed {0}")]
    BadRequest(&'static str),
    #[error("that product is not on sale")]
    UnknownProduct,
    #[error("sign in first")]
    Unauthenticated,
    #[error("no such order")]
    UnknownOrder,
    #[error("no such checkout (or it is another buyer's)")]
    UnknownCheckout,
    #[error("pay with WeChat where you signed in: this account has no {0} identity yet")]
    NoPayer(&'static str),
    #[error("this order can no longer be paid ({0})")]
    NotPayable(String),
    #[error("only admins may do this")]
    Forbidden,
    #[error("only a paid order can be refunded (this one is {0})")]
    NotRefundable(String),
    #[error("too many orders: pay or wait for the open ones to close first")]
    TooManyOrders,
    #[error("WeChat Pay refused: {0}")]
    WeChatPay(String),
    #[error("WeChat Pay is not answering; try again in a moment")]
    WeChatPayUnavailable,
    #[error("the server could not complete the payment request")]
    Internal(#[source] Cause),
}

impl PaymentError {
    /// Every code [`PaymentError::code`] gives, for the JSON API's contract.
    pub const CODES: &'static [&'static str] = &[
        "payments_disabled",
        "bad_request",
        "unknown_product",
        "unauthenticated",
        "unknown_order",
        "unknown_checkout",
        "no_payer_identity",
        "not_payable",
        "forbidden",
        "not_refundable",
        "too_many_orders",
        "wechat_pay_error",
        "wechat_pay_unavailable",
        "internal",
    ];

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentError::NotEnabled => "payments_disabled",
            PaymentError::BadRequest(_) => "bad_request",
            PaymentError::UnknownProduct => "unknown_product",
            PaymentError::Unauthenticated => "unauthenticated",
            PaymentError::UnknownOrder => "unknown_order",
            PaymentError::UnknownCheckout => "unknown_checkout",
            PaymentError::NoPayer(_) => "no_payer_identity",
            PaymentError::NotPayable(_) => "not_payable",
            PaymentError::Forbidden => "forbidden",
            PaymentError::NotRefundable(_) => "not_refundable",
            PaymentError::TooManyOrders => "too_many_orders",
            PaymentError::WeChatPay(_) => "wechat_pay_error",
            PaymentError::WeChatPayUnavailable => "wechat_pay_unavailable",
            PaymentError::Internal(_) => "internal",
        }
    }
}

impl PaymentError {
    /// The problem as a page tells it.
    pub fn problem(&self) -> ShopProblem {
        match self {
            PaymentError::NotEnabled => ShopProblem::NotEnabled,
            PaymentError::BadRequest(_) => ShopProblem::BadInput,
            PaymentError::UnknownProduct => ShopProblem::UnknownProduct,
            PaymentError::Unauthenticated => ShopProblem::SignIn,
            PaymentError::UnknownOrder | PaymentError::UnknownCheckout => ShopProblem::UnknownOrder,
            PaymentError::NoPayer(_) => ShopProblem::NoPayer,
            PaymentError::NotPayable(_) => ShopProblem::NotPayable,
            PaymentError::Forbidden => ShopProblem::Forbidden,
            PaymentError::NotRefundable(_) => ShopProblem::NotRefundable,
            PaymentError::TooManyOrders => ShopProblem::TooManyOrders,
            PaymentError::WeChatPay(_) => ShopProblem::Refused,
            PaymentError::WeChatPayUnavailable => ShopProblem::WeChatPayBusy,
            PaymentError::Internal(_) => ShopProblem::Internal,
        }
    }
}

/// For server functions: the page gets the problem, the log gets the cause.
impl From<PaymentError> for ApiError {
    fn from(error: PaymentError) -> ApiError {
        match &error {
            PaymentError::Internal(_) | PaymentError::WeChatPayUnavailable => {
                tracing::error!(error = %cause::chain(&error), "a shop action failed")
            }
            PaymentError::WeChatPay(_) => {
                tracing::warn!(%error, "WeChat Pay refused a shop action")
            }
            _ => {}
        }
        ApiError::Shop(error.problem())
    }
}

impl From<DbError> for PaymentError {
    fn from(error: DbError) -> PaymentError {
        PaymentError::Internal(Cause::new(error))
    }
}

impl From<SignError> for PaymentError {
    fn from(error: SignError) -> PaymentError {
        PaymentError::Internal(Cause::new(error))
    }
}

impl From<PayError> for PaymentError {
    fn from(error: PayError) -> PaymentError {
        match &error {
            PayError::Api { code, message, .. } if !error.is_retryable() => {
                PaymentError::WeChatPay(format!("{code}: {message}"))
            }
            PayError::Api { .. } | PayError::Status { .. } | PayError::Network(_) => {
                PaymentError::WeChatPayUnavailable
            }
            _ => PaymentError::Internal(Cause::new(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_for_the_contract() {
        let every = [
            PaymentError::NotEnabled,
            PaymentError::BadRequest("x"),
            PaymentError::UnknownProduct,
            PaymentError::Unauthenticated,
            PaymentError::UnknownOrder,
            PaymentError::UnknownCheckout,
            PaymentError::NoPayer("x"),
            PaymentError::NotPayable("x".to_owned()),
            PaymentError::Forbidden,
            PaymentError::NotRefundable("x".to_owned()),
            PaymentError::TooManyOrders,
            PaymentError::WeChatPay("x".to_owned()),
            PaymentError::WeChatPayUnavailable,
            PaymentError::Internal(Cause::new("x")),
        ];
        let codes: Vec<&str> = every.iter().map(PaymentError::code).collect();
        assert_eq!(codes, PaymentError::CODES);
    }
}
