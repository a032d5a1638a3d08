//! The JSON API's error answer, `{"error": {"code", "message"}}`, and the statuses each family of routes refuses
//! with, so every error a client can meet is in the contract with its code.

use std::collections::BTreeMap;

use app::ssr::auth::AuthError;
use app::ssr::payments::PaymentError;
use app::ssr::product_api::ProductApiError;
use app::ssr::profile::ProfileError;
use serde::Serialize;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

use crate::hardening::origin::CROSS_ORIGIN;
use crate::hardening::time_limit::TIMED_OUT;

/// A refused or failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorAnswer {
    pub error: ErrorBody,
}

/// What went wrong: a stable code for programs, a sentence for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// One of wxgate's stable error codes (the login's, the payments' and the profile's together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub &'static str);

impl ErrorCode {
    /// Every code, each once, in the order the errors list them.
    pub fn all() -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = AuthError::CODES.to_vec();
        for code in PaymentError::CODES
            .iter()
            .chain(ProfileError::CODES)
            .chain(ProductApiError::CODES)
            .chain(&[CROSS_ORIGIN, TIMED_OUT])
        {
            if !codes.contains(code) {
                codes.push(code);
            }
        }
        codes
    }
}

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::all()))
            .into()
    }
}

impl ToSchema for ErrorCode {}

/// Responses of `statuses`, each the error answer.
fn error_answers(statuses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|(status, description)| {
            let response = ResponseBuilder::new()
                .description(*description)
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name(ErrorAnswer::name()))),
                )
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// Statuses every JSON route can answer with.
const COMMON: [(u16, &str); 2] = [
    (
        400,
        "bad_request: a field is missing, malformed or past its bound",
    ),
    (
        500,
        "internal: the server could not complete the request (the cause is in its log)",
    ),
];

/// What a 503 is on every route: the handler's time limit (`hardening::time_limit`).
const TIME_LIMIT: &str = "timed_out: no answer within the handler's time limit";

/// The statuses of the login routes (`routes::errors` maps each [`AuthError`] to one).
pub struct LoginRefusals;

impl IntoResponses for LoginRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut statuses = COMMON.to_vec();
        statuses.extend([
            (401, "unauthenticated: sign in first"),
            (403, "user_blocked, snapshot_user; cross_origin: a change asked for from another site's page"),
            (404, "provider_disabled: this login is not configured"),
            (409, "session_key_stale: call wx.login again, then retry"),
            (429, "rate_limited: too many attempts from here"),
            (502, "wechat_error: WeChat refused the request"),
            (503, "wechat_busy; timed_out: no answer within the handler's time limit"),
            (504, "upstream_timeout: WeChat did not answer in time"),
        ]);
        error_answers(&statuses)
    }
}

/// The statuses of the payment routes (`routes::errors` maps each [`PaymentError`] to one).
pub struct PaymentRefusals;

impl IntoResponses for PaymentRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut statuses = COMMON.to_vec();
        statuses.extend([
            (401, "unauthenticated: sign in first"),
            (403, "forbidden: only admins may do this; cross_origin: a change asked for from another site's page"),
            (404, "payments_disabled, unknown_product, unknown_order, unknown_checkout"),
            (
                409,
                "no_payer_identity, not_payable, not_refundable: the order or the account is not in a state for it",
            ),
            (429, "too_many_orders: pay or wait for the open ones to close"),
            (502, "wechat_pay_error: WeChat Pay refused"),
            (503, "wechat_pay_unavailable: WeChat Pay is not answering; timed_out: no answer within the handler's time limit"),
        ]);
        error_answers(&statuses)
    }
}

/// The statuses of the profile routes (`routes::errors` maps each [`ProfileError`] to one).
pub struct ProfileRefusals;

impl IntoResponses for ProfileRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut statuses = COMMON.to_vec();
        statuses.extend([
            (401, "unauthenticated: sign in first"),
            (403, "cross_origin: a change asked for from another site's page"),
            (413, "too_large: the avatar is over 1 MiB"),
            (415, "unsupported_image: the avatar is not a JPEG, PNG or WebP image within 4096 pixels a side"),
            (503, TIME_LIMIT),
        ]);
        error_answers(&statuses)
    }
}

/// The statuses of the product's backend's routes (`routes::errors` maps each [`ProductApiError`] to one).
pub struct ProductApiRefusals;

impl IntoResponses for ProductApiRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut statuses = COMMON.to_vec();
        statuses.extend([
            (
                401,
                "invalid_api_key: no API key, or one unknown or revoked",
            ),
            (
                403,
                "insufficient_scope: the API key lacks the scope this needs",
            ),
            (404, "unknown_user, unknown_checkout, unknown_order"),
            (
                409,
                "not_refundable: the checkout is not paid, or nothing of it is left to refund",
            ),
            (
                422,
                "idempotency_key_reused: the Idempotency-Key came before with another request",
            ),
            (502, "wechat_pay_error: WeChat Pay refused"),
            (
                503,
                "wechat_pay_unavailable: WeChat Pay is not answering; timed_out: no answer within the handler's time limit",
            ),
        ]);
        error_answers(&statuses)
    }
}
