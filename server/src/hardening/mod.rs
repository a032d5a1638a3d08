//! HTTP hardening around the whole app, the sandbox under `/sandbox` included: security headers with a nonce per
//! page ([`headers`]), same-origin checks on state-changing requests ([`origin`]), and time limits on reading a
//! request's body and on answering it. The limit on reading a request's headers is the server's
//! ([`crate::serving`]).

pub mod headers;
pub mod origin;
pub mod time_limit;

use std::sync::Arc;
use std::time::Duration;

use app::ssr::config::Settings;
use axum::Router;
use tower_http::timeout::RequestBodyTimeoutLayer;
use wechat::{api, pay::client::CALL_BUDGET};

pub use headers::provide_page_nonce;

/// How long a client may take to send a request's headers unless `WXGATE_HEADER_TIMEOUT_SECONDS` says otherwise.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may go without sending anything unless `WXGATE_BODY_TIMEOUT_SECONDS` says otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The time limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request to the end of its headers.
    pub header_read: Duration,
    /// The longest pause while a request body is sent.
    pub body_read: Duration,
    /// From the request to its answer's headers (a page's body may stream on).
    pub handler: Duration,
}

/// The longest a request may take to be answered unless `WXGATE_HANDLER_TIMEOUT_SECONDS` says otherwise: two of the
/// longest WeChat calls one request can make after each other (a WeChat Pay call with its retries, or a WeChat API
/// call and its retry when busy, each attempt `WECHAT_TIMEOUT_SECONDS`), and ten seconds for everything else. With
/// the default settings, 71 seconds.
pub fn default_handler_timeout(settings: &Settings) -> Duration {
    let longest_call = CALL_BUDGET.max(api::call_budget(settings.wechat.timeout));
    longest_call.saturating_mul(2) + Duration::from_secs(10)
}

/// The layers, made once from the settings.
#[derive(Debug, Clone)]
pub struct Hardening {
    policies: Arc<headers::Policies>,
    origin: Arc<origin::AppOrigin>,
    timeouts: Timeouts,
}

impl Hardening {
    /// `live` is false in sandbox mode, where the sandbox plays WeChat on this site.
    pub fn new(settings: &Settings, live: bool, timeouts: Timeouts) -> Hardening {
        Hardening {
            policies: Arc::new(headers::Policies::new(settings, live)),
            origin: Arc::new(origin::AppOrigin::of(&settings.app_url)),
            timeouts,
        }
    }

    /// `router` inside the layers: headers outermost (every answer has them, refusals and timeouts too), then the
    /// origin check, the handler's time limit (503) and the body's.
    pub fn apply(self, router: Router) -> Router {
        router
            .layer(RequestBodyTimeoutLayer::new(self.timeouts.body_read))
            .layer(axum::middleware::from_fn_with_state(
                self.timeouts.handler,
                time_limit::answer_within,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.origin,
                origin::same_origin_only,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.policies,
                headers::security_headers,
            ))
    }
}
