//! The merchant's WeChat Pay client, for the use-cases that talk to WeChat Pay.

use super::PaymentError;
use crate::ssr::context::AppContext;
use wechat::pay::client::PayClient;

/// The WeChat Pay client, when payments are configured.
pub fn pay_client_of(context: &AppContext) -> Result<&PayClient, PaymentError> {
    context
        .wechat
        .pay
        .as_deref()
        .ok_or(PaymentError::NotEnabled)
}
