//! What an admin's shipping action can end with other than success, and how a page is told.

use crate::ssr::cause::{self, Cause};
use crate::ssr::db::DbError;
use crate::types::shop::ShopProblem;
use crate::types::ApiError;
use wechat::api::WeChatError;

#[derive(Debug, thiserror::Error)]
pub enum ShippingError {
    #[error("only admins may do this")]
    Forbidden,
    #[error("no shipment for that order")]
    UnknownOrder,
    #[error("the request is missing or has a malformed {0}")]
    BadRequest(&'static str),
    #[error("this shipment cannot take that now ({0})")]
    NotShippable(&'static str),
    #[error("WeChat did not answer: {0}")]
    WeChat(#[source] WeChatError),
    #[error("the server could not complete the shipping action")]
    Internal(#[source] Cause),
}

impl ShippingError {
    /// The problem as a page tells it.
    pub fn problem(&self) -> ShopProblem {
        match self {
            ShippingError::Forbidden => ShopProblem::Forbidden,
            ShippingError::UnknownOrder => ShopProblem::UnknownOrder,
            ShippingError::BadRequest(_) => ShopProblem::BadInput,
            ShippingError::NotShippable(_) => ShopProblem::NotShippable,
            ShippingError::WeChat(_) => ShopProblem::WeChatBusy,
            ShippingError::Internal(_) => ShopProblem::Internal,
        }
    }
}

/// For server functions: the page gets the problem, the log gets the cause.
impl From<ShippingError> for ApiError {
    fn from(error: ShippingError) -> ApiError {
        if matches!(error, ShippingError::Internal(_) | ShippingError::WeChat(_)) {
            tracing::error!(error = %cause::chain(&error), "a shipping action failed");
        }
        ApiError::Shop(error.problem())
    }
}

impl From<DbError> for ShippingError {
    fn from(error: DbError) -> ShippingError {
        ShippingError::Internal(Cause::new(error))
    }
}

impl From<crate::ssr::payments::PaymentError> for ShippingError {
    fn from(error: crate::ssr::payments::PaymentError) -> ShippingError {
        ShippingError::Internal(Cause::new(error))
    }
}
