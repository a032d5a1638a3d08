//! OAuth logins started through the start/poll API (finished by the callback, on any process), and what each OAuth
//! code was exchanged for (WeChat sometimes calls back twice with one code).

use super::{Database, DbError};
use crate::ssr::wechat::clock::now;

/// Where a start/poll login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthLoginStatus {
    Pending,
    Done {
        user_id: String,
        session_token: String,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthLoginRow {
    pub state: String,
    pub provider: String,
    pub next_path: String,
    pub status: OAuthLoginStatus,
    pub expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct StoredLogin {
    state: String,
    provider: String,
    next_path: String,
    status: String,
    user_id: Option<String>,
    session_token: Option<String>,
    error: Option<String>,
    expires_at: i64,
}

impl Database {
    pub async fn start_oauth_login(
        &self,
        state: &str,
        provider: &str,
        next_path: &str,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO oauth_logins (state, provider, next_path, status, created_at, expires_at) VALUES ($1, $2, $3, 'pending', $4, $5)",
        )
        .bind(state)
        .bind(provider)
        .bind(next_path)
        .bind(now())
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn oauth_login(&self, state: &str) -> Result<Option<OAuthLoginRow>, DbError> {
        let row: Option<StoredLogin> = sqlx::query_as(
            "SELECT state, provider, next_path, status, user_id, session_token, error, expires_at FROM oauth_logins WHERE state = $1",
        )
        .bind(state)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| OAuthLoginRow {
            status: match (row.status.as_str(), row.user_id, row.session_token) {
                ("done", Some(user_id), Some(session_token)) => OAuthLoginStatus::Done {
                    user_id,
                    session_token,
                },
                ("failed", _, _) => OAuthLoginStatus::Failed {
                    error: row.error.unwrap_or_default(),
                },
                _ => OAuthLoginStatus::Pending,
            },
            state: row.state,
            provider: row.provider,
            next_path: row.next_path,
            expires_at: row.expires_at,
        }))
    }

    /// Finishes a pending login once: true when this call finished it.
    pub async fn finish_oauth_login(
        &self,
        state: &str,
        status: &OAuthLoginStatus,
    ) -> Result<bool, DbError> {
        let (label, user_id, session_token, error) = match status {
            OAuthLoginStatus::Pending => return Ok(false),
            OAuthLoginStatus::Done {
                user_id,
                session_token,
            } => (
                "done",
                Some(user_id.as_str()),
                Some(session_token.as_str()),
                None,
            ),
            OAuthLoginStatus::Failed { error } => ("failed", None, None, Some(error.as_str())),
        };
        let changed = sqlx::query(
            "UPDATE oauth_logins SET status = $1, user_id = $2, session_token = $3, error = $4 WHERE state = $5 AND status = 'pending'",
        )
        .bind(label)
        .bind(user_id)
        .bind(session_token)
        .bind(error)
        .bind(state)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// The user an OAuth code of `appid` was already exchanged for, within `max_age` seconds.
    pub async fn oauth_code_user(
        &self,
        appid: &str,
        code: &str,
        max_age: i64,
    ) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT user_id FROM oauth_code_results WHERE appid = $1 AND code = $2 AND created_at > $3",
        )
        .bind(appid)
        .bind(code)
        .bind(now() - max_age)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(user_id,)| user_id))
    }

    pub async fn remember_oauth_code(
        &self,
        appid: &str,
        code: &str,
        user_id: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO oauth_code_results (appid, code, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (appid, code) DO NOTHING",
        )
        .bind(appid)
        .bind(code)
        .bind(user_id)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
