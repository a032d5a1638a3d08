//! `Authorization: Bearer <session_token>` for clients that drop cookies (some mini-program request libraries):
//! the token is the session id, handed to the session layer as if it were the cookie. The OpenID Connect endpoints
//! and the product's API (`/api/v1/`) read their own bearer tokens (access tokens, API keys; not sessions), so their
//! paths are left alone.

use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::router::SESSION_COOKIE;

pub async fn bearer_as_session_cookie(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/oauth2/") || path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let has_cookie = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|cookies| {
            cookies
                .split(';')
                .any(|cookie| cookie.trim().starts_with(&format!("{SESSION_COOKIE}=")))
        });
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| {
            !token.is_empty()
                && token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        })
        .map(str::to_owned);
    if let (false, Some(token)) = (has_cookie, token) {
        if let Ok(value) = HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}")) {
            request.headers_mut().append(COOKIE, value);
        }
    }
    next.run(request).await
}
