//! Security headers on every response: a Content-Security-Policy (pages get one whose scripts must carry this
//! response's nonce, which Leptos writes on its hydration and streaming scripts; everything else gets one that
//! allows nothing), `X-Content-Type-Options: nosniff`, `Referrer-Policy`, and `Strict-Transport-Security` when
//! wxgate is served over https. A response that brings its own policy (the sandbox's pages) keeps it.
//!
//! Policy syntax: <https://www.w3.org/TR/CSP3/>; `'wasm-unsafe-eval'` lets the page compile the app's WebAssembly
//! and nothing else (<https://www.w3.org/TR/CSP3/#wasm-integration>).

use std::sync::Arc;

use app::ssr::config::Settings;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use leptos::prelude::{provide_context, use_context};
use rand::RngCore as _;

/// WeChat's avatar hosts (`headimgurl`, `avatarUrl`), shown on the account page.
const WECHAT_AVATAR_HOSTS: &str = "https://thirdwx.qlogo.cn https://wx.qlogo.cn";
/// What every response that is not a page may do: nothing, and not be framed by other sites.
const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'self'";
/// A year, as browsers remember that this site is https only.
const HSTS: &str = "max-age=31536000";

/// The nonce of one response's scripts: made per request, handed to Leptos, named in the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptNonce(String);

impl ScriptNonce {
    /// 128 random bits, base64url: what CSP asks of a nonce (<https://www.w3.org/TR/CSP3/#security-nonces>).
    fn new() -> ScriptNonce {
        let mut bytes = [0_u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        ScriptNonce(URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// In Leptos' render context: makes this request's nonce the one Leptos writes on the page's scripts (Leptos
/// otherwise makes one of its own, which no header would name).
pub fn provide_page_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ScriptNonce>().cloned());
    if let Some(ScriptNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The policies of one wxgate.
#[derive(Debug, Clone)]
pub struct Policies {
    /// Where scripts may come from besides this site and the nonce.
    scripts: String,
    /// The page policy after `script-src`.
    rest: String,
    hsts: bool,
}

impl Policies {
    /// Live, pages may load WeChat's JS-SDK, show WeChat avatars and frame WeChat's QR login page; in sandbox mode
    /// all of that is this site (the sandbox's stand-ins under `/sandbox`, data-URL avatars).
    pub fn new(settings: &Settings, live: bool) -> Policies {
        let open = settings.wechat.endpoints.open.origin();
        let mut frames = "'self'".to_owned();
        if open.is_tuple() && open != settings.app_url.origin() {
            frames = format!("{frames} {}", open.ascii_serialization());
        }
        let (scripts, images) = if live {
            (
                format!(" {}", app::ssr::share::WECHAT_SCRIPT),
                format!("'self' data: {WECHAT_AVATAR_HOSTS}"),
            )
        } else {
            (String::new(), "'self' data:".to_owned())
        };
        Policies {
            scripts,
            rest: format!(
                "style-src 'self'; img-src {images}; connect-src 'self'; frame-src {frames}; \
                 frame-ancestors 'self'; object-src 'none'; base-uri 'self'"
            ),
            hsts: settings.secure_cookies(),
        }
    }

    /// The policy of a page whose scripts carry `nonce`.
    fn page(&self, nonce: &ScriptNonce) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'{}; {}",
            nonce.0, self.scripts, self.rest
        )
    }
}

/// The middleware: a nonce for the request, the headers on its response.
pub async fn security_headers(
    State(policies): State<Arc<Policies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = ScriptNonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        let policy = if is_page(headers) {
            policies.page(&nonce)
        } else {
            NOT_A_PAGE.to_owned()
        };
        if let Ok(policy) = HeaderValue::from_str(&policy) {
            headers.insert(CONTENT_SECURITY_POLICY, policy);
        }
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if policies.hsts {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

fn is_page(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_and_fit_a_policy() {
        let (first, second) = (ScriptNonce::new(), ScriptNonce::new());
        assert_ne!(first, second);
        assert_eq!(first.0.len(), 22);
        assert!(first
            .0
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
    }
}
