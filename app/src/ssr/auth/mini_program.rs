//! Mini-program login: `wx.login`'s code for a user and a session, the phone number, and legacy open data
//! decrypted with the newest session_key (which never leaves the server).

use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::Value;

use super::error::{counted, AuthError};
use crate::ssr::bounds::LoginCode;
use crate::ssr::context::{AppContext, WeChatApp};
use crate::ssr::db::NewIdentity;
use wechat::{mp, open_data};

/// The provider name of mini-program identities.
pub const PROVIDER: &str = "wechat_mp";

/// What a mini program needs to know about its user after logging in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserState {
    pub user_id: String,
    pub has_phone: bool,
    pub next_step: NextStep,
}

/// What the mini program asks of the user next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// No phone number is bound yet: show the phone-number button.
    BindPhone,
    /// Nothing is missing.
    Done,
}

fn app(context: &AppContext) -> Result<&WeChatApp, AuthError> {
    context
        .wechat
        .mini_program
        .as_ref()
        .ok_or(AuthError::NotEnabled("mini program"))
}

/// Exchanges the code, links the identity (one user per person through the unionid) and keeps the session_key.
pub async fn log_in(context: &AppContext, code: &LoginCode) -> Result<String, AuthError> {
    counted(PROVIDER, exchange(context, code).await)
}

async fn exchange(context: &AppContext, code: &LoginCode) -> Result<String, AuthError> {
    let app = app(context)?;
    if code.is_empty() {
        return Err(AuthError::BadRequest("code"));
    }
    let session = mp::code_to_session(&context.wechat.api, &app.credentials, code.as_str()).await?;
    let appid = app.credentials.appid.as_str();
    let user_id = context
        .db
        .link_identity(&NewIdentity {
            appid,
            openid: &session.openid,
            unionid: session.unionid.as_deref(),
            provider: PROVIDER,
            nickname: None,
            avatar_url: None,
        })
        .await?;
    context
        .db
        .save_session_key(appid, &session.openid, session.session_key.expose_secret())
        .await?;
    Ok(user_id)
}

/// The user's state for the mini program.
pub async fn user_state(context: &AppContext, user_id: &str) -> Result<UserState, AuthError> {
    let user = context
        .db
        .user(user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    let has_phone = user.phone.is_some();
    Ok(UserState {
        user_id: user.id,
        has_phone,
        next_step: if has_phone {
            NextStep::Done
        } else {
            NextStep::BindPhone
        },
    })
}

/// The user a session's user id stands for now: itself, or the user it was merged into since the session began.
async fn survivor(context: &AppContext, user_id: &str) -> Result<String, AuthError> {
    Ok(context
        .db
        .user(user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?
        .id)
}

/// Binds the phone number behind a phone button's code, to the user who survives any merge (a session begun
/// before a merge still names the merged user, whose row nobody reads any more).
pub async fn bind_phone(
    context: &AppContext,
    user_id: &str,
    code: &LoginCode,
) -> Result<String, AuthError> {
    let app = app(context)?;
    if code.is_empty() {
        return Err(AuthError::BadRequest("code"));
    }
    let api = &context.wechat.api;
    let phone = app
        .token
        .with_access_token(|token| async move {
            mp::phone_number(api, token.expose_secret(), code.as_str()).await
        })
        .await?;
    let user_id = survivor(context, user_id).await?;
    context.db.set_phone(&user_id, &phone.phone_number).await?;
    Ok(phone.phone_number)
}

/// Decrypts legacy `encryptedData` with the user's newest session_key and checks it names our appid.
pub async fn decrypt(
    context: &AppContext,
    user_id: &str,
    encrypted_data: &str,
    iv: &str,
) -> Result<Value, AuthError> {
    let app = app(context)?;
    let appid = app.credentials.appid.as_str();
    // A merge moved the identities (and so their session_keys) to the surviving user.
    let user_id = survivor(context, user_id).await?;
    let (_, session_key) = context
        .db
        .session_key(&user_id, appid)
        .await?
        .ok_or(AuthError::SessionKeyStale)?;
    open_data::decrypt(&session_key, iv, encrypted_data, Some(appid)).map_err(|error| match error {
        open_data::OpenDataError::Base64("encrypted_data") => {
            AuthError::BadRequest("encrypted_data")
        }
        open_data::OpenDataError::Base64(_) | open_data::OpenDataError::IvLength => {
            AuthError::BadRequest("iv")
        }
        _ => AuthError::SessionKeyStale,
    })
}
