//! The server function behind the JS-SDK set-up of pages opened inside WeChat.

use leptos::prelude::*;

use crate::types::shop::WeChatPageConfig;
use crate::types::ApiError;

/// `wx.config` for the page at `url` (the browser's `location.href`; the `#…` is dropped before signing) and its
/// share card titled `title`; `None` outside WeChat or without an official account.
#[server(prefix = "/api/fn", endpoint = "wechat_page", output = crate::api::codec::JsonText)]
pub async fn sign_wechat_page(
    url: String,
    title: String,
) -> Result<Option<WeChatPageConfig>, ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::share::{self, ShareError};
    use crate::types::channel::BrowserKind;

    super::bounded(
        bounds::fit("url", &url, bounds::MAX_URL_BYTES).and(bounds::fit(
            "title",
            &title,
            bounds::MAX_TITLE_BYTES,
        )),
    )?;
    let context = super::app_context()?;
    let headers: axum::http::HeaderMap = super::from_request().await?;
    if BrowserKind::from_headers(&headers) != BrowserKind::WeChat {
        return Ok(None);
    }
    match share::page_config(&context, &url, &title).await {
        Ok(config) => Ok(Some(config)),
        Err(ShareError::NoOfficialAccount) => Ok(None),
        Err(ShareError::ForeignUrl) => {
            Err(ApiError::Shop(crate::types::shop::ShopProblem::BadInput))
        }
        Err(error @ ShareError::Ticket(_)) => {
            tracing::error!(%error, "wx.config could not be signed");
            Err(ApiError::Unavailable)
        }
    }
}
