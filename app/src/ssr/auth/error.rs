//! What a login can end with other than success: a stable code for programs, a sentence for people, and the
//! cause kept for the logs.

use crate::ssr::cause::{self, Cause};
use crate::ssr::db::DbError;
use crate::types::{ApiError, LoginProblem};
use wechat::api::{errcode, WeChatError};

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
    Internal(#[source] Cause),
}

impl AuthError {
    /// Every code [`AuthError::code`] gives, for the JSON API's contract.
    pub const CODES: &'static [&'static str] = &[
        "provider_disabled",
        "bad_request",
        "invalid_code",
        "code_used",
        "user_blocked",
        "wechat_busy",
        "upstream_timeout",
        "wechat_error",
        "session_key_stale",
        "unauthenticated",
        "invalid_state",
        "state_expired",
        "wechat_browser_only",
        "snapshot_user",
        "rate_limited",
        "internal",
    ];

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

impl AuthError {
    /// What a page is told of this failure; `None` when wxgate itself failed (the page says it is unavailable).
    pub fn problem(&self) -> Option<LoginProblem> {
        Some(match self {
            AuthError::NotEnabled(_) | AuthError::WeChatBrowserOnly => LoginProblem::NotEnabled,
            AuthError::BadRequest(_)
            | AuthError::InvalidCode
            | AuthError::CodeUsed
            | AuthError::SessionKeyStale
            | AuthError::InvalidState
            | AuthError::StateExpired
            | AuthError::SnapshotUser => LoginProblem::StartAgain,
            AuthError::HighRiskUser
            | AuthError::WeChatBusy
            | AuthError::UpstreamTimeout
            | AuthError::WeChat(_) => LoginProblem::WeChatUnavailable,
            AuthError::RateLimited => LoginProblem::RateLimited,
            AuthError::Unauthenticated => LoginProblem::SignIn,
            AuthError::Internal(_) => return None,
        })
    }
}

/// A login failure as a server function reports it: the page gets the problem, the log keeps the cause (at ERROR
/// when wxgate failed, WARN when WeChat did, INFO for what the visitor can fix by starting again).
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        let Some(problem) = error.problem() else {
            tracing::error!(error = %cause::chain(&error), "a login step failed");
            return ApiError::Unavailable;
        };
        if problem == LoginProblem::WeChatUnavailable {
            tracing::warn!(%error, code = error.code(), "WeChat refused a login step");
        } else {
            tracing::info!(%error, code = error.code(), "a login step was refused");
        }
        ApiError::Login(problem)
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

impl From<WeChatError> for AuthError {
    fn from(error: WeChatError) -> AuthError {
        match error {
            WeChatError::WeChat { errcode, .. } => match errcode {
                errcode::INVALID_CODE | errcode::OAUTH_CODE_EXPIRED => AuthError::InvalidCode,
                errcode::CODE_USED => AuthError::CodeUsed,
                errcode::HIGH_RISK_USER => AuthError::HighRiskUser,
                errcode::BUSY => AuthError::WeChatBusy,
                other => AuthError::WeChat(other),
            },
            WeChatError::Timeout => AuthError::UpstreamTimeout,
            WeChatError::Network(cause) | WeChatError::Decode(cause) => {
                AuthError::Internal(Cause::new(cause))
            }
        }
    }
}

impl From<DbError> for AuthError {
    fn from(error: DbError) -> AuthError {
        AuthError::Internal(Cause::new(error))
    }
}

impl From<tower_sessions::session::Error> for AuthError {
    fn from(error: tower_sessions::session::Error) -> AuthError {
        AuthError::Internal(Cause::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_for_the_contract() {
        let every = [
            AuthError::NotEnabled("x"),
            AuthError::BadRequest("x"),
            AuthError::InvalidCode,
            AuthError::CodeUsed,
            AuthError::HighRiskUser,
            AuthError::WeChatBusy,
            AuthError::UpstreamTimeout,
            AuthError::WeChat(1),
            AuthError::SessionKeyStale,
            AuthError::Unauthenticated,
            AuthError::InvalidState,
            AuthError::StateExpired,
            AuthError::WeChatBrowserOnly,
            AuthError::SnapshotUser,
            AuthError::RateLimited,
            AuthError::Internal(Cause::new("x")),
        ];
        let codes: Vec<&str> = every.iter().map(AuthError::code).collect();
        assert_eq!(codes, AuthError::CODES);
    }
}
