//! Sessions kept in the database, so every wxgate process behind a load balancer sees the same ones. A session's
//! id is the bearer token of mini programs and pollers and the value of the browser's cookie, so the table keeps
//! only its SHA-256 digest (`crate::ssr::digest`): a copy of the database signs nobody in.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

use super::{Database, DbError};
use crate::ssr::digest::sha256_hex;

/// How often `create` draws a new id when the one it drew is taken (practically never: ids are 128 random bits).
const CREATE_ATTEMPTS: usize = 3;

/// A tower-sessions store over wxgate's database; the session data is kept as JSON text.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Database,
}

impl DbSessionStore {
    pub fn new(db: Database) -> DbSessionStore {
        DbSessionStore { db }
    }

    /// Removes sessions that have expired; returns how many.
    pub async fn delete_expired(&self) -> std::result::Result<u64, DbError> {
        let removed = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(OffsetDateTime::now_utc().unix_timestamp())
            .execute(self.db.pool())
            .await?
            .rows_affected();
        Ok(removed)
    }
}

/// The key a session is stored under: the digest of its id, never the id.
fn stored_id(id: &Id) -> String {
    sha256_hex(id.to_string())
}

fn backend(error: sqlx::Error) -> Error {
    Error::Backend(error.to_string())
}

/// Stored session data that does not decode, said without serde's message, which can quote the data it refused
/// (a session carries user ids and OAuth states, and errors reach the log).
fn undecodable(error: serde_json::Error) -> Error {
    Error::Decode(format!(
        "stored session data is not valid ({:?} at line {}, column {})",
        error.classify(),
        error.line(),
        error.column()
    ))
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(&record.data).map_err(|error| Error::Encode(error.to_string()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = encode(record)?;
        for _ in 0..CREATE_ATTEMPTS {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(stored_id(&record.id))
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .execute(self.db.pool())
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(Error::Backend(
            "could not find a free session id".to_owned(),
        ))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(stored_id(&record.id))
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(stored_id(id))
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .fetch_optional(self.db.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(undecodable)?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|error| Error::Decode(error.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecodable_session_data_is_told_without_quoting_it() {
        let refused = serde_json::from_str::<std::collections::HashMap<String, i64>>(
            r#"{"auth.user_id": "u-secretive-7"}"#,
        )
        .expect_err("not numbers");
        let told = undecodable(refused).to_string();
        assert!(!told.contains("u-secretive-7"), "{told}");
        assert!(told.contains("line 1"), "{told}");
    }
}
