//! OAuth logins started through the start/poll API (finished by the callback, on any process, and handed to the
//! poller once), and what each OAuth code was exchanged for (WeChat sometimes calls back twice with one code).

use super::{Database, DbError};
use crate::ssr::clock::now;

/// Where a start/poll login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthLoginStatus {
    /// Waiting for the callback.
    Pending,
    /// The callback signed `user_id` in; the next poll with the secret gets a session for them.
    Confirmed {
        user_id: String,
    },
    Failed {
        error: String,
    },
    /// A poll got its session: the login is used up.
    Taken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthLoginRow {
    pub state: String,
    /// The SHA-256 digest (hex) of the poll secret.
    pub secret_digest: String,
    pub provider: String,
    pub next_path: String,
    pub status: OAuthLoginStatus,
    pub expires_at: i64,
}

/// A new start/poll login.
#[derive(Debug, Clone, Copy)]
pub struct NewOAuthLogin<'a> {
    pub state: &'a str,
    pub secret_digest: &'a str,
    pub provider: &'a str,
    pub next_path: &'a str,
    pub expires_at: i64,
}

struct StoredLogin {
    state: String,
    secret_digest: String,
    provider: String,
    next_path: String,
    status: String,
    user_id: Option<String>,
    error: Option<String>,
    expires_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for StoredLogin {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(StoredLogin {
            state: row.try_get("state")?,
            secret_digest: row.try_get("secret_digest")?,
            provider: row.try_get("provider")?,
            next_path: row.try_get("next_path")?,
            status: row.try_get("status")?,
            user_id: row.try_get("user_id")?,
            error: row.try_get("error")?,
            expires_at: row.try_get("expires_at")?,
        })
    }
}

impl Database {
    pub async fn start_oauth_login(&self, login: &NewOAuthLogin<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO oauth_logins (state, secret_digest, provider, next_path, status, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
        )
        .bind(login.state)
        .bind(login.secret_digest)
        .bind(login.provider)
        .bind(login.next_path)
        .bind(now())
        .bind(login.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn oauth_login(&self, state: &str) -> Result<Option<OAuthLoginRow>, DbError> {
        let row: Option<StoredLogin> = sqlx::query_as(
            "SELECT state, secret_digest, provider, next_path, status, user_id, error, expires_at FROM oauth_logins WHERE state = $1",
        )
        .bind(state)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| OAuthLoginRow {
            status: match (row.status.as_str(), row.user_id) {
                ("confirmed", Some(user_id)) => OAuthLoginStatus::Confirmed { user_id },
                ("failed", _) => OAuthLoginStatus::Failed {
                    error: row.error.unwrap_or_default(),
                },
                ("taken", _) => OAuthLoginStatus::Taken,
                _ => OAuthLoginStatus::Pending,
            },
            state: row.state,
            secret_digest: row.secret_digest,
            provider: row.provider,
            next_path: row.next_path,
            expires_at: row.expires_at,
        }))
    }

    /// Finishes a pending, unexpired login once (confirmed or failed): true when this call finished it.
    pub async fn finish_oauth_login(
        &self,
        state: &str,
        status: &OAuthLoginStatus,
    ) -> Result<bool, DbError> {
        let (label, user_id, error) = match status {
            OAuthLoginStatus::Confirmed { user_id } => ("confirmed", Some(user_id.as_str()), None),
            OAuthLoginStatus::Failed { error } => ("failed", None, Some(error.as_str())),
            OAuthLoginStatus::Pending | OAuthLoginStatus::Taken => return Ok(false),
        };
        let changed = sqlx::query(
            "UPDATE oauth_logins SET status = $1, user_id = $2, error = $3 \
             WHERE state = $4 AND status = 'pending' AND expires_at >= $5",
        )
        .bind(label)
        .bind(user_id)
        .bind(error)
        .bind(state)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Marks a confirmed, unexpired login taken: true for the one call that did, so of two polls at once only one
    /// gets a session.
    pub async fn take_oauth_login(&self, state: &str) -> Result<bool, DbError> {
        let changed = sqlx::query(
            "UPDATE oauth_logins SET status = 'taken' WHERE state = $1 AND status = 'confirmed' AND expires_at >= $2",
        )
        .bind(state)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Removes the logins past their lifetime; returns how many.
    pub async fn delete_expired_oauth_logins(&self) -> Result<u64, DbError> {
        Ok(
            sqlx::query("DELETE FROM oauth_logins WHERE expires_at < $1")
                .bind(now())
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }

    /// The user an OAuth code of `appid` was already exchanged for, within `max_age` seconds, by the login whose
    /// state has the digest `state_digest` (a code brought back with another state is not answered from here).
    pub async fn oauth_code_user(
        &self,
        appid: &str,
        code: &str,
        state_digest: &str,
        max_age: i64,
    ) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT user_id FROM oauth_code_results WHERE appid = $1 AND code = $2 AND state_digest = $3 AND created_at > $4",
        )
        .bind(appid)
        .bind(code)
        .bind(state_digest)
        .bind(now() - max_age)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(user_id,)| user_id))
    }

    pub async fn remember_oauth_code(
        &self,
        appid: &str,
        code: &str,
        state_digest: &str,
        user_id: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO oauth_code_results (appid, code, state_digest, user_id, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (appid, code) DO NOTHING",
        )
        .bind(appid)
        .bind(code)
        .bind(state_digest)
        .bind(user_id)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes code results older than `max_age` seconds, which are never reused; returns how many.
    pub async fn delete_old_oauth_codes(&self, max_age: i64) -> Result<u64, DbError> {
        Ok(
            sqlx::query("DELETE FROM oauth_code_results WHERE created_at <= $1")
                .bind(now() - max_age)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
