//! Mini program login: `wx.login`'s code for an openid and session_key, the session check, and the phone number.
//!
//! Docs: <https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html>,
//! <https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/checkSessionKey.html>,
//! <https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html>.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::api::{ApiClient, WeChatError};
use super::open_data::check_session_signature;
use crate::credentials::AppCredentials;

/// A mini-program user's session with WeChat. The session_key never leaves the server.
#[derive(Debug, Clone)]
pub struct MpSession {
    pub openid: String,
    pub unionid: Option<String>,
    pub session_key: SecretString,
}

#[derive(Deserialize)]
struct SessionAnswer {
    openid: String,
    session_key: String,
    #[serde(default)]
    unionid: Option<String>,
}

/// Exchanges a `wx.login` code (single use, five minutes).
pub async fn code_to_session(
    api: &ApiClient,
    app: &AppCredentials,
    code: &str,
) -> Result<MpSession, WeChatError> {
    let answer: SessionAnswer = api
        .get(
            "/sns/jscode2session",
            &[
                ("appid", app.appid.as_str()),
                ("secret", app.secret.expose_secret()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ],
        )
        .await?;
    Ok(MpSession {
        openid: answer.openid,
        unionid: answer.unionid.filter(|unionid| !unionid.is_empty()),
        session_key: SecretString::from(answer.session_key),
    })
}

#[derive(Deserialize)]
struct Acknowledged {}

/// Asks WeChat whether `session_key` is still the user's current one (87009 when not).
pub async fn check_session(
    api: &ApiClient,
    access_token: &str,
    session: &MpSession,
) -> Result<(), WeChatError> {
    let signature = check_session_signature(session.session_key.expose_secret());
    let _: Acknowledged = api
        .get(
            "/wxa/checksession",
            &[
                ("access_token", access_token),
                ("signature", &signature),
                ("openid", &session.openid),
                ("sig_method", "hmac_sha256"),
            ],
        )
        .await?;
    Ok(())
}

/// A phone number the user agreed to share.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneInfo {
    pub phone_number: String,
    pub pure_phone_number: String,
    pub country_code: String,
}

#[derive(Deserialize)]
struct PhoneAnswer {
    phone_info: PhoneInfo,
}

#[derive(Serialize)]
struct PhoneRequest<'a> {
    code: &'a str,
}

/// Exchanges a phone-number button's code (not a `wx.login` code) for the number.
pub async fn phone_number(
    api: &ApiClient,
    access_token: &str,
    code: &str,
) -> Result<PhoneInfo, WeChatError> {
    let answer: PhoneAnswer = api
        .post(
            "/wxa/business/getuserphonenumber",
            &[("access_token", access_token)],
            &PhoneRequest { code },
        )
        .await?;
    Ok(answer.phone_info)
}
