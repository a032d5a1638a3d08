//! DTOs that cross the wire between the server and the browser. Nothing secret goes in here, ever.

pub mod channel;
pub mod events;
pub mod money;
pub mod shipping;
pub mod shop;
pub mod status;

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use channel::BrowserKind;

/// What the home page's status card shows: proof that the server, its database and the session all answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    /// The newest database migration applied.
    pub schema_version: i64,
    /// How many times this browser session has asked; kept in the server-side session.
    pub checks_this_session: u32,
    /// The wxgate version answering.
    pub server_version: String,
}

/// The errors a server function reports to the page, each said as a sentence by [`ApiError::sentence`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// The database or the session store did not answer.
    #[error("服务暂时不可用，请稍后再试。")]
    Unavailable,
    /// The request never reached the server function, or its answer could not be read.
    #[error("请求没有完成：{0}")]
    Transport(String),
    /// A shop action that did not happen, and why.
    #[error("{}", .0.sentence(crate::lang::Lang::Zh))]
    Shop(shop::ShopProblem),
    /// A login step that did not happen, and why.
    #[error("{}", .0.sentence(crate::lang::Lang::Zh))]
    Login(LoginProblem),
}

/// Why a login step did not happen, as a page says it; the cause stays in the server's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginProblem {
    /// This way of logging in is not configured on this wxgate.
    NotEnabled,
    /// The login link or code is used up, expired or not this browser's: start again.
    StartAgain,
    /// WeChat is busy, slow or refused: try again later.
    WeChatUnavailable,
    /// Too many attempts from here.
    RateLimited,
    /// Signing in is needed first.
    SignIn,
}

impl LoginProblem {
    /// The sentence a page shows for this problem.
    pub fn sentence(self, lang: crate::lang::Lang) -> &'static str {
        match self {
            LoginProblem::NotEnabled => lang.pick(
                "这种登录方式尚未开通。",
                "This way of signing in is not set up here.",
            ),
            LoginProblem::StartAgain => lang.pick(
                "登录已失效，请重新开始登录。",
                "This login has expired; please start again.",
            ),
            LoginProblem::WeChatUnavailable => lang.pick(
                "微信暂时没有响应，请稍后再试。",
                "WeChat is not answering right now; please try again shortly.",
            ),
            LoginProblem::RateLimited => lang.pick(
                "尝试次数太多，请一分钟后再试。",
                "Too many attempts; wait a minute and try again.",
            ),
            LoginProblem::SignIn => lang.pick("请先登录。", "Please sign in first."),
        }
    }
}

impl ApiError {
    /// The sentence a page shows for this error.
    pub fn sentence(&self, lang: crate::lang::Lang) -> String {
        match self {
            ApiError::Shop(problem) => problem.sentence(lang).to_owned(),
            ApiError::Login(problem) => problem.sentence(lang).to_owned(),
            ApiError::Unavailable => lang
                .pick(
                    "服务暂时不可用，请稍后再试。",
                    "The service is not available right now; please try again shortly.",
                )
                .to_owned(),
            ApiError::Transport(_) => lang
                .pick(
                    "请求没有完成，请检查网络后重试。",
                    "The request did not complete; check the connection and try again.",
                )
                .to_owned(),
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = crate::api::codec::JsonTextEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Transport(value.to_string())
    }
}

/// What the login page offers this visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    pub browser: BrowserKind,
    /// Starts the official-account login (silent snsapi_base) and comes back to `next`.
    pub wechat_start: Option<String>,
    /// WeChat's QR page for an iframe (website app), already tied to this browser's session.
    pub qr_frame: Option<String>,
    /// The full-page QR login, when the frame cannot be used.
    pub qr_page_start: Option<String>,
}

/// The signed-in user, as the account page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_id: String,
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub identities: Vec<LinkedIdentity>,
    /// Inside WeChat without a profile yet: the page offers to fetch nickname and avatar (snsapi_userinfo).
    pub profile_start: Option<String>,
    /// May refund, see every order and edit the catalogue (the page links to the admin page).
    pub is_admin: bool,
}

/// One WeChat identity of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIdentity {
    /// `wechat_mp`, `wechat_oa` or `wechat_web`.
    pub provider: String,
    pub openid: String,
    pub has_unionid: bool,
}
