//! Who a session is signed in as, with their linked WeChat identities: what the account page and `GET /api/me`
//! show.

use tower_sessions::Session;

use super::error::AuthError;
use super::session;
use crate::ssr::context::AppContext;
use crate::ssr::db::{IdentityRow, UserRow};

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user: UserRow,
    pub identities: Vec<IdentityRow>,
}

/// The person `browser` is signed in as; `None` when it is not signed in or the account is gone.
pub async fn signed_in(
    context: &AppContext,
    browser: &Session,
) -> Result<Option<SignedIn>, AuthError> {
    let Some(user_id) = session::user_id(browser).await? else {
        return Ok(None);
    };
    let Some(user) = context.db.user(&user_id).await? else {
        return Ok(None);
    };
    let identities = context.db.identities(&user.id).await?;
    Ok(Some(SignedIn { user, identities }))
}
