//! The `wechat_tokens` table: tokens shared by every process, and the lease that lets one of them refresh.

use super::{Database, DbError};

/// A shared token row's value and expiry (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub value: String,
    pub expires_at: i64,
}

impl Database {
    /// The token stored under `key`, if one has been stored.
    pub async fn load_token(&self, key: &str) -> Result<Option<TokenRow>, DbError> {
        let row: Option<(Option<String>, i64)> =
            sqlx::query_as("SELECT value, expires_at FROM wechat_tokens WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.and_then(|(value, expires_at)| value.map(|value| TokenRow { value, expires_at })))
    }

    /// Takes the lease of `key` for `holder` until `until`, unless another holder's lease lasts past `now`.
    /// One statement, so two processes can never both take it.
    pub async fn try_token_lease(
        &self,
        key: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, DbError> {
        let taken = sqlx::query(
            "INSERT INTO wechat_tokens (key, lease_holder, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET lease_holder = excluded.lease_holder, lease_until = excluded.lease_until \
             WHERE wechat_tokens.lease_until <= $4 OR wechat_tokens.lease_holder = excluded.lease_holder",
        )
        .bind(key)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Stores a fresh token and releases `holder`'s lease.
    pub async fn save_token(
        &self,
        key: &str,
        token: &TokenRow,
        holder: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO wechat_tokens (key, value, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, \
             lease_until = CASE WHEN wechat_tokens.lease_holder = $4 THEN 0 ELSE wechat_tokens.lease_until END",
        )
        .bind(key)
        .bind(&token.value)
        .bind(token.expires_at)
        .bind(holder)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
