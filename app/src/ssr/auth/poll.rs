//! The start/poll login, for a client that cannot follow redirects and shows the website app's QR: start gives it
//! the QR page's URL (whose `state` anyone who sees the QR can read) and a poll secret that appears in no URL and
//! no QR. Only a poll showing the secret (header `Wxgate-Poll-Secret`) learns anything; without it, or with another,
//! the answer is the unknown state's. The callback records who signed in; the first poll with the secret after that
//! makes their session and gets its token, once. A login lives ten minutes from its start.
//!
//! The official-account login is not offered here: it runs in the WeChat browser itself, through
//! `GET /api/auth/wechat/oauth/start`, where the session cookie carries it.

use rand::RngCore;

use super::error::AuthError;
use super::oauth::{self, Provider};
use super::session;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::{NewOAuthLogin, OAuthLoginStatus};
use crate::ssr::digest::{same_digest, sha256_hex};
use wechat::oauth::{QrStyle, Scope};

/// The request header that carries the poll secret.
pub const SECRET_HEADER: &str = "Wxgate-Poll-Secret";
/// Random bytes in a poll secret: 256 bits, sent as 64 hex digits.
const SECRET_BYTES: usize = 32;

/// A started login: what the client shows (`url`), the login's `state`, and the secret it polls with.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub poll_secret: String,
}

/// What a poll with the right secret learns.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Pending,
    /// Signed in: a session made for this poll, never to be handed out again.
    Done {
        user_id: String,
        session_token: String,
        next: String,
    },
    Failed {
        error: String,
    },
    /// Ten minutes have passed since the start.
    Expired,
}

/// Starts a QR login with `provider_id` (`wechat_web`); the official account is refused with a pointer to its
/// own start.
pub async fn start(
    context: &AppContext,
    provider_id: &str,
    next: Option<&str>,
) -> Result<Started, AuthError> {
    let provider = Provider::from_id(provider_id).ok_or(AuthError::BadRequest("provider"))?;
    if provider == Provider::OfficialAccount {
        return Err(AuthError::WeChatBrowserOnly);
    }
    let (url, pending) = oauth::start(context, provider, Scope::UserInfo, QrStyle::Page, next)?;
    let poll_secret = new_secret();
    context
        .db
        .start_oauth_login(&NewOAuthLogin {
            state: &pending.state,
            secret_digest: &sha256_hex(&poll_secret),
            provider: &pending.provider,
            next_path: &pending.next,
            expires_at: pending.expires_at,
        })
        .await?;
    Ok(Started {
        url,
        state: pending.state,
        poll_secret,
    })
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The callback of a start/poll login: records who signed in (or why not) for the poller. `Ok(true)` when the
/// person is signed in, `Ok(false)` when they declined or the exchange failed.
pub async fn finish(
    context: &AppContext,
    state: &str,
    code: Option<&str>,
) -> Result<bool, AuthError> {
    let login = match context.db.oauth_login(state).await? {
        Some(login) if login.status == OAuthLoginStatus::Pending && login.expires_at >= now() => {
            login
        }
        Some(login) if login.status == OAuthLoginStatus::Pending => {
            return Err(AuthError::StateExpired)
        }
        _ => return Err(AuthError::InvalidState),
    };
    let outcome = match code {
        None => OAuthLoginStatus::Failed {
            error: "declined".to_owned(),
        },
        Some(code) => {
            let provider = Provider::from_id(&login.provider).unwrap_or(Provider::Website);
            match oauth::finish(context, provider, code, state).await {
                Ok(user_id) => OAuthLoginStatus::Confirmed { user_id },
                Err(error) => OAuthLoginStatus::Failed {
                    error: error.code().to_owned(),
                },
            }
        }
    };
    if !context.db.finish_oauth_login(state, &outcome).await? {
        // Finished by a callback at the same moment, or expired in between.
        return Err(AuthError::InvalidState);
    }
    Ok(matches!(outcome, OAuthLoginStatus::Confirmed { .. }))
}

/// Answers a poll for `state` that showed `secret`. An unknown state, a missing or wrong secret and a login whose
/// session was already handed out all get the same `InvalidState`, so a poll without the secret learns nothing.
pub async fn result(
    context: &AppContext,
    state: &str,
    secret: Option<&str>,
) -> Result<Answer, AuthError> {
    let presented = secret.map(sha256_hex);
    let login = context.db.oauth_login(state).await?.filter(|login| {
        presented
            .as_deref()
            .is_some_and(|digest| same_digest(digest, &login.secret_digest))
    });
    let Some(login) = login else {
        return Err(AuthError::InvalidState);
    };
    if login.expires_at < now() {
        return Ok(Answer::Expired);
    }
    match login.status {
        OAuthLoginStatus::Pending => Ok(Answer::Pending),
        OAuthLoginStatus::Failed { error } => Ok(Answer::Failed { error }),
        OAuthLoginStatus::Taken => Err(AuthError::InvalidState),
        OAuthLoginStatus::Confirmed { user_id } => {
            // One guarded update decides which poll gets the session: two polls at once cannot both get one.
            // Should making the session fail after it, the login is used up and is started again.
            if !context.db.take_oauth_login(state).await? {
                return Err(AuthError::InvalidState);
            }
            let session_token =
                session::issue_session(&context.db, context.settings.session_ttl, &user_id).await?;
            Ok(Answer::Done {
                user_id,
                session_token,
                next: login.next_path,
            })
        }
    }
}
