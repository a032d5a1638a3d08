//! Glue between the WeChat client's [`TokenStore`] and the database, so neither imports the other.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::db::{Database, TokenRow};
use wechat::token::{SharedToken, TokenStore};

/// The token store of every wxgate process that uses this database.
#[derive(Debug, Clone)]
pub struct DatabaseTokenStore {
    db: Database,
}

impl DatabaseTokenStore {
    pub fn new(db: Database) -> DatabaseTokenStore {
        DatabaseTokenStore { db }
    }
}

#[async_trait]
impl TokenStore for DatabaseTokenStore {
    async fn load(&self, key: &str) -> Result<Option<SharedToken>, String> {
        let row = self
            .db
            .load_token(key)
            .await
            .map_err(|error| error.to_string())?;
        Ok(row.map(|row| SharedToken {
            value: SecretString::from(row.value),
            expires_at: row.expires_at,
        }))
    }

    async fn try_lease(
        &self,
        key: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, String> {
        self.db
            .try_token_lease(key, holder, now, until)
            .await
            .map_err(|error| error.to_string())
    }

    async fn save(&self, key: &str, token: &SharedToken, holder: &str) -> Result<(), String> {
        let row = TokenRow {
            value: token.value.expose_secret().to_owned(),
            expires_at: token.expires_at,
        };
        self.db
            .save_token(key, &row, holder)
            .await
            .map_err(|error| error.to_string())
    }
}
