//! Cross-site request forgery: a state-changing request (anything but GET, HEAD and OPTIONS) whose `Origin` header
//! is present and is not APP_URL's origin is refused with 403 and a JSON error. Browsers send `Origin` on every
//! such request (<https://fetch.spec.whatwg.org/#origin-header>), so a page of another site cannot make a signed-in
//! browser log out, pay or refund here. Requests without `Origin` are not a browser acting for another site (the
//! mini program, WeChat Pay's notifications, curl) and pass; so do this site's own pages, the sandbox's included.
//! The OpenID Connect token and userinfo endpoints pass from any origin: they read no cookie (the request's code,
//! credentials or access token are its authority), and single-page apps call them with fetch (CORS, `routes::oidc`).
//! So does its logout, which a client's page may POST to (RP-Initiated Logout 1.0 §2): it ends a session only for an
//! ID token the client holds, or once the person confirmed on wxgate's own page (`routes::oidc`).

use std::sync::Arc;

use app::ssr::oidc;
use axum::extract::{Request, State};
use axum::http::header::ORIGIN;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use url::{Origin, Url};

use crate::contract::refusals::{ErrorAnswer, ErrorBody, ErrorCode};

/// The endpoints another site's app calls, which a cookie gives no authority over or which check the request
/// themselves.
const CALLED_BY_APPS: [&str; 3] = [oidc::TOKEN_PATH, oidc::USERINFO_PATH, oidc::LOGOUT_PATH];

/// APP_URL's origin: the one site whose pages may change things here.
#[derive(Debug, Clone)]
pub struct AppOrigin(Origin);

impl AppOrigin {
    pub fn of(app_url: &Url) -> AppOrigin {
        AppOrigin(app_url.origin())
    }

    /// Whether a request with this `Origin` header value comes from APP_URL's pages (`null` and junk do not).
    pub fn admits(&self, origin: &[u8]) -> bool {
        std::str::from_utf8(origin)
            .ok()
            .and_then(|origin| Url::parse(origin).ok())
            .is_some_and(|origin| origin.origin() == self.0)
    }
}

/// The middleware.
pub async fn same_origin_only(
    State(app): State<Arc<AppOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || CALLED_BY_APPS.contains(&request.uri().path());
    match request.headers().get(ORIGIN) {
        Some(origin) if !safe && !app.admits(origin.as_bytes()) => {
            let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
            tracing::warn!(
                %origin,
                method = %request.method(),
                path = request.uri().path(),
                "a state-changing request from another site was refused"
            );
            refused(&origin, &app.0)
        }
        _ => next.run(request).await,
    }
}

/// The code of a state-changing request from another site, in the JSON API's contract.
pub const CROSS_ORIGIN: &str = "cross_origin";

fn refused(origin: &str, app: &Origin) -> Response {
    let answer = ErrorAnswer {
        error: ErrorBody {
            code: ErrorCode(CROSS_ORIGIN),
            message: format!(
                "this request came from {origin}; wxgate only takes changes from its own pages at {} (APP_URL)",
                app.ascii_serialization()
            ),
        },
    };
    (StatusCode::FORBIDDEN, Json(answer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_app_urls_own_origin_is_admitted() {
        let app = AppOrigin::of(&Url::parse("https://shop.example.com/").expect("url"));
        assert!(app.admits(b"https://shop.example.com"));
        assert!(app.admits(b"https://shop.example.com:443"));
        for other in [
            &b"http://shop.example.com"[..],
            b"https://evil.example.com",
            b"https://shop.example.com.evil.example",
            b"https://shop.example.com:8443",
            b"null",
            b"",
            b"\xff",
        ] {
            assert!(!app.admits(other), "{}", String::from_utf8_lossy(other));
        }
    }
}
