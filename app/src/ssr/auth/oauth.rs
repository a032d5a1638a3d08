//! Web OAuth: the official account inside the WeChat browser and the website app's QR on desktops, through one
//! callback (the start/poll pair for clients that cannot follow redirects is in `poll`).

use super::error::{counted, AuthError};
use super::session::PendingOAuth;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::{new_id, NewIdentity};
use crate::ssr::digest::sha256_hex;
use crate::ssr::redirect::same_origin_path;
use wechat::oauth::{self, QrStyle, Scope, UserToken};
use wechat::AppCredentials;

/// A pending OAuth login lives ten minutes.
pub const STATE_LIFETIME: i64 = 10 * 60;
/// The result of a code exchange is reused for WeChat's duplicate callback within five minutes.
pub const CODE_REUSE_SECONDS: i64 = 5 * 60;
/// Where WeChat sends the browser back, under APP_URL.
pub const CALLBACK_PATH: &str = "/api/auth/wechat/oauth/callback";

/// The OAuth providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// The official account, inside the WeChat browser.
    OfficialAccount,
    /// The Open Platform website app: QR login on desktops.
    Website,
}

impl Provider {
    pub fn id(self) -> &'static str {
        match self {
            Provider::OfficialAccount => "wechat_oa",
            Provider::Website => "wechat_web",
        }
    }

    pub fn from_id(id: &str) -> Option<Provider> {
        match id {
            "wechat_oa" | "wechat" => Some(Provider::OfficialAccount),
            "wechat_web" => Some(Provider::Website),
            _ => None,
        }
    }

    fn credentials(self, context: &AppContext) -> Result<&AppCredentials, AuthError> {
        match self {
            Provider::OfficialAccount => context
                .wechat
                .official_account
                .as_ref()
                .map(|app| &app.credentials)
                .ok_or(AuthError::NotEnabled("official account")),
            Provider::Website => context
                .wechat
                .website
                .as_ref()
                .ok_or(AuthError::NotEnabled("website QR")),
        }
    }
}

/// A new OAuth state: 32 letters and digits (WeChat allows up to 128 of `[A-Za-z0-9]`).
pub fn new_state() -> String {
    new_id()
}

/// Where the browser goes to log in with `provider`, and the pending login to remember for the callback.
pub fn start(
    context: &AppContext,
    provider: Provider,
    scope: Scope,
    style: QrStyle,
    next: Option<&str>,
) -> Result<(String, PendingOAuth), AuthError> {
    let credentials = provider.credentials(context)?;
    let state = new_state();
    let redirect_uri = format!(
        "{}{CALLBACK_PATH}",
        context.settings.app_url.as_str().trim_end_matches('/')
    );
    let open_base = &context.wechat.open_base;
    let url = match provider {
        Provider::OfficialAccount => oauth::authorize_url(
            open_base,
            credentials.appid.as_str(),
            &redirect_uri,
            scope,
            &state,
        ),
        Provider::Website => oauth::qrconnect_url(
            open_base,
            credentials.appid.as_str(),
            &redirect_uri,
            &state,
            style,
        ),
    };
    let pending = PendingOAuth {
        provider: provider.id().to_owned(),
        state,
        next: same_origin_path(&context.settings.app_url, next),
        expires_at: now() + STATE_LIFETIME,
    };
    Ok((url, pending))
}

/// Exchanges the callback's code and links the identity. WeChat's duplicate of the same callback (same code, same
/// `state`) within five minutes returns the same user instead of failing on 40163; the code brought back with any
/// other state is not answered from memory (it goes to WeChat, which refuses a used code), so a code seen once
/// cannot sign a second browser in.
pub async fn finish(
    context: &AppContext,
    provider: Provider,
    code: &str,
    state: &str,
) -> Result<String, AuthError> {
    counted(
        provider.id(),
        exchange(context, provider, code, state).await,
    )
}

async fn exchange(
    context: &AppContext,
    provider: Provider,
    code: &str,
    state: &str,
) -> Result<String, AuthError> {
    let credentials = provider.credentials(context)?;
    let appid = credentials.appid.as_str();
    let state_digest = sha256_hex(state);
    if let Some(user_id) = context
        .db
        .oauth_code_user(appid, code, &state_digest, CODE_REUSE_SECONDS)
        .await?
    {
        return Ok(user_id);
    }
    let token = oauth::exchange_code(&context.wechat.api, credentials, code).await?;
    if token.is_snapshot_user {
        return Err(AuthError::SnapshotUser);
    }
    let profile = profile(context, &token).await;
    let user_id = context
        .db
        .link_identity(&NewIdentity {
            appid,
            openid: &token.openid,
            unionid: token.unionid.as_deref().or(profile
                .as_ref()
                .and_then(|profile| profile.unionid.as_deref())),
            provider: provider.id(),
            nickname: profile.as_ref().map(|profile| profile.nickname.as_str()),
            avatar_url: profile
                .as_ref()
                .map(|profile| profile.headimgurl.as_str())
                .filter(|url| !url.is_empty()),
        })
        .await?;
    context
        .db
        .remember_oauth_code(appid, code, &state_digest, &user_id)
        .await?;
    Ok(user_id)
}

/// The profile, for scopes that have one; a failure here does not fail the login.
async fn profile(context: &AppContext, token: &UserToken) -> Option<oauth::UserInfo> {
    if token.scope == Scope::Base.as_str() {
        return None;
    }
    match oauth::user_info(&context.wechat.api, token).await {
        Ok(profile) => Some(profile),
        Err(error) => {
            tracing::warn!(%error, openid = %token.openid, "no profile for this login");
            None
        }
    }
}
