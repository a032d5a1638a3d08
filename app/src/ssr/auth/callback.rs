//! The end of a web login: WeChat's redirect back with `code` and `state`, for a browser login (its state in that
//! browser's session) or a start/poll login (its state in the database), on whichever process the redirect reaches.

use tower_sessions::Session;

use super::error::AuthError;
use super::oauth::{self, Provider};
use super::{poll, session};
use crate::ssr::context::AppContext;

/// Where a callback leaves the person.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// Signed in (or this is WeChat's repeat of a callback this browser already completed): on to `next`.
    SignedIn { next: String },
    /// They declined on WeChat's page (no code came back): the login page again, which comes back to `next`.
    Declined { next: String },
    /// A start/poll login, which the polling client picks up: whether it completed.
    Polled { completed: bool },
}

/// Finishes the login `state` names with WeChat's `code` (none when the person declined).
pub async fn finish(
    context: &AppContext,
    browser: &Session,
    state: &str,
    code: Option<&str>,
) -> Result<Finished, AuthError> {
    let Some(pending) = session::take_oauth(browser, state).await? else {
        // WeChat's duplicate of a callback this browser already completed: same place, no second exchange.
        if let Some(code) = code {
            if let Some(next) = session::repeated_callback(browser, state, code).await? {
                return Ok(Finished::SignedIn { next });
            }
        }
        let completed = poll::finish(context, state, code).await?;
        return Ok(Finished::Polled { completed });
    };
    let Some(code) = code else {
        return Ok(Finished::Declined { next: pending.next });
    };
    let provider = Provider::from_id(&pending.provider).unwrap_or(Provider::OfficialAccount);
    let user_id = oauth::finish(context, provider, code, state).await?;
    session::sign_in(browser, &user_id).await?;
    session::remember_completed(browser, state, code, &pending.next).await?;
    Ok(Finished::SignedIn { next: pending.next })
}
