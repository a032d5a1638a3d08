//! The handler's time limit: a request not answered within it gets 503 with the JSON API's error answer (code
//! `timed_out`), so a client reads it like any other refusal; the handler's work is dropped.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::contract::refusals::{ErrorAnswer, ErrorBody, ErrorCode};

/// The code of a request that outlasted the handler's time limit, in the JSON API's contract.
pub const TIMED_OUT: &str = "timed_out";

/// Middleware: answers within `limit`, or 503.
pub async fn answer_within(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                limit_seconds = limit.as_secs(),
                "a request outlasted the handler's time limit"
            );
            let answer = ErrorAnswer {
                error: ErrorBody {
                    code: ErrorCode(TIMED_OUT),
                    message: format!(
                        "the server did not answer within {} s; try again (WXGATE_HANDLER_TIMEOUT_SECONDS)",
                        limit.as_secs()
                    ),
                },
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(answer)).into_response()
        }
    }
}
