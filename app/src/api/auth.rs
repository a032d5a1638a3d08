//! Server functions behind the login and account pages.

use leptos::prelude::*;

use crate::types::{Account, ApiError, LoginOptions};

/// How this visitor can log in; for a desktop, the QR frame is started now and tied to this browser's session.
#[server(prefix = "/api/fn", endpoint = "login_options", output = crate::api::codec::JsonText)]
pub async fn fetch_login_options(next: String) -> Result<LoginOptions, ApiError> {
    use crate::ssr::auth::{oauth, session};
    use crate::ssr::bounds;
    use crate::types::channel::BrowserKind;
    use wechat::oauth::{QrStyle, Scope};

    super::bounded(bounds::fit("next", &next, bounds::MAX_NEXT_BYTES))?;
    let context = super::app_context()?;
    let (headers, session): (axum::http::HeaderMap, tower_sessions::Session) =
        super::from_request().await?;
    let browser = BrowserKind::from_headers(&headers);
    let next = crate::ssr::redirect::same_origin_path(&context.settings.app_url, Some(&next));
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let wechat_start = context
        .wechat
        .official_account
        .as_ref()
        .map(|_| format!("/api/auth/wechat/oauth/start?scope=base&next={encoded}"));
    let qr_page_start = context
        .wechat
        .website
        .as_ref()
        .map(|_| format!("/api/auth/wechat/oauth/start?provider=wechat_web&next={encoded}"));
    let qr_frame = match (browser, &context.wechat.website) {
        (BrowserKind::Desktop, Some(_)) => {
            let (url, pending) = oauth::start(
                &context,
                oauth::Provider::Website,
                Scope::UserInfo,
                QrStyle::Embedded {
                    self_redirect: false,
                },
                Some(&next),
            )
            .map_err(ApiError::from)?;
            session::remember_oauth(&session, &pending)
                .await
                .map_err(ApiError::from)?;
            Some(url)
        }
        _ => None,
    };
    Ok(LoginOptions {
        browser,
        wechat_start,
        qr_frame,
        qr_page_start,
    })
}

/// The signed-in user, or `None`.
#[server(prefix = "/api/fn", endpoint = "account", output = crate::api::codec::JsonText)]
pub async fn current_account() -> Result<Option<Account>, ApiError> {
    use crate::ssr::auth::account::{self, SignedIn};
    use crate::types::channel::BrowserKind;
    use crate::types::LinkedIdentity;

    let context = super::app_context()?;
    let (headers, session): (axum::http::HeaderMap, tower_sessions::Session) =
        super::from_request().await?;
    let Some(SignedIn { user, identities }) = account::signed_in(&context, &session)
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    let in_wechat = BrowserKind::from_headers(&headers) == BrowserKind::WeChat;
    let profile_start =
        (in_wechat && user.nickname.is_none() && context.wechat.official_account.is_some())
            .then(|| "/api/auth/wechat/oauth/start?scope=userinfo&next=%2Faccount".to_owned());
    let is_admin =
        crate::ssr::payments::access::names_admin(&context.settings.admins, &user, &identities);
    Ok(Some(Account {
        is_admin,
        user_id: user.id,
        nickname: user.nickname,
        avatar_url: user.avatar_url,
        phone: user.phone,
        identities: identities
            .into_iter()
            .map(|identity| LinkedIdentity {
                provider: identity.provider,
                openid: identity.openid,
                has_unionid: identity.unionid.is_some(),
            })
            .collect(),
        profile_start,
    }))
}

/// Ends the session.
#[server(prefix = "/api/fn", endpoint = "log_out", output = crate::api::codec::JsonText)]
pub async fn log_out() -> Result<(), ApiError> {
    let session: tower_sessions::Session = super::from_request().await?;
    crate::ssr::auth::session::sign_out(&session)
        .await
        .map_err(ApiError::from)
}
