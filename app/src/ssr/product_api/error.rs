//! What a request of the product's backend can end with other than success: a stable code, a sentence, and the cause
//! for the logs.

use crate::ssr::cause::Cause;
use crate::ssr::db::DbError;
use crate::ssr::payments::PaymentError;

#[derive(Debug, thiserror::Error)]
pub enum ProductApiError {
    #[error("the request is missing or has a malformed {0}")]
    BadRequest(&'static str),
    #[error("send a live API key as `Authorization: Bearer wxk_…`")]
    InvalidApiKey,
    #[error("this API key lacks the scope {0}")]
    InsufficientScope(&'static str),
    #[error("no such user")]
    UnknownUser,
    #[error("no such checkout")]
    UnknownCheckout,
    #[error("this Idempotency-Key was sent before with another request; use a new key for a new request")]
    IdempotencyKeyReused,
    /// A refusal of the order machinery behind a checkout (its code is the payments' own).
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error("the server could not complete the request")]
    Internal(#[source] Cause),
}

impl ProductApiError {
    /// Every code [`ProductApiError::code`] gives, for the JSON API's contract.
    pub const CODES: &'static [&'static str] = &[
        "bad_request",
        "invalid_api_key",
        "insufficient_scope",
        "unknown_user",
        "unknown_checkout",
        "idempotency_key_reused",
        "internal",
    ];

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProductApiError::BadRequest(_) => "bad_request",
            ProductApiError::InvalidApiKey => "invalid_api_key",
            ProductApiError::InsufficientScope(_) => "insufficient_scope",
            ProductApiError::UnknownUser => "unknown_user",
            ProductApiError::UnknownCheckout => "unknown_checkout",
            ProductApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ProductApiError::Payment(error) => error.code(),
            ProductApiError::Internal(_) => "internal",
        }
    }
}

impl From<DbError> for ProductApiError {
    fn from(error: DbError) -> ProductApiError {
        ProductApiError::Internal(Cause::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed() {
        let errors = [
            ProductApiError::BadRequest("user_id"),
            ProductApiError::InvalidApiKey,
            ProductApiError::InsufficientScope("users:read"),
            ProductApiError::UnknownUser,
            ProductApiError::UnknownCheckout,
            ProductApiError::IdempotencyKeyReused,
            ProductApiError::Internal(Cause::new("x")),
        ];
        let codes: Vec<&str> = errors.iter().map(ProductApiError::code).collect();
        assert_eq!(codes, ProductApiError::CODES);
    }
}
