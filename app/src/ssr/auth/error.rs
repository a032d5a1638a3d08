//! What a login can end with other than success: a stable code for programs, a sentence for people, and the
//! cause kept for the logs.

use crate::ssr::db::DbError;
use wechat::api::{errcode, ApiError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0} login is not configured on this wxgate")]
    NotEnabled(&'static str),
    #[error("the request is missing or has a malformed {0}")]
    BadRequest(&'static str),
    #[error("the login code is invalid or expired; get a new one (wx.login) and try again")]
    InvalidCode,
    #[error("the login code was already used; get a new one (wx.login) and try again")]
    CodeUsed,
    #[error("WeChat blocked this login because the account looks risky (40226)")]
    HighRiskUser,
    #[error("WeChat is busy; try again in a moment")]
    WeChatBusy,
    #[error("WeChat did not answer in time; try again")]
    UpstreamTimeout,
    #[error("WeChat refused the request (errcode {0})")]
    WeChat(i64),
    #[error("the session_key is stale: call wx.login again, then retry")]
    SessionKeyStale,
    #[error("sign in first")]
    Unauthenticated,
    #[error("this login link is invalid or was already used; start the login again")]
    InvalidState,
    #[error("this login link has expired; start the login again")]
    StateExpired,
    #[error("the official-account login runs in the WeChat browser: open GET /api/auth/wechat/oauth/start there; POST /api/auth/oauth/start is only for the website QR login (provider wechat_web)")]
    WeChatBrowserOnly,
    #[error("pages opened from Moments cannot sign in; open the page in WeChat")]
    SnapshotUser,
    #[error("too many attempts; wait a minute and try again")]
    RateLimited,
    #[error("the server could not complete the login")]
    Internal(String),
}

impl AuthError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::NotEnabled(_) => "provider_disabled",
            AuthError::BadRequest(_) => "bad_request",
            AuthError::InvalidCode => "invalid_code",
            AuthError::CodeUsed => "code_used",
            AuthError::HighRiskUser => "user_blocked",
            AuthError::WeChatBusy => "wechat_busy",
            AuthError::UpstreamTimeout => "upstream_timeout",
            AuthError::WeChat(_) => "wechat_error",
            AuthError::SessionKeyStale => "session_key_stale",
            AuthError::Unauthenticated => "unauthenticated",
            AuthError::InvalidState => "invalid_state",
            AuthError::StateExpired => "state_expired",
            AuthError::WeChatBrowserOnly => "wechat_browser_only",
            AuthError::SnapshotUser => "snapshot_user",
            AuthError::RateLimited => "rate_limited",
            AuthError::Internal(_) => "internal",
        }
    }

    /// What a failed login counts as in the metrics: WeChat's errcode when WeChat refused it for a reason wxgate
    /// has no code of its own for, else the stable code.
    pub fn outcome(&self) -> std::borrow::Cow<'static, str> {
        match self {
            AuthError::WeChat(errcode) => errcode.to_string().into(),
            other => other.code().into(),
        }
    }
}

/// Counts a login with `provider` by its outcome (`ok`, an errcode or an error code) and hands it back.
pub(super) fn counted<T>(
    provider: &'static str,
    login: Result<T, AuthError>,
) -> Result<T, AuthError> {
    let outcome = login
        .as_ref()
        .map_or_else(AuthError::outcome, |_| "ok".into());
    crate::ssr::metrics::login(provider, outcome);
    login
}

impl From<ApiError> for AuthError {
    fn from(error: ApiError) -> AuthError {
        match error {
            ApiError::WeChat { errcode, .. } => match errcode {
                errcode::INVALID_CODE | 42003 => AuthError::InvalidCode,
                errcode::CODE_USED => AuthError::CodeUsed,
                errcode::HIGH_RISK_USER => AuthError::HighRiskUser,
                errcode::BUSY => AuthError::WeChatBusy,
                other => AuthError::WeChat(other),
            },
            ApiError::Timeout => AuthError::UpstreamTimeout,
            ApiError::Network(cause) | ApiError::Decode(cause) => AuthError::Internal(cause),
        }
    }
}

impl From<DbError> for AuthError {
    fn from(error: DbError) -> AuthError {
        AuthError::Internal(error.to_string())
    }
}

impl From<tower_sessions::session::Error> for AuthError {
    fn from(error: tower_sessions::session::Error) -> AuthError {
        AuthError::Internal(format!("session store: {error}"))
    }
}
