//! The JSON API's error answer: `{"error": {"code", "message"}}` with a status that fits; causes go to the log.

use app::ssr::auth::AuthError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An [`AuthError`] as an HTTP answer.
#[derive(Debug)]
pub struct ApiFailure(pub AuthError);

impl From<AuthError> for ApiFailure {
    fn from(error: AuthError) -> ApiFailure {
        ApiFailure(error)
    }
}

pub fn status(error: &AuthError) -> StatusCode {
    match error {
        AuthError::NotEnabled(_) => StatusCode::NOT_FOUND,
        AuthError::BadRequest(_) | AuthError::InvalidCode | AuthError::CodeUsed => {
            StatusCode::BAD_REQUEST
        }
        AuthError::InvalidState | AuthError::StateExpired => StatusCode::BAD_REQUEST,
        AuthError::HighRiskUser | AuthError::SnapshotUser => StatusCode::FORBIDDEN,
        AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AuthError::SessionKeyStale => StatusCode::CONFLICT,
        AuthError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        AuthError::WeChatBusy => StatusCode::SERVICE_UNAVAILABLE,
        AuthError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        AuthError::WeChat(_) => StatusCode::BAD_GATEWAY,
        AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = status(&self.0);
        match &self.0 {
            AuthError::Internal(cause) => {
                tracing::error!(code = self.0.code(), %cause, "request failed")
            }
            other => tracing::info!(code = other.code(), "request refused"),
        }
        let message = match &self.0 {
            AuthError::Internal(_) => "the server could not complete the request".to_owned(),
            other => other.to_string(),
        };
        (
            status,
            Json(json!({ "error": { "code": self.0.code(), "message": message } })),
        )
            .into_response()
    }
}
