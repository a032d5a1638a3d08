//! The login state kept in the server-side session: who is signed in, and OAuth states waiting for their callback.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::error::AuthError;
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;

pub(super) const USER_KEY: &str = "auth.user_id";
/// When the person signed in (Unix seconds): an OpenID Connect ID token's `auth_time`.
const SIGNED_IN_AT_KEY: &str = "auth.signed_in_at";
const OAUTH_KEY: &str = "auth.oauth";
const OAUTH_DONE_KEY: &str = "auth.oauth_done";
/// When the session was last saved with its lifetime (Unix seconds); the lifetime module reads it.
pub(super) const SAVED_AT_KEY: &str = "session.saved_at";

/// An OAuth login this browser started; single use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOAuth {
    pub state: String,
    pub provider: String,
    pub next: String,
    pub expires_at: i64,
}

/// Signs `user_id` in: the session gets a new id (so a session fixed before login is useless) and is saved, and
/// its id is returned as the bearer token for clients that drop cookies.
pub async fn sign_in(session: &Session, user_id: &str) -> Result<String, AuthError> {
    session.cycle_id().await?;
    session.insert(USER_KEY, user_id).await?;
    session.insert(SIGNED_IN_AT_KEY, now()).await?;
    session.save().await?;
    session
        .id()
        .map(|id| id.to_string())
        .ok_or_else(|| AuthError::Internal(Cause::new("the session has no id after saving")))
}

/// The signed-in user's id, if any.
pub async fn user_id(session: &Session) -> Result<Option<String>, AuthError> {
    Ok(session.get::<String>(USER_KEY).await?)
}

/// When the signed-in person signed in, if the session knows.
pub async fn signed_in_at(session: &Session) -> Result<Option<i64>, AuthError> {
    Ok(session.get::<i64>(SIGNED_IN_AT_KEY).await?)
}

pub async fn sign_out(session: &Session) -> Result<(), AuthError> {
    session.flush().await?;
    Ok(())
}

/// Remembers an OAuth login started by this browser (replacing an older one).
pub async fn remember_oauth(session: &Session, pending: &PendingOAuth) -> Result<(), AuthError> {
    session.insert(OAUTH_KEY, pending).await?;
    Ok(())
}

/// Takes the pending OAuth login whose state is `state`: used up whether it matches or not, so a state works once.
pub async fn take_oauth(session: &Session, state: &str) -> Result<Option<PendingOAuth>, AuthError> {
    let pending: Option<PendingOAuth> = session.get(OAUTH_KEY).await?;
    match pending {
        Some(pending) if pending.state == state => {
            session.remove::<PendingOAuth>(OAUTH_KEY).await?;
            if pending.expires_at < now() {
                return Err(AuthError::StateExpired);
            }
            Ok(Some(pending))
        }
        _ => Ok(None),
    }
}

/// An OAuth callback this browser completed: WeChat sometimes sends the same callback twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CompletedOAuth {
    state: String,
    code: String,
    next: String,
}

/// Remembers that `state` and `code` signed this browser in, so a repeat of that exact callback is recognised.
pub async fn remember_completed(
    session: &Session,
    state: &str,
    code: &str,
    next: &str,
) -> Result<(), AuthError> {
    let completed = CompletedOAuth {
        state: state.to_owned(),
        code: code.to_owned(),
        next: next.to_owned(),
    };
    session.insert(OAUTH_DONE_KEY, completed).await?;
    Ok(())
}

/// Where a repeat of an already completed callback should go, if this is one.
pub async fn repeated_callback(
    session: &Session,
    state: &str,
    code: &str,
) -> Result<Option<String>, AuthError> {
    let completed: Option<CompletedOAuth> = session.get(OAUTH_DONE_KEY).await?;
    Ok(completed
        .filter(|completed| completed.state == state && completed.code == code)
        .map(|completed| completed.next))
}

/// A new session for `user_id` that no browser holds: the token a start/poll client receives. The store keeps
/// only the digest of its id, like every session's.
pub async fn issue_session(
    db: &crate::ssr::db::Database,
    ttl: time::Duration,
    user_id: &str,
) -> Result<String, AuthError> {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;

    let mut data = std::collections::HashMap::new();
    data.insert(
        USER_KEY.to_owned(),
        serde_json::Value::String(user_id.to_owned()),
    );
    data.insert(SAVED_AT_KEY.to_owned(), serde_json::Value::from(now()));
    data.insert(SIGNED_IN_AT_KEY.to_owned(), serde_json::Value::from(now()));
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + ttl,
    };
    crate::ssr::db::DbSessionStore::new(db.clone())
        .create(&mut record)
        .await
        .map_err(|error| AuthError::Internal(Cause::new(error)))?;
    Ok(record.id.to_string())
}
