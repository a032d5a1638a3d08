//! A size bound on server-function bodies: Leptos reads them whole, with no limit of its own (axum's
//! `DefaultBodyLimit`, which bounds the JSON routes, only binds axum's extractors), so they are read here first, at
//! most [`MAX_BODY_BYTES`].

use app::ssr::bounds::MAX_BODY_BYTES;
use app::types::shop::ShopProblem;
use app::types::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Where the server functions are mounted (`#[server(prefix = …)]` in app/src/api).
const SERVER_FN_PREFIX: &str = "/api/fn/";

/// Refuses a server-function body over the bound with 413 and the server functions' own error, `BadInput`.
pub async fn bounded_server_fn_body(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(ApiError::Shop(ShopProblem::BadInput)),
        )
            .into_response(),
    }
}
