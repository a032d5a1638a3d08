//! The JSON API's error answer: `{"error": {"code", "message"}}` with a status that fits; causes go to the log.

use app::ssr::auth::AuthError;
use app::ssr::bounds::TooLong;
use app::ssr::cause::chain;
use app::ssr::payments::PaymentError;
use app::ssr::product_api::ProductApiError;
use app::ssr::profile::ProfileError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::contract::refusals::{ErrorAnswer, ErrorBody, ErrorCode};

/// A refused or failed API request: what the client is told, and the cause kept for the log.
#[derive(Debug)]
pub struct ApiFailure {
    status: StatusCode,
    code: &'static str,
    message: String,
    cause: Option<String>,
}

impl From<AuthError> for ApiFailure {
    fn from(error: AuthError) -> ApiFailure {
        let status = match &error {
            AuthError::NotEnabled(_) => StatusCode::NOT_FOUND,
            AuthError::BadRequest(_) | AuthError::InvalidCode | AuthError::CodeUsed => {
                StatusCode::BAD_REQUEST
            }
            AuthError::InvalidState | AuthError::StateExpired | AuthError::WeChatBrowserOnly => {
                StatusCode::BAD_REQUEST
            }
            AuthError::HighRiskUser | AuthError::SnapshotUser => StatusCode::FORBIDDEN,
            AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AuthError::SessionKeyStale => StatusCode::CONFLICT,
            AuthError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AuthError::WeChatBusy => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            AuthError::WeChat(_) => StatusCode::BAD_GATEWAY,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let cause = match &error {
            AuthError::Internal(cause) => Some(chain(cause)),
            _ => None,
        };
        ApiFailure::new(status, error.code(), error.to_string(), cause)
    }
}

impl From<PaymentError> for ApiFailure {
    fn from(error: PaymentError) -> ApiFailure {
        let status = match &error {
            PaymentError::NotEnabled
            | PaymentError::UnknownOrder
            | PaymentError::UnknownCheckout
            | PaymentError::UnknownProduct => StatusCode::NOT_FOUND,
            PaymentError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PaymentError::Unauthenticated => StatusCode::UNAUTHORIZED,
            PaymentError::NoPayer(_)
            | PaymentError::NotPayable(_)
            | PaymentError::NotRefundable(_) => StatusCode::CONFLICT,
            PaymentError::Forbidden => StatusCode::FORBIDDEN,
            PaymentError::TooManyOrders => StatusCode::TOO_MANY_REQUESTS,
            PaymentError::WeChatPay(_) => StatusCode::BAD_GATEWAY,
            PaymentError::WeChatPayUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            PaymentError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let cause = match &error {
            PaymentError::Internal(cause) => Some(chain(cause)),
            _ => None,
        };
        ApiFailure::new(status, error.code(), error.to_string(), cause)
    }
}

impl From<ProfileError> for ApiFailure {
    fn from(error: ProfileError) -> ApiFailure {
        let status = match &error {
            ProfileError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProfileError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ProfileError::UnsupportedImage(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProfileError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ProfileError::NoSuchAvatar => StatusCode::NOT_FOUND,
            ProfileError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let cause = match &error {
            ProfileError::Internal(cause) => Some(chain(cause)),
            _ => None,
        };
        ApiFailure::new(status, error.code(), error.to_string(), cause)
    }
}

impl From<ProductApiError> for ApiFailure {
    fn from(error: ProductApiError) -> ApiFailure {
        // The order machinery's refusals keep the payments' codes and statuses.
        let error = match error {
            ProductApiError::Payment(error) => return ApiFailure::from(error),
            error => error,
        };
        let status = match &error {
            ProductApiError::Payment(_) | ProductApiError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ProductApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProductApiError::InvalidApiKey => StatusCode::UNAUTHORIZED,
            ProductApiError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            ProductApiError::UnknownUser | ProductApiError::UnknownCheckout => {
                StatusCode::NOT_FOUND
            }
            ProductApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let cause = match &error {
            ProductApiError::Internal(cause) => Some(chain(cause)),
            _ => None,
        };
        ApiFailure::new(status, error.code(), error.to_string(), cause)
    }
}

/// A field past its bound: refused before anything else looked at the request.
impl From<TooLong> for ApiFailure {
    fn from(error: TooLong) -> ApiFailure {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            error.to_string(),
            None,
        )
    }
}

impl ApiFailure {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: String,
        cause: Option<String>,
    ) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message,
            cause,
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let message = match &self.cause {
            Some(cause) => {
                tracing::error!(code = self.code, %cause, "request failed");
                "the server could not complete the request".to_owned()
            }
            None => {
                tracing::info!(code = self.code, "request refused");
                self.message
            }
        };
        let answer = ErrorAnswer {
            error: ErrorBody {
                code: ErrorCode(self.code),
                message,
            },
        };
        (self.status, Json(answer)).into_response()
    }
}
