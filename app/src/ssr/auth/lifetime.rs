//! How long a session lives, settled at the end of every request: a signed-in session ends `SESSION_TTL_SECONDS`
//! (a week by default) after its last request, as the README says; an anonymous one (a pending OAuth state, the
//! status counter) fifteen minutes after its last, so visitors who never sign in leave little behind.
//!
//! tower-sessions' `Expiry::OnInactivity` alone does not make this true: the store's expiry and the cookie's
//! Max-Age move only when a session is saved, and it is saved only when changed, so a session used every day
//! but never changed ended a week after its last change. Saving on every request (`with_always_save`) would be one
//! write per request. Instead a session is saved again once a hundredth of its lifetime has passed since its last
//! save (about every 100 minutes for a week, every 9 seconds for fifteen minutes): it then ends between 99% and
//! 100% of its lifetime after its last request, for at most a hundred writes per lifetime of use.

use time::Duration;
use tower_sessions::{Expiry, Session};

use super::session::{SAVED_AT_KEY, USER_KEY};
use crate::ssr::clock::now;

/// How long a session without a signed-in user lives after its last request.
pub const ANONYMOUS_LIFETIME: Duration = Duration::minutes(15);
/// A session is saved again after `lifetime / REFRESH_DIVISOR` without a save.
const REFRESH_DIVISOR: i64 = 100;

/// The lifetime of a session with or without a signed-in user.
pub fn lifetime(signed_in: bool, ttl: Duration) -> Duration {
    if signed_in {
        ttl
    } else {
        ANONYMOUS_LIFETIME
    }
}

/// Gives the request's session its lifetime when it is going to be saved anyway (it changed), or saves it again
/// when its last save is more than a hundredth of its lifetime ago. A request without a session is left alone,
/// so no session is made for a visitor who stored nothing.
pub async fn settle(
    session: &Session,
    ttl: Duration,
) -> Result<(), tower_sessions::session::Error> {
    let signed_in = session.get::<String>(USER_KEY).await?.is_some();
    // Asked after loading: a cookie whose session is gone counts as no session.
    if session.is_empty().await {
        return Ok(());
    }
    let lifetime = lifetime(signed_in, ttl);
    let now = now();
    let saved_at: Option<i64> = session.get(SAVED_AT_KEY).await?;
    let due = saved_at
        .is_none_or(|saved_at| now - saved_at >= lifetime.whole_seconds() / REFRESH_DIVISOR);
    if session.is_modified() || due {
        session.set_expiry(Some(Expiry::OnInactivity(lifetime)));
        session.insert(SAVED_AT_KEY, now).await?;
    }
    Ok(())
}
