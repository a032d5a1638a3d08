//! The answers the JSON API gives, as the contract documents them.

use app::ssr::auth::mini_program::{NextStep, UserState};
use app::ssr::db::{IdentityRow, UserRow};
use app::types::money::Fen;
use app::types::shop::JsapiPayParams;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoResponses, ToSchema};

/// A mini-program login: the session, as a bearer token (it is also set as a cookie), and the user's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    /// Send it as `Authorization: Bearer …` on every later request.
    pub session_token: String,
    pub user_id: String,
    pub has_phone: bool,
    pub next_step: NextStep,
}

impl LoginAnswer {
    pub fn new(session_token: String, state: UserState) -> LoginAnswer {
        LoginAnswer {
            session_token,
            user_id: state.user_id,
            has_phone: state.has_phone,
            next_step: state.next_step,
        }
    }
}

/// Legacy open data, decrypted and checked to name this mini program.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecryptedAnswer {
    /// WeChat's JSON, as decrypted (its `watermark.appid` is this mini program's).
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A started website QR login: show `url` (WeChat's QR page) and poll with `state` and `poll_secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollStarted {
    pub url: String,
    pub state: String,
    /// Goes only in the `Wxgate-Poll-Secret` header of the polls, never in a URL.
    pub poll_secret: String,
}

/// Where a polled login stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PollResult {
    /// Nobody has scanned and confirmed yet.
    Pending,
    /// Signed in: the session token is given once.
    Done {
        user_id: String,
        session_token: String,
        next: String,
    },
    /// The login ended without a session; `error` is a login error code.
    Failed { error: String },
    /// Ten minutes passed since the start.
    Expired,
}

/// What kind of login a provider is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// `wx.login` in a mini program.
    Miniprogram,
    /// A browser redirect to WeChat.
    Oauth,
}

/// One way of logging in, and whether this wxgate has it switched on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderEntry {
    /// `wechat_mp`, `wechat_oa` or `wechat_web`.
    pub id: &'static str,
    #[serde(rename = "type")]
    pub kind: ProviderKind,
    pub enabled: bool,
}

/// One WeChat identity of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityAnswer {
    pub provider: String,
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
}

/// A user: the signed-in one (`/api/me`), or one the product's backend looks up (`/api/v1/users`).
#[derive(Debug, Serialize, ToSchema)]
pub struct MeAnswer {
    pub user_id: String,
    pub nickname: Option<String>,
    /// WeChat's (from an official-account or website login with the userinfo scope) or an uploaded one's
    /// `/api/avatars/{digest}`, relative to wxgate.
    pub avatar_url: Option<String>,
    pub has_phone: bool,
    pub phone: Option<String>,
    pub identities: Vec<IdentityAnswer>,
}

impl MeAnswer {
    pub fn new(user: UserRow, identities: Vec<IdentityRow>) -> MeAnswer {
        MeAnswer {
            user_id: user.id,
            nickname: user.nickname,
            avatar_url: user.avatar_url,
            has_phone: user.phone.is_some(),
            phone: user.phone,
            identities: identities
                .into_iter()
                .map(|identity| IdentityAnswer {
                    provider: identity.provider,
                    appid: identity.appid,
                    openid: identity.openid,
                    unionid: identity.unionid,
                })
                .collect(),
        }
    }
}

/// What `wx.requestPayment` takes, signed by wxgate, with the order it pays.
#[derive(Debug, Serialize, ToSchema)]
pub struct MiniProgramPayment {
    pub order_id: String,
    pub out_trade_no: String,
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    #[serde(rename = "signType")]
    pub sign_type: String,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

/// How a browser pays: exactly one of `jsapi` (inside WeChat), `h5_url` (a phone browser: send it there) and
/// `code_url` (a desktop: show it as a QR, or the order's `qr.svg`).
#[derive(Debug, Serialize, ToSchema)]
pub struct BrowserPayment {
    pub order_id: String,
    pub out_trade_no: String,
    pub total_fen: Fen,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jsapi: Option<JsapiPayParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub h5_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_url: Option<String>,
}

/// What a WeChat Pay notification that wxgate did not apply is answered with; WeChat Pay retries it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookRefusal {
    /// Always `FAIL`.
    pub code: &'static str,
    pub message: String,
}

/// The process answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: &'static str,
}

/// Whether the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: ReadinessStatus,
    /// `SQLite` or `PostgreSQL`.
    pub database: &'static str,
}

/// Ready, or not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    Ready,
    Unavailable,
}

/// A refusal of the OpenID Connect provider's token and userinfo endpoints (RFC 6749 §5.2, RFC 6750 §3).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthRefusal {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`,
    /// `invalid_scope`, `invalid_token` or `server_error`.
    pub error: String,
    pub error_description: String,
}

/// What the OpenID Connect authorization endpoint answers, to a GET or a form POST alike.
#[derive(IntoResponses)]
pub enum AuthorizeAnswers {
    /// To the client's redirect_uri with `code` and `state` (or `error`), or to wxgate's login first
    #[response(status = 303)]
    Redirect,
    /// A request that cannot go back to the client (unknown client, wrong redirect_uri)
    #[response(status = 400, content_type = "text/plain")]
    Refused(String),
    /// The server could not answer (the cause is in its log)
    #[response(status = 500)]
    Failed(OAuthRefusal),
}

/// What the OpenID Connect userinfo endpoint answers, to a GET or a form POST alike.
#[derive(IntoResponses)]
pub enum UserinfoAnswers {
    /// The claims the access token's scopes allow
    #[response(status = 200)]
    Claims(#[to_schema] serde_json::Map<String, Value>),
    /// invalid_request or invalid_token, with WWW-Authenticate: Bearer
    #[response(status = 401)]
    Refused(OAuthRefusal),
    /// The server could not answer (the cause is in its log)
    #[response(status = 500)]
    Failed(OAuthRefusal),
}

/// What the OpenID Connect logout endpoint answers, to a GET or a form POST alike.
#[derive(IntoResponses)]
pub enum LogoutAnswers {
    /// Without an ID token: the page asking the person to confirm
    #[response(status = 200, content_type = "text/html")]
    Confirm(String),
    /// Signed out: to the post_logout_redirect_uri (with state), or to wxgate's login
    #[response(status = 303)]
    Redirect,
    /// An unknown client or an unregistered post_logout_redirect_uri
    #[response(status = 400, content_type = "text/plain")]
    Refused(String),
    /// The server could not answer (the cause is in its log)
    #[response(status = 500)]
    Failed(OAuthRefusal),
}
