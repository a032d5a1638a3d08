//! The JS-SDK set-up for a page inside WeChat: `wx.config` signed for the page's own URL (without `#…`) with the
//! official account's jsapi_ticket, and the card the page is shared as. In sandbox mode the page loads the sandbox's
//! stand-in for WeChat's script.
//!
//! Doc: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html> (steps 2–3 and appendix 1).

use secrecy::ExposeSecret;

use super::context::AppContext;
use super::db::new_id;
use crate::ssr::clock::now;
use crate::types::shop::{ShareCard, WeChatPageConfig};
use wechat::jssdk;

/// WeChat's JS-SDK, as its documentation links it (the pages' Content-Security-Policy allows exactly this script).
pub const WECHAT_SCRIPT: &str = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";
/// What every shared page says under its title.
const SHARE_DESCRIPTION: &str = "微信登录与微信支付，一站搞定。";

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("this wxgate has no official account, so pages cannot use the JS-SDK")]
    NoOfficialAccount,
    #[error("only this site's own pages can be signed")]
    ForeignUrl,
    #[error("the jsapi_ticket could not be fetched: {0}")]
    Ticket(String),
}

/// `wx.config` and the share card for the page at `page_url` titled `title`.
pub async fn page_config(
    context: &AppContext,
    page_url: &str,
    title: &str,
) -> Result<WeChatPageConfig, ShareError> {
    let official_account = context
        .wechat
        .official_account
        .as_ref()
        .ok_or(ShareError::NoOfficialAccount)?;
    let page_url = jssdk::page_url(page_url);
    if !is_own_page(context, page_url) {
        return Err(ShareError::ForeignUrl);
    }
    let ticket = official_account
        .token
        .jsapi_ticket()
        .await
        .map_err(|error| ShareError::Ticket(error.to_string()))?;
    let nonce_str = new_id();
    let timestamp = now().to_string();
    let signature = jssdk::signature(ticket.expose_secret(), &nonce_str, &timestamp, page_url);
    let origin = context.settings.app_url.as_str().trim_end_matches('/');
    Ok(WeChatPageConfig {
        script: match &context.settings.sandbox_links {
            Some(links) => links.jsbridge_script.clone(),
            None => WECHAT_SCRIPT.to_owned(),
        },
        app_id: official_account.credentials.appid.to_string(),
        timestamp,
        nonce_str,
        signature,
        share: ShareCard {
            title: if title.trim().is_empty() {
                "wxgate".to_owned()
            } else {
                title.trim().chars().take(64).collect()
            },
            desc: SHARE_DESCRIPTION.to_owned(),
            link: page_url.to_owned(),
            img_url: format!("{origin}/share.png"),
        },
    })
}

/// True when `url` is a page of this wxgate: the same scheme, host and port as `APP_URL`.
fn is_own_page(context: &AppContext, url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let own = &context.settings.app_url;
    url.scheme() == own.scheme()
        && url.host_str() == own.host_str()
        && url.port_or_known_default() == own.port_or_known_default()
}
