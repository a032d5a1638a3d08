//! Who may see and do what: admins are named in `WXGATE_ADMINS` (by user id or by a unionid); an order is visible
//! to its owner (or the same person after a merge) and to admins.

use super::PaymentError;
use crate::ssr::context::AppContext;
use crate::ssr::db::{IdentityRow, OrderRow, UserRow};

/// True when `user` (with `identities`) is named in `WXGATE_ADMINS`, by user id or by one of their unionids.
pub fn names_admin(admins: &[String], user: &UserRow, identities: &[IdentityRow]) -> bool {
    admins.contains(&user.id)
        || identities
            .iter()
            .filter_map(|identity| identity.unionid.as_ref())
            .any(|unionid| admins.contains(unionid))
}

/// True when `user` is an admin.
async fn is_admin_user(context: &AppContext, user: &UserRow) -> Result<bool, PaymentError> {
    let admins = &context.settings.admins;
    if admins.is_empty() {
        return Ok(false);
    }
    let identities = context.db.identities(&user.id).await?;
    Ok(names_admin(admins, user, &identities))
}

/// True when `user_id` (or the account it was merged into) is an admin.
pub async fn is_admin(context: &AppContext, user_id: &str) -> Result<bool, PaymentError> {
    match context.db.user(user_id).await? {
        Some(user) => is_admin_user(context, &user).await,
        None => Ok(false),
    }
}

/// An order someone may see, and whether they see it as an admin.
pub struct Viewed {
    pub order: OrderRow,
    pub by_admin: bool,
}

/// The order `order_id` as stored, if `viewer` owns it (or is the same person after a merge) or is an admin.
pub async fn visible(
    context: &AppContext,
    viewer: &str,
    order_id: &str,
) -> Result<Viewed, PaymentError> {
    // Someone else's order does not exist, as far as this viewer can tell.
    let order = context
        .db
        .order(order_id)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let viewer = context
        .db
        .user(viewer)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let by_admin = is_admin_user(context, &viewer).await?;
    let owner = context.db.user(&order.user_id).await?.map(|user| user.id);
    if owner.as_deref() != Some(viewer.id.as_str()) && !by_admin {
        return Err(PaymentError::UnknownOrder);
    }
    Ok(Viewed { order, by_admin })
}
