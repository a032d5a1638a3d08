//! Whether a mini program is trade-managed (`wxa/sec/order/is_trade_managed`), asked once in a while: WeChat holds a
//! managed mini program's payments until their shipping is reported; an unmanaged one needs no report.

use secrecy::ExposeSecret;

use crate::ssr::clock::now;
use crate::ssr::context::{AppContext, WeChatApp};
use wechat::api::WeChatError;

/// How long an answer is believed before WeChat is asked again.
pub const ANSWER_TTL_SECONDS: i64 = 60 * 60;

/// Whether the mini program `appid` is trade-managed: the answer kept from the last hour, else WeChat's (kept).
pub async fn is_trade_managed(
    context: &AppContext,
    app: &WeChatApp,
    appid: &str,
) -> Result<bool, ManagedError> {
    if let Some(managed) = context
        .db
        .trade_managed(appid, now() - ANSWER_TTL_SECONDS)
        .await?
    {
        return Ok(managed);
    }
    let api = &context.wechat.api;
    let managed = app
        .token
        .with_access_token(|token| async move {
            wechat::shipping::is_trade_managed(api, token.expose_secret(), appid).await
        })
        .await?;
    context.db.remember_trade_managed(appid, managed).await?;
    Ok(managed)
}

/// Why the answer could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ManagedError {
    #[error("is_trade_managed: {0}")]
    WeChat(#[from] WeChatError),
    #[error("the trade-management cache: {0}")]
    Db(#[from] crate::ssr::db::DbError),
}
