//! The answers given to the product's backend's POSTs, by API key and `Idempotency-Key`: read before a request runs,
//! stored with its outcome (a checkout's in the checkout's own transaction), purged after a day.

use super::{Database, DbError};
use crate::ssr::clock::now;

/// An answer given before to a request with this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedAnswer {
    /// SHA-256 (hex) of the request's method, path and body.
    pub request_digest: String,
    pub status: u16,
    /// The JSON body answered.
    pub body: String,
}

/// An answer to remember for a request with this key.
#[derive(Debug, Clone, Copy)]
pub struct AnswerToRemember<'a> {
    pub api_key_id: &'a str,
    pub idempotency_key: &'a str,
    pub request_digest: &'a str,
    pub status: u16,
    pub body: &'a str,
}

impl AnswerToRemember<'_> {
    /// Stores the answer unless one is stored for the key already; true when this one was.
    pub(super) async fn insert(
        &self,
        connection: &mut sqlx::AnyConnection,
    ) -> Result<bool, DbError> {
        Ok(sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, idempotency_key, request_digest, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
        )
        .bind(self.api_key_id)
        .bind(self.idempotency_key)
        .bind(self.request_digest)
        .bind(i64::from(self.status))
        .bind(self.body)
        .bind(now())
        .execute(connection)
        .await?
        .rows_affected()
            == 1)
    }
}

impl Database {
    /// The answer given to API key `api_key_id`'s request with `idempotency_key`, if any.
    pub async fn remembered_answer(
        &self,
        api_key_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<RememberedAnswer>, DbError> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT request_digest, status, body FROM idempotency_keys \
             WHERE api_key_id = $1 AND idempotency_key = $2",
        )
        .bind(api_key_id)
        .bind(idempotency_key)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(request_digest, status, body)| RememberedAnswer {
            request_digest,
            status: u16::try_from(status).unwrap_or(500),
            body,
        }))
    }

    /// Stores `answer`; false, with nothing written, when an answer for its key is stored already.
    pub async fn remember_answer(&self, answer: &AnswerToRemember<'_>) -> Result<bool, DbError> {
        let mut connection = self.pool().acquire().await?;
        answer.insert(&mut connection).await
    }

    /// Removes the answers stored before `before` (Unix seconds); returns how many.
    pub async fn delete_old_idempotency_keys(&self, before: i64) -> Result<u64, DbError> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
