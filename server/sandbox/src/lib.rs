//! The WeChat sandbox: a local emulator of api.weixin.qq.com, open.weixin.qq.com and
//! api.mch.weixin.qq.com, with its own wire types, state and keys.
//!
//! WeChat's own paths (`/sns/…`, `/cgi-bin/…`, `/connect/…`, `/v3/…`) never collide, so one router plays all three
//! hosts. Alone (`wxgate sandbox`) they sit at the root; inside `wxgate serve` they sit under `/sandbox`. The control
//! API for tests and people is always under `/sandbox/` from the process's root.

mod bridge;
pub mod browser_address;
mod cloud;
pub mod credentials;
mod html;
pub mod keys;
pub mod login;
pub mod pay;
pub mod push;
pub mod qr;
pub mod shipping;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use credentials::SandboxCredentials;

/// Where a mounted sandbox serves its stand-in for WeChat's JS-SDK, relative to its mount (`/sandbox`).
pub const JSBRIDGE_PATH: &str = "/jsbridge.js";
/// Where a mounted sandbox serves the phone's page for a Native `code_url`, relative to its mount.
pub const PAY_SCAN_PATH: &str = "/pay/scan";

/// One running sandbox: its identities and keys, and where it can be reached.
#[derive(Debug)]
pub struct Sandbox {
    pub credentials: SandboxCredentials,
    /// The URL WeChat's paths are served under, e.g. `http://127.0.0.1:4000` or `http://127.0.0.1:3000/sandbox`.
    pub wechat_base: String,
    pub login: login::LoginSandbox,
    /// The WeChat Pay half: merchants, orders, refunds, notifications.
    pub pay: Arc<pay::PaySandbox>,
    /// The service the Cloud Hosting gateway forwards to (see [`cloud`]), once the host says which it is.
    cloud_service: std::sync::OnceLock<String>,
    /// The gateway's HTTP client.
    http: reqwest::Client,
    /// Mini-program shipping information and order states.
    pub shipping: shipping::Shipping,
    /// The message push: each app's console setting and the recent deliveries.
    pub push: push::Push,
}

impl Sandbox {
    /// A sandbox with these credentials, reached at `wechat_base`; `time_scale` and `bills` are the texts of
    /// [`pay::TIME_SCALE_ENV`] and [`pay::BILLS_ENV`], if set.
    pub fn new(
        credentials: SandboxCredentials,
        wechat_base: String,
        time_scale: Option<&str>,
        bills: Option<&str>,
    ) -> Result<Arc<Sandbox>, pay::PayInitError> {
        let wechat_base = wechat_base.trim_end_matches('/').to_owned();
        let pay = pay::PaySandbox::new(&credentials, time_scale, bills)?;
        pay.platform().h5_domains = pay::h5::default_domains(&wechat_base);
        Ok(Arc::new(Sandbox {
            login: login::LoginSandbox::new(&credentials),
            pay,
            credentials,
            wechat_base,
            cloud_service: std::sync::OnceLock::new(),
            http: reqwest::Client::new(),
            shipping: shipping::Shipping::default(),
            push: push::Push::default(),
        }))
    }

    /// Makes the service at `base` (e.g. `http://127.0.0.1:3000`) the one `wx.cloud.callContainer` reaches through
    /// the sandbox's Cloud Hosting gateway; the first call decides.
    pub fn serve_cloud_service(&self, base: &str) {
        let _ = self
            .cloud_service
            .set(base.trim_end_matches('/').to_owned());
    }

    /// The wxgate this sandbox serves, once known (see [`Sandbox::serve_cloud_service`]).
    fn service_base(&self) -> Option<&str> {
        self.cloud_service.get().map(String::as_str)
    }
}

/// WeChat's paths, relative to wherever the sandbox is mounted.
fn wechat_routes(sandbox: &Arc<Sandbox>) -> Router<Arc<Sandbox>> {
    Router::new()
        .merge(login::wechat_routes(sandbox))
        .merge(shipping::wechat_routes(sandbox))
        .merge(pay::wechat_routes())
}

/// The control API, relative to `/sandbox`.
fn control_routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/", get(describe))
        .merge(login::control_routes())
        .merge(pay::control_routes())
        .merge(bridge::routes())
        .route("/cloud/call-container", post(cloud::call_container))
        .merge(shipping::control_routes())
        .merge(push::control_routes())
}

/// The sandbox alone, as WeChat's hosts: WeChat's paths at the root, the control API under `/sandbox`.
pub fn standalone_router(sandbox: Arc<Sandbox>) -> Router {
    wechat_routes(&sandbox)
        .nest("/sandbox", control_routes())
        .with_state(sandbox)
}

/// Serves the sandbox alone ([`standalone_router`]) on `listener` until `shutdown` resolves.
pub async fn serve_alone(
    sandbox: Arc<Sandbox>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = standalone_router(sandbox).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The sandbox inside `wxgate serve`, to be nested under `/sandbox`: WeChat's paths and the control API side by side,
/// its pages under their own Content-Security-Policy (they are this site's pages there). Alone, the sandbox serves
/// other sites' pages (its QR page in their frames, its scripts on their pages) and sets no policy.
pub fn mounted_router(sandbox: Arc<Sandbox>) -> Router {
    let policy = HeaderValue::from_str(&html::content_security_policy())
        .expect("the sandbox's policy is ASCII");
    wechat_routes(&sandbox)
        .merge(control_routes())
        .with_state(sandbox)
        .layer(axum::middleware::map_response(
            move |mut response: Response| {
                let policy = policy.clone();
                async move {
                    response
                        .headers_mut()
                        .entry(CONTENT_SECURITY_POLICY)
                        .or_insert(policy);
                    response
                }
            },
        ))
}

/// What the sandbox plays, without its secrets: for people and for readiness checks.
async fn describe(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    let credentials = &sandbox.credentials;
    Json(json!({
        "sandbox": "wxgate WeChat sandbox",
        "api_base": sandbox.wechat_base,
        "open_base": sandbox.wechat_base,
        "pay_base": sandbox.wechat_base,
        "mp_appid": credentials.mp_appid,
        "oa_appid": credentials.oa_appid,
        "web_appid": credentials.web_appid,
        "app_appid": credentials.app_appid,
        "mchid": credentials.mchid,
        "pay_public_key_id": credentials.pay_public_key_id,
        "platform_cert_serial": credentials.platform_cert_serial,
    }))
}
