//! `Idempotency-Key` on every POST of the product's backend (draft-ietf-httpapi-idempotency-key-header): the first
//! successful answer to a key is stored with a digest of the request, a retry with the same key and request gets it
//! again, and another request with the same key is refused (422). A refusal is not stored: retrying it runs again.

use sha2::{Digest, Sha256};

use super::ProductApiError;
use crate::ssr::db::idempotency::AnswerToRemember;
use crate::ssr::db::Database;

/// The header's name.
pub const HEADER: &str = "idempotency-key";

/// The longest key taken (the draft leaves it to the server; Stripe's is 255).
pub const MAX_KEY_BYTES: usize = 255;

/// How long an answer is kept, in seconds: a retry comes within a day or is a new request.
pub const KEPT_SECONDS: i64 = 24 * 60 * 60;

/// An answer to give: its status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A POST of API key `api_key_id` under its `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotentRequest<'a> {
    api_key_id: &'a str,
    key: &'a str,
    digest: String,
}

impl<'a> IdempotentRequest<'a> {
    /// The request whose `Idempotency-Key` header is `key` (1–255 visible ASCII characters), for `method` `path`
    /// with `body` exactly as sent.
    pub fn new(
        api_key_id: &'a str,
        key: Option<&'a str>,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<IdempotentRequest<'a>, ProductApiError> {
        let key = key
            .filter(|key| {
                (1..=MAX_KEY_BYTES).contains(&key.len())
                    && key.bytes().all(|byte| byte.is_ascii_graphic())
            })
            .ok_or(ProductApiError::BadRequest(
                "Idempotency-Key header (1 to 255 visible ASCII characters, new for each request)",
            ))?;
        let mut digest = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes()] {
            digest.update(part);
            digest.update([0]);
        }
        digest.update(body);
        Ok(IdempotentRequest {
            api_key_id,
            key,
            digest: hex::encode(digest.finalize()),
        })
    }

    /// The key, to name what the request does where it must be the same each time (a refund's request id).
    pub fn key(&self) -> &str {
        self.key
    }

    /// The answer given before to this key; the same key with another request is refused.
    pub async fn earlier_answer(&self, db: &Database) -> Result<Option<Answer>, ProductApiError> {
        let Some(remembered) = db.remembered_answer(self.api_key_id, self.key).await? else {
            return Ok(None);
        };
        if remembered.request_digest != self.digest {
            return Err(ProductApiError::IdempotencyKeyReused);
        }
        Ok(Some(Answer {
            status: remembered.status,
            body: remembered.body,
        }))
    }

    /// `answer`, to store for this key.
    pub fn remember<'b>(&'b self, answer: &'b Answer) -> AnswerToRemember<'b> {
        AnswerToRemember {
            api_key_id: self.api_key_id,
            idempotency_key: self.key,
            request_digest: &self.digest,
            status: answer.status,
            body: &answer.body,
        }
    }

    /// Stores `answer` for this key and gives it; when another request with the key stored one first, that one
    /// (or the refusal of a different request).
    pub async fn answer_once(
        &self,
        db: &Database,
        answer: Answer,
    ) -> Result<Answer, ProductApiError> {
        if db.remember_answer(&self.remember(&answer)).await? {
            return Ok(answer);
        }
        self.stored_first(db).await
    }

    /// The answer another request with this key stored first.
    pub async fn stored_first(&self, db: &Database) -> Result<Answer, ProductApiError> {
        self.earlier_answer(db).await?.ok_or_else(|| {
            ProductApiError::Internal(crate::ssr::cause::Cause::new(
                "an idempotency key's answer was stored and is gone",
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_method_path_and_body() {
        let digest = |method, path, body: &[u8]| {
            IdempotentRequest::new("key_1", Some("k-1"), method, path, body)
                .expect("a key")
                .digest
        };
        let first = digest("POST", "/api/v1/checkouts", b"{}");
        assert_eq!(first, digest("POST", "/api/v1/checkouts", b"{}"));
        assert_ne!(first, digest("POST", "/api/v1/checkouts", b"{ }"));
        assert_ne!(first, digest("POST", "/api/v1/checkouts/x/refunds", b"{}"));
        assert_ne!(
            digest("POST", "/a", b"b/c"),
            digest("POST", "/ab", b"/c"),
            "the parts are kept apart"
        );
    }

    #[test]
    fn a_key_is_required_and_bounded() {
        fn made(key: Option<&str>) -> bool {
            IdempotentRequest::new("key_1", key, "POST", "/", b"").is_ok()
        }
        assert!(made(Some("order-42-attempt")));
        assert!(made(Some(&"k".repeat(MAX_KEY_BYTES))));
        assert!(!made(None));
        assert!(!made(Some("")));
        assert!(!made(Some(&"k".repeat(MAX_KEY_BYTES + 1))));
        assert!(!made(Some("with space")));
        assert!(!made(Some("钥匙")));
    }
}
