//! Web OAuth for the official account (inside the WeChat browser) and for the Open Platform website app (QR login
//! on desktop): the URLs a browser is sent to, the code exchange, refresh, user info and the token check.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html>,
//! <https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html>.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::api::{ApiClient, WeChatError};
use crate::credentials::AppCredentials;

/// What the official-account page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Silent: the openid only.
    Base,
    /// A consent page: also nickname and avatar.
    UserInfo,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Base => "snsapi_base",
            Scope::UserInfo => "snsapi_userinfo",
        }
    }
}

/// How the website QR is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrStyle {
    /// A full page on WeChat's host.
    Page,
    /// WeChat's page inside an iframe of ours (wxLogin.js); `self_redirect` keeps the redirect inside the frame.
    Embedded { self_redirect: bool },
}

/// The official-account authorize URL: `redirect_uri` strictly encoded, `#wechat_redirect` last.
pub fn authorize_url(
    open_base: &Url,
    appid: &str,
    redirect_uri: &str,
    scope: Scope,
    state: &str,
) -> String {
    format!(
        "{}/connect/oauth2/authorize?appid={appid}&redirect_uri={}&response_type=code&scope={}&state={state}&connect_redirect=1#wechat_redirect",
        open_base.as_str().trim_end_matches('/'),
        strict_encode(redirect_uri),
        scope.as_str(),
    )
}

/// The website QR-login URL, as a page or for an iframe.
pub fn qrconnect_url(
    open_base: &Url,
    appid: &str,
    redirect_uri: &str,
    state: &str,
    style: QrStyle,
) -> String {
    let embedded = match style {
        QrStyle::Page => String::new(),
        QrStyle::Embedded { self_redirect } => {
            format!("&login_type=jssdk&self_redirect={self_redirect}&style=black")
        }
    };
    format!(
        "{}/connect/qrconnect?appid={appid}&redirect_uri={}&response_type=code&scope=snsapi_login&state={state}{embedded}&lang=cn#wechat_redirect",
        open_base.as_str().trim_end_matches('/'),
        strict_encode(redirect_uri),
    )
}

/// Percent-encodes everything but unreserved characters, as WeChat expects of `redirect_uri`.
fn strict_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A user's web access token (unrelated to the server access token).
#[derive(Debug, Clone)]
pub struct UserToken {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_in: i64,
    pub openid: String,
    pub scope: String,
    pub unionid: Option<String>,
    /// A snapshot-page user from Moments: a virtual openid, not a real account.
    pub is_snapshot_user: bool,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    openid: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    unionid: Option<String>,
    #[serde(default)]
    is_snapshotuser: i64,
}

impl From<TokenAnswer> for UserToken {
    fn from(answer: TokenAnswer) -> UserToken {
        UserToken {
            access_token: SecretString::from(answer.access_token),
            refresh_token: SecretString::from(answer.refresh_token),
            expires_in: answer.expires_in,
            openid: answer.openid,
            scope: answer.scope,
            unionid: answer.unionid.filter(|unionid| !unionid.is_empty()),
            is_snapshot_user: answer.is_snapshotuser == 1,
        }
    }
}

/// Exchanges an OAuth code (single use, five minutes) with the app's credentials.
pub async fn exchange_code(
    api: &ApiClient,
    app: &AppCredentials,
    code: &str,
) -> Result<UserToken, WeChatError> {
    let answer: TokenAnswer = api
        .get(
            "/sns/oauth2/access_token",
            &[
                ("appid", app.appid.as_str()),
                ("secret", app.secret.expose_secret()),
                ("code", code),
                ("grant_type", "authorization_code"),
            ],
        )
        .await?;
    Ok(answer.into())
}

/// Renews a user token with its refresh token (valid 30 days).
pub async fn refresh(
    api: &ApiClient,
    app: &AppCredentials,
    refresh_token: &SecretString,
) -> Result<UserToken, WeChatError> {
    let answer: TokenAnswer = api
        .get(
            "/sns/oauth2/refresh_token",
            &[
                ("appid", app.appid.as_str()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ],
        )
        .await?;
    Ok(answer.into())
}

/// A user's public profile (needs snsapi_userinfo or snsapi_login).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    pub openid: String,
    pub nickname: String,
    #[serde(default)]
    pub headimgurl: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

pub async fn user_info(api: &ApiClient, token: &UserToken) -> Result<UserInfo, WeChatError> {
    api.get(
        "/sns/userinfo",
        &[
            ("access_token", token.access_token.expose_secret()),
            ("openid", &token.openid),
            ("lang", "zh_CN"),
        ],
    )
    .await
}

#[derive(Deserialize)]
struct Acknowledged {}

/// Checks that a user token is still valid.
pub async fn check_token(api: &ApiClient, token: &UserToken) -> Result<(), WeChatError> {
    let _: Acknowledged = api
        .get(
            "/sns/auth",
            &[
                ("access_token", token.access_token.expose_secret()),
                ("openid", &token.openid),
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Url {
        Url::parse("https://open.weixin.qq.com").expect("url")
    }

    #[test]
    fn authorize_url_encodes_strictly_and_ends_with_wechat_redirect() {
        let url = authorize_url(
            &open(),
            "wx1234567890abcdef",
            "https://a.example.com/cb?next=/x y",
            Scope::Base,
            "S1",
        );
        assert_eq!(
            url,
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1234567890abcdef\
             &redirect_uri=https%3A%2F%2Fa.example.com%2Fcb%3Fnext%3D%2Fx%20y&response_type=code\
             &scope=snsapi_base&state=S1&connect_redirect=1#wechat_redirect"
        );
    }

    #[test]
    fn qrconnect_url_has_the_login_scope_and_the_embedded_parameters() {
        let page = qrconnect_url(
            &open(),
            "wxabc",
            "https://a.example.com/cb",
            "S",
            QrStyle::Page,
        );
        assert!(page.contains("/connect/qrconnect?appid=wxabc&"));
        assert!(page.contains("&scope=snsapi_login&state=S&lang=cn#wechat_redirect"));
        let frame = qrconnect_url(
            &open(),
            "wxabc",
            "https://a.example.com/cb",
            "S",
            QrStyle::Embedded {
                self_redirect: false,
            },
        );
        assert!(frame
            .contains("&login_type=jssdk&self_redirect=false&style=black&lang=cn#wechat_redirect"));
    }
}
