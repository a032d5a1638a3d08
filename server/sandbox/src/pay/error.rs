//! The errors the sandbox answers merchants with, as WeChat Pay does: an HTTP status and `{"code","message","detail"?}`.
//!
//! Statuses follow the error tables of each API page, e.g. order query
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791900> (404 ORDER_NOT_EXIST) and refunds
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791903> (404 RESOURCE_NOT_EXISTS), and the answers WeChat really
//! gives where they differ from the tables: a prepay repeated with other parameters, a refund beyond what is left
//! and an out_refund_no reused for another amount are all 400 INVALID_REQUEST (not 403 OUT_TRADE_NO_USED or
//! NOT_ENOUGH, which is the merchant's balance running short), as integrations quote them.

use axum::http::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PayError {
    /// 401: the Authorization header is missing, malformed, stale or does not verify.
    #[error("{0}")]
    SignError(String),
    /// 400: a field is missing or malformed, worded by [`super::param_error`]; `field` is the path its message
    /// names (`/body/amount/total`), `detail` what the answer's `detail` carries.
    #[error("{message}")]
    ParamError {
        field: String,
        message: String,
        detail: Option<Value>,
    },
    /// 400: the request is well-formed but breaks a business rule.
    #[error("{0}")]
    InvalidRequest(String),
    /// 400: the appid is not one of the sandbox's apps bound to the merchant.
    #[error("appid {0} is not bound to this mchid (the sandbox binds its mini program, official account and mobile app; never a website app)")]
    AppidMchidNotMatch(String),
    /// 400: the mchid in the body is not the sandbox's merchant.
    #[error("mchid {0} does not exist (the sandbox's merchant is the one in `wxgate sandbox credentials`)")]
    MchNotExists(String),
    /// 400 INVALID_REQUEST: a prepay for an out_trade_no already used, with other parameters.
    #[error("请求重入时，参数与首次请求时不一致 (out_trade_no {0} was first placed with other parameters)")]
    ReentryDiffers(String),
    /// 400: the order is paid, so it cannot be closed.
    #[error("order {0} is already paid and cannot be closed")]
    OrderPaid(String),
    /// 400: the order is closed.
    #[error("order {0} is closed")]
    OrderClosed(String),
    /// 404: no such order.
    #[error("order {0} does not exist")]
    OrderNotExist(String),
    /// 404: no such refund, or no paid order to refund.
    #[error("{0}")]
    ResourceNotExists(String),
    /// 400: the day's bill is not made yet (WeChat makes a day's bills from 10:00 the next day, Beijing time).
    #[error("账单生成中，请稍后再试 (a day's bill is ready from 10:00 China time the next day)")]
    StatementCreating,
    /// 400: no bill for that day (nothing was paid or refunded), as the bill FAQ
    /// <https://pay.weixin.qq.com/doc/v3/merchant/4013071254> says.
    #[error("请求的账单文件不存在 (no payment or refund on that day in the sandbox)")]
    NoStatementExist,
    /// 500, injected by a fault.
    #[error(
        "system error (injected by the sandbox's fault control); retry with the same parameters"
    )]
    SystemError,
    /// 429, injected by a fault.
    #[error("frequency limited (injected by the sandbox's fault control)")]
    FrequencyLimited,
}

impl PayError {
    pub fn status(&self) -> StatusCode {
        match self {
            PayError::SignError(_) => StatusCode::UNAUTHORIZED,
            PayError::ParamError { .. }
            | PayError::InvalidRequest(_)
            | PayError::ReentryDiffers(_)
            | PayError::AppidMchidNotMatch(_)
            | PayError::MchNotExists(_)
            | PayError::OrderPaid(_)
            | PayError::OrderClosed(_)
            | PayError::NoStatementExist
            | PayError::StatementCreating => StatusCode::BAD_REQUEST,
            PayError::OrderNotExist(_) | PayError::ResourceNotExists(_) => StatusCode::NOT_FOUND,
            PayError::SystemError => StatusCode::INTERNAL_SERVER_ERROR,
            PayError::FrequencyLimited => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PayError::SignError(_) => "SIGN_ERROR",
            PayError::ParamError { .. } => "PARAM_ERROR",
            PayError::InvalidRequest(_) | PayError::ReentryDiffers(_) => "INVALID_REQUEST",
            PayError::AppidMchidNotMatch(_) => "APPID_MCHID_NOT_MATCH",
            PayError::MchNotExists(_) => "MCH_NOT_EXISTS",
            PayError::OrderPaid(_) => "ORDERPAID",
            PayError::OrderClosed(_) => "ORDER_CLOSED",
            PayError::OrderNotExist(_) => "ORDER_NOT_EXIST",
            PayError::ResourceNotExists(_) => "RESOURCE_NOT_EXISTS",
            PayError::NoStatementExist => "NO_STATEMENT_EXIST",
            PayError::StatementCreating => "STATEMENT_CREATING",
            PayError::SystemError => "SYSTEM_ERROR",
            PayError::FrequencyLimited => "FREQUENCY_LIMITED",
        }
    }

    /// The JSON body WeChat sends with an error.
    pub fn body(&self) -> Value {
        let mut body = json!({ "code": self.code(), "message": self.to_string() });
        if let PayError::ParamError {
            detail: Some(detail),
            ..
        } = self
        {
            body["detail"] = detail.clone();
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_wechats_error_tables() {
        let reentry = PayError::ReentryDiffers("T1".into());
        assert_eq!(
            (reentry.status(), reentry.code()),
            (StatusCode::BAD_REQUEST, "INVALID_REQUEST")
        );
        assert_eq!(
            PayError::OrderNotExist("T1".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            PayError::SignError("x".into()).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            PayError::FrequencyLimited.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
