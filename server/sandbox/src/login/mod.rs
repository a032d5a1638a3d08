//! The login half of the sandbox: api.weixin.qq.com's `sns`, `cgi-bin` and `wxa` endpoints, open.weixin.qq.com's
//! OAuth and QR pages, personas, and the control routes that mint codes.

pub(crate) mod api;
mod control;
pub(crate) mod faults;
mod pages;
pub mod personas;
pub mod state;
mod tokens;

pub use tokens::rid;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{get, post};
use axum::Router;

use super::credentials::SandboxCredentials;
use super::Sandbox;
use state::{App, AppKind, LoginState};

/// The login side's state behind one lock (held briefly, never across an await).
#[derive(Debug)]
pub struct LoginSandbox {
    state: Mutex<LoginState>,
}

impl LoginSandbox {
    /// The sandbox's three apps, all in one Open Platform account.
    pub fn new(credentials: &SandboxCredentials) -> LoginSandbox {
        let app = |appid: &str, secret: &str, kind, name| App {
            appid: appid.to_owned(),
            secret: secret.to_owned(),
            kind,
            name,
            open_platform: true,
        };
        LoginSandbox {
            state: Mutex::new(LoginState::new(vec![
                app(
                    &credentials.mp_appid,
                    &credentials.mp_secret,
                    AppKind::MiniProgram,
                    "沙盒小程序 (sandbox mini program)",
                ),
                app(
                    &credentials.oa_appid,
                    &credentials.oa_secret,
                    AppKind::OfficialAccount,
                    "沙盒公众号 (sandbox official account)",
                ),
                app(
                    &credentials.web_appid,
                    &credentials.web_secret,
                    AppKind::Website,
                    "沙盒网站应用 (sandbox website app)",
                ),
            ])),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, LoginState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// WeChat's login paths; the JSON endpoints go through the faults in force.
pub fn wechat_routes(sandbox: &Arc<Sandbox>) -> Router<Arc<Sandbox>> {
    let json_endpoints = Router::new()
        .route("/sns/jscode2session", get(api::code_to_session))
        .route("/sns/oauth2/access_token", get(api::oauth_access_token))
        .route("/sns/oauth2/refresh_token", get(api::oauth_refresh_token))
        .route("/sns/userinfo", get(api::user_info))
        .route("/sns/auth", get(api::check_user_token))
        .route("/cgi-bin/token", get(api::classic_token))
        .route("/cgi-bin/stable_token", post(api::stable_token))
        .route("/cgi-bin/ticket/getticket", get(api::jsapi_ticket))
        .route("/wxa/business/getuserphonenumber", post(api::phone_number))
        .route("/wxa/checksession", get(api::check_session))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(sandbox),
            faults::apply,
        ));
    Router::new()
        .merge(json_endpoints)
        .route("/connect/oauth2/authorize", get(pages::authorize))
        .route("/connect/oauth2/authorize/decide", post(pages::decide))
        .route("/connect/qrconnect", get(pages::qrconnect))
        .route("/connect/qrconnect/status", get(pages::qr_status))
        .route("/connect/qrconnect/poll.js", get(pages::qr_poll_script))
        .route(
            "/connect/confirm",
            get(pages::confirm_page).post(pages::confirm),
        )
}

/// The login side's control routes, relative to `/sandbox`.
pub fn control_routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/mp/login-code", post(control::login_code))
        .route("/mp/phone-code", post(control::phone_code))
        .route("/mp/encrypted-data", post(control::encrypted_data))
        .route("/codes/expire", post(control::expire_codes))
        .route("/tokens/expire", post(control::expire_tokens))
        .route(
            "/refresh-tokens/expire",
            post(control::expire_refresh_tokens),
        )
        .route(
            "/personas",
            get(control::list_personas).post(control::add_persona),
        )
        .route(
            "/apps/{appid}/open-platform",
            post(control::bind_open_platform),
        )
        .route(
            "/login/faults",
            get(faults::current).post(faults::set).delete(faults::clear),
        )
}
