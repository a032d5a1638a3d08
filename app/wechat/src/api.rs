//! Calls to api.weixin.qq.com: errors come back with HTTP 200 and `{"errcode", "errmsg"}`, matched on the number,
//! never the text; `-1` (system busy) is retried once.
//!
//! Doc: <https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html>.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use super::failure;
use crate::metrics;

/// How long one call may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one call can take with `timeout` per attempt: two attempts when WeChat is busy.
pub fn call_budget(timeout: Duration) -> Duration {
    timeout.saturating_mul(2)
}

/// The errcodes a caller reacts to (WeChat's global return codes and the login APIs' own).
pub mod errcode {
    /// The system is busy: try again shortly.
    pub const BUSY: i64 = -1;
    /// The AppSecret is wrong, or the access token is not this app's.
    pub const INVALID_CREDENTIAL: i64 = 40001;
    /// The access token is not valid (renew it).
    pub const INVALID_ACCESS_TOKEN: i64 = 40014;
    /// The login code is not valid.
    pub const INVALID_CODE: i64 = 40029;
    /// The login code was used already.
    pub const CODE_USED: i64 = 40163;
    /// WeChat refuses this user as high-risk.
    pub const HIGH_RISK_USER: i64 = 40226;
    /// The access token expired (renew it).
    pub const ACCESS_TOKEN_EXPIRED: i64 = 42001;
    /// The OAuth refresh token's 30 days since the authorisation are over: the user must authorise again.
    pub const REFRESH_TOKEN_EXPIRED: i64 = 42002;
    /// The OAuth code expired before it was exchanged.
    pub const OAUTH_CODE_EXPIRED: i64 = 42003;
    /// The session-key signature (`checkSessionKey`) does not match.
    pub const BAD_SESSION_SIGNATURE: i64 = 87009;
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WeChatError {
    #[error("WeChat answered errcode {errcode}: {errmsg}")]
    WeChat { errcode: i64, errmsg: String },
    #[error("could not reach WeChat: {0}")]
    Network(String),
    #[error("WeChat timed out")]
    Timeout,
    #[error("WeChat's answer could not be read: {0}")]
    Decode(String),
}

impl WeChatError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WeChatError::WeChat { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// What the metrics count a failed call as: WeChat's errcode, or how it failed on the way.
    pub fn outcome(&self) -> Cow<'static, str> {
        match self {
            WeChatError::WeChat { errcode, .. } => errcode.to_string().into(),
            WeChatError::Network(_) => "network".into(),
            WeChatError::Timeout => "timeout".into(),
            WeChatError::Decode(_) => "decode".into(),
        }
    }

    /// True when the server access token was refused and a fresh one should be tried.
    pub fn is_stale_token(&self) -> bool {
        matches!(
            self.errcode(),
            Some(
                errcode::INVALID_CREDENTIAL
                    | errcode::INVALID_ACCESS_TOKEN
                    | errcode::ACCESS_TOKEN_EXPIRED
            )
        )
    }
}

#[derive(Debug, Deserialize)]
struct ErrorFields {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// A client for one WeChat host (api.weixin.qq.com or a stand-in).
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
}

impl ApiClient {
    pub fn new(base: Url) -> Result<ApiClient, WeChatError> {
        ApiClient::with_timeout(base, DEFAULT_TIMEOUT)
    }

    /// A client whose calls give up after `timeout`.
    pub fn with_timeout(base: Url, timeout: Duration) -> Result<ApiClient, WeChatError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|error| WeChatError::Network(failure::http(error)))?;
        Ok(ApiClient { http, base })
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, WeChatError> {
        self.retrying_busy(path, || self.http.get(self.url(path)).query(query))
            .await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, WeChatError> {
        self.retrying_busy(path, || {
            self.http.post(self.url(path)).query(query).json(body)
        })
        .await
    }

    /// Sends the request, and once more if WeChat says it is busy (so a call takes at most [`call_budget`]); the
    /// call is counted and timed under `path`.
    async fn retrying_busy<T: DeserializeOwned>(
        &self,
        path: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, WeChatError> {
        let started = Instant::now();
        let answer = match send(request()).await {
            Err(error) if error.errcode() == Some(errcode::BUSY) => send(request()).await,
            other => other,
        };
        let outcome = answer
            .as_ref()
            .map_or_else(WeChatError::outcome, |_| "ok".into());
        metrics::wechat_call(metrics::WECHAT, path, outcome, started.elapsed());
        answer
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }
}

/// A failed exchange: a timeout, or another failure told without the URL (whose query holds the secret, the
/// code or the access token).
fn transport_error(error: reqwest::Error) -> WeChatError {
    if error.is_timeout() {
        WeChatError::Timeout
    } else {
        WeChatError::Network(failure::http(error))
    }
}

async fn send<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, WeChatError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport_error)?;
    let fields: ErrorFields = serde_json::from_slice(&body)
        .map_err(|_| WeChatError::Decode(format!("HTTP {status}: not JSON")))?;
    if fields.errcode != 0 {
        return Err(WeChatError::WeChat {
            errcode: fields.errcode,
            errmsg: fields.errmsg,
        });
    }
    serde_json::from_slice(&body).map_err(|error| WeChatError::Decode(failure::json(&error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "the-app-secret-in-the-query";

    #[derive(Debug, Deserialize)]
    struct Anything {}

    /// Both ways an error can be written to a log.
    fn written(error: &WeChatError) -> String {
        format!("{error} {error:?}")
    }

    #[tokio::test]
    async fn a_url_too_long_to_send_fails_without_naming_its_query() {
        let api = ApiClient::new(Url::parse("http://127.0.0.1:9").expect("base")).expect("client");
        let code = "c".repeat(1 << 20);
        let error = api
            .get::<Anything>(
                "/sns/jscode2session",
                &[("secret", SECRET), ("js_code", &code)],
            )
            .await
            .expect_err("a 1 MB URL cannot be sent");
        assert!(matches!(error, WeChatError::Network(_)), "{error:?}");
        let written = written(&error);
        assert!(!written.contains(SECRET), "{written}");
        assert!(
            !written.contains("cccccccc"),
            "the code is not written either"
        );
    }

    #[tokio::test]
    async fn an_unreachable_host_fails_without_naming_its_query() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let api =
            ApiClient::new(Url::parse(&format!("http://{closed}")).expect("base")).expect("client");
        let error = api
            .get::<Anything>("/cgi-bin/token", &[("secret", SECRET)])
            .await
            .expect_err("nothing listens there");
        assert!(matches!(error, WeChatError::Network(_)), "{error:?}");
        let written = written(&error);
        assert!(!written.contains(SECRET), "{written}");
        assert!(!written.contains("/cgi-bin/token"), "{written}");
    }
}
