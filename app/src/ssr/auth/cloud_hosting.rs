//! WeChat Cloud Hosting (微信云托管) sign-in. A mini program calling a Cloud Hosting service with
//! `wx.cloud.callContainer` reaches it through WeChat's gateway, which adds who is calling as headers: `X-WX-SOURCE`,
//! `X-WX-APPID`, `X-WX-OPENID`, and `X-WX-UNIONID` when the mini program is bound to an Open Platform account
//! (<https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloudrun/src/guide/weixin/open.html>). No code
//! is exchanged: the gateway vouches for the openid, so the user is signed in as `jscode2session` would sign them in,
//! linked through the unionid.
//!
//! The headers are only worth that much when nothing but the gateway can reach wxgate, so this is off unless
//! `WXGATE_CLOUD_HOSTING=1`; off, the headers are ignored entirely.

use axum::http::HeaderMap;

use super::error::{counted, AuthError};
use super::mini_program::PROVIDER;
use crate::ssr::bounds;
use crate::ssr::context::AppContext;
use crate::ssr::db::NewIdentity;

/// Who the gateway says is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudCaller {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
}

/// A header's value, when present, text and within [`bounds::MAX_ID_BYTES`].
fn header(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, AuthError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| AuthError::BadRequest(name))?
                .trim();
            if text.is_empty() {
                Ok(None)
            } else if text.len() > bounds::MAX_ID_BYTES {
                Err(AuthError::BadRequest(name))
            } else {
                Ok(Some(text.to_owned()))
            }
        }
    }
}

/// The caller the gateway's headers name; a request without `X-WX-SOURCE`, `X-WX-APPID` and `X-WX-OPENID` did not
/// come through the gateway.
pub fn caller(headers: &HeaderMap) -> Result<CloudCaller, AuthError> {
    let through_gateway = header(headers, "x-wx-source")?.is_some();
    let appid = header(headers, "x-wx-appid")?;
    let openid = header(headers, "x-wx-openid")?;
    match (through_gateway, appid, openid) {
        (true, Some(appid), Some(openid)) => Ok(CloudCaller {
            appid,
            openid,
            unionid: header(headers, "x-wx-unionid")?,
        }),
        _ => Err(AuthError::BadRequest(
            "X-WX-SOURCE, X-WX-APPID and X-WX-OPENID (the Cloud Hosting gateway's headers)",
        )),
    }
}

/// Signs the caller in: the appid must be this wxgate's mini program; the identity is linked as a mini-program
/// login's is.
pub async fn log_in(context: &AppContext, caller: &CloudCaller) -> Result<String, AuthError> {
    counted("cloud_hosting", link(context, caller).await)
}

async fn link(context: &AppContext, caller: &CloudCaller) -> Result<String, AuthError> {
    if !context.settings.cloud_hosting {
        return Err(AuthError::NotEnabled("Cloud Hosting"));
    }
    let app = context
        .wechat
        .mini_program
        .as_ref()
        .ok_or(AuthError::NotEnabled("mini program"))?;
    if caller.appid != app.credentials.appid.as_str() {
        return Err(AuthError::BadRequest(
            "X-WX-APPID (it is not this wxgate's mini program)",
        ));
    }
    Ok(context
        .db
        .link_identity(&NewIdentity {
            appid: &caller.appid,
            openid: &caller.openid,
            unionid: caller.unionid.as_deref(),
            provider: PROVIDER,
            nickname: None,
            avatar_url: None,
        })
        .await?)
}
