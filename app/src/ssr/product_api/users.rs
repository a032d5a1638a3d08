//! Looking up a user for the product's backend: by wxgate's user id (the OpenID Connect `sub`, the events'
//! `user_id`) or by an openid, with every WeChat identity they signed in with.

use super::ProductApiError;
use crate::ssr::db::{Database, IdentityRow, UserRow};

/// Who to look up.
#[derive(Debug, Clone, Copy)]
pub enum UserKey<'a> {
    Id(&'a str),
    OpenId(&'a str),
}

/// A user and their identities.
#[derive(Debug, Clone)]
pub struct FoundUser {
    pub user: UserRow,
    pub identities: Vec<IdentityRow>,
}

/// The user `key` names (after any merge, so an old id finds the account it became); the caller bounds the key.
pub async fn find(db: &Database, key: UserKey<'_>) -> Result<FoundUser, ProductApiError> {
    let user = match key {
        UserKey::Id(id) => db.user(id).await?,
        UserKey::OpenId(openid) => db.user_of_openid(openid).await?,
    }
    .ok_or(ProductApiError::UnknownUser)?;
    let identities = db.identities(&user.id).await?;
    Ok(FoundUser { user, identities })
}
