//! The product's API keys: made, listed, revoked, and found by the digest of the key a request presents.

use super::{Database, DbError};

/// An API key as stored (its secret only as a digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    /// Space-separated.
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

type KeyTuple = (String, String, String, i64, Option<i64>, Option<i64>);

const KEY_COLUMNS: &str = "id, name, scopes, created_at, last_used_at, revoked_at";

fn key_row((id, name, scopes, created_at, last_used_at, revoked_at): KeyTuple) -> ApiKeyRow {
    ApiKeyRow {
        id,
        name,
        scopes,
        created_at,
        last_used_at,
        revoked_at,
    }
}

/// How often the last use of a key is written down at most: a busy key costs no write per request.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

impl Database {
    /// Stores a new key.
    pub async fn add_api_key(&self, key: &ApiKeyRow, secret_digest: &str) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_digest, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(secret_digest)
        .bind(&key.scopes)
        .bind(key.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every key, the newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, DbError> {
        let rows: Vec<KeyTuple> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(key_row).collect())
    }

    /// Revokes a key at `now`; `false` when there is no such key or it was revoked already.
    pub async fn revoke_api_key(&self, id: &str, now: i64) -> Result<bool, DbError> {
        let revoked =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(revoked.rows_affected() == 1)
    }

    /// The unrevoked key of this digest, its use at `now` noted.
    pub async fn api_key_in_use(
        &self,
        secret_digest: &str,
        now: i64,
    ) -> Result<Option<ApiKeyRow>, DbError> {
        let row: Option<KeyTuple> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_digest = $1 AND revoked_at IS NULL"
        ))
        .bind(secret_digest)
        .fetch_optional(self.pool())
        .await?;
        let Some(key) = row.map(key_row) else {
            return Ok(None);
        };
        if key
            .last_used_at
            .is_none_or(|at| at + LAST_USED_GRANULARITY_SECONDS <= now)
        {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&key.id)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(key))
    }
}
