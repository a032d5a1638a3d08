//! What a mini-program user sets of their own profile, since WeChat no longer hands a real one out
//! (`getUserProfile` answers 微信用户 and a grey avatar): the nickname from `<input type="nickname">` and the
//! avatar from `<button open-type="chooseAvatar">`, uploaded here, checked by content and kept in the database.

mod error;
pub mod image;

pub use error::ProfileError;

use crate::ssr::cause::Cause;
use crate::ssr::context::AppContext;
use crate::ssr::db::avatars::AvatarFile;
use crate::ssr::db::UserRow;
use crate::ssr::digest::sha256_hex;

/// The longest nickname, in characters (WeChat's own are at most 20; a little room for other sources).
pub const MAX_NICKNAME_CHARS: usize = 32;

/// The user `user_id` names now (itself, or the one it was merged into).
async fn current_user(context: &AppContext, user_id: &str) -> Result<UserRow, ProfileError> {
    context
        .db
        .user(user_id)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))?
        .ok_or(ProfileError::Unauthenticated)
}

/// Sets the user's nickname: trimmed, 1 to [`MAX_NICKNAME_CHARS`] characters, no control characters.
pub async fn set_nickname(
    context: &AppContext,
    user_id: &str,
    nickname: &str,
) -> Result<(), ProfileError> {
    let nickname = nickname.trim();
    let length = nickname.chars().count();
    if length == 0 || length > MAX_NICKNAME_CHARS || nickname.chars().any(char::is_control) {
        return Err(ProfileError::BadRequest(
            "nickname (1 to 32 characters, no control characters)",
        ));
    }
    let user = current_user(context, user_id).await?;
    context
        .db
        .set_nickname(&user.id, nickname)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))
}

/// Makes `bytes` the user's avatar, once they are a JPEG, PNG or WebP image within the bounds of [`image`].
pub async fn set_avatar(
    context: &AppContext,
    user_id: &str,
    bytes: &[u8],
) -> Result<(), ProfileError> {
    let kind = image::check(bytes)?;
    let user = current_user(context, user_id).await?;
    context
        .db
        .set_avatar(&user.id, &sha256_hex(bytes), kind.content_type(), bytes)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))
}

/// The avatar kept under `digest`, which must look like one (64 lowercase hex digits) before it is looked up.
pub async fn avatar(context: &AppContext, digest: &str) -> Result<AvatarFile, ProfileError> {
    let looks_like_one = digest.len() == 64
        && digest
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if !looks_like_one {
        return Err(ProfileError::NoSuchAvatar);
    }
    context
        .db
        .avatar(digest)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))?
        .ok_or(ProfileError::NoSuchAvatar)
}
