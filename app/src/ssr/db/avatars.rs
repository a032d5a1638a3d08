//! Avatars people upload, kept by the SHA-256 of their bytes, and the profile fields a user sets: the nickname and
//! the avatar's URL. Replacing an avatar drops the old image once no user shows it, in the same transaction.

use super::{Backend, Database, DbError};
use crate::ssr::clock::now;

/// An uploaded avatar, as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The path an avatar of `digest` is served at.
pub fn avatar_path(digest: &str) -> String {
    format!("/api/avatars/{digest}")
}

impl Database {
    /// Sets a user's nickname.
    pub async fn set_nickname(&self, user_id: &str, nickname: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET nickname = $1, updated_at = $2 WHERE id = $3")
            .bind(nickname)
            .bind(now())
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Keeps the image of `digest` (once, whoever uploads it) and makes it the user's avatar; the image the user
    /// showed before goes when nobody else shows it.
    pub async fn set_avatar(
        &self,
        user_id: &str,
        digest: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<(), DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        if self.backend() == Backend::Postgres {
            // SQLite's BEGIN IMMEDIATE already makes writers take turns. On PostgreSQL, one user leaving an image
            // while another adopts it must not interleave (the leaver's check would miss the adopter's uncommitted
            // row and delete the image): every avatar change takes the images' locks, in one order.
            let mut images = vec![digest.to_owned()];
            let current: Option<(Option<String>,)> =
                sqlx::query_as("SELECT avatar_url FROM users WHERE id = $1 FOR UPDATE")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(old) = current
                .and_then(|(url,)| url)
                .and_then(|url| url.strip_prefix("/api/avatars/").map(str::to_owned))
            {
                images.push(old);
            }
            images.sort();
            images.dedup();
            for image in images {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(format!("avatar:{image}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let previous: Option<(Option<String>,)> =
            sqlx::query_as("SELECT avatar_url FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO avatars (digest, content_type, bytes, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(content_type)
        .bind(bytes)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let path = avatar_path(digest);
        sqlx::query("UPDATE users SET avatar_url = $1, updated_at = $2 WHERE id = $3")
            .bind(&path)
            .bind(now())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if let Some((Some(old),)) = previous {
            if let Some(old_digest) = old
                .strip_prefix("/api/avatars/")
                .filter(|old| *old != digest)
            {
                sqlx::query(
                    "DELETE FROM avatars WHERE digest = $1 \
                     AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_url = $2)",
                )
                .bind(old_digest)
                .bind(&old)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The avatar of `digest`, if one is kept.
    pub async fn avatar(&self, digest: &str) -> Result<Option<AvatarFile>, DbError> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT content_type, bytes FROM avatars WHERE digest = $1")
                .bind(digest)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(content_type, bytes)| AvatarFile {
            content_type,
            bytes,
        }))
    }
}
