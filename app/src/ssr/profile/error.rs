//! What a profile change can end with other than success: a stable code, a sentence, and the cause for the logs.

use crate::ssr::cause::Cause;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("the request is missing or has a malformed {0}")]
    BadRequest(&'static str),
    #[error("sign in first")]
    Unauthenticated,
    #[error("the avatar must be a JPEG, PNG or WebP image: {0}")]
    UnsupportedImage(&'static str),
    #[error("the avatar is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no such avatar")]
    NoSuchAvatar,
    #[error("the server could not complete the profile change")]
    Internal(#[source] Cause),
}

impl ProfileError {
    /// Every code [`ProfileError::code`] gives, for the JSON API's contract.
    pub const CODES: &'static [&'static str] = &[
        "bad_request",
        "unauthenticated",
        "unsupported_image",
        "too_large",
        "no_such_avatar",
        "internal",
    ];

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProfileError::BadRequest(_) => "bad_request",
            ProfileError::Unauthenticated => "unauthenticated",
            ProfileError::UnsupportedImage(_) => "unsupported_image",
            ProfileError::TooLarge(_) => "too_large",
            ProfileError::NoSuchAvatar => "no_such_avatar",
            ProfileError::Internal(_) => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_for_the_contract() {
        let every = [
            ProfileError::BadRequest("x"),
            ProfileError::Unauthenticated,
            ProfileError::UnsupportedImage("x"),
            ProfileError::TooLarge(1),
            ProfileError::NoSuchAvatar,
            ProfileError::Internal(Cause::new("x")),
        ];
        let codes: Vec<&str> = every.iter().map(ProfileError::code).collect();
        assert_eq!(codes, ProfileError::CODES);
    }
}
