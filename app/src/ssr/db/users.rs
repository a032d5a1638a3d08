//! Users and their WeChat identities, and the mini-program session keys. Linking and merging happen in one
//! transaction each, so two logins of one person at once still end as one user.

use serde_json::json;
use sqlx::{Any, Transaction};

use super::events::record_event;
use super::{Backend, Database, DbError};
use crate::ssr::clock::now;
use crate::ssr::events::EventType;

/// A person's account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
}

/// One WeChat identity of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub provider: String,
    pub user_id: String,
    /// When the person withdrew this app's authorisation (WeChat's `user_authorization_revoke`), if they did.
    pub revoked_at: Option<i64>,
}

/// An identity as a login presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdentity<'a> {
    pub appid: &'a str,
    pub openid: &'a str,
    pub unionid: Option<&'a str>,
    pub provider: &'a str,
    pub nickname: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
}

struct StoredUser {
    id: String,
    nickname: Option<String>,
    avatar_url: Option<String>,
    phone: Option<String>,
    merged_into: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for StoredUser {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(StoredUser {
            id: row.try_get("id")?,
            nickname: row.try_get("nickname")?,
            avatar_url: row.try_get("avatar_url")?,
            phone: row.try_get("phone")?,
            merged_into: row.try_get("merged_into")?,
        })
    }
}

/// A new random id for a row.
pub fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

impl Database {
    /// Finds the user of `identity` or makes one, linking through the unionid: an identity whose unionid another
    /// user already has joins that user, and two users found to share a unionid are merged. Returns the user id.
    pub async fn link_identity(&self, identity: &NewIdentity<'_>) -> Result<String, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        if self.backend() == Backend::Postgres {
            // Logins of one person at once (two tabs, a retried request) take turns, so they find one user instead
            // of each making one. SQLite's write transaction serializes them already.
            let keys = [
                Some(format!("{}:{}", identity.appid, identity.openid)),
                identity.unionid.map(str::to_owned),
            ];
            for key in keys.into_iter().flatten() {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT user_id FROM identities WHERE appid = $1 AND openid = $2")
                .bind(identity.appid)
                .bind(identity.openid)
                .fetch_optional(&mut *tx)
                .await?;
        let by_unionid = match identity.unionid {
            Some(unionid) => sqlx::query_as::<_, (String,)>(
                "SELECT DISTINCT user_id FROM identities WHERE unionid = $1 ORDER BY user_id",
            )
            .bind(unionid)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|(user_id,)| user_id)
            .collect(),
            None => Vec::new(),
        };
        let mut created = false;
        let user_id = match (existing, by_unionid.first()) {
            (Some((user_id,)), _) => user_id,
            (None, Some(user_id)) => user_id.clone(),
            (None, None) => {
                created = true;
                let user_id = new_id();
                sqlx::query("INSERT INTO users (id, created_at, updated_at) VALUES ($1, $2, $2)")
                    .bind(&user_id)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                user_id
            }
        };
        let merged: Vec<&String> = by_unionid
            .iter()
            .filter(|other| **other != user_id)
            .collect();
        for other in &merged {
            merge_users(&mut tx, &user_id, other).await?;
        }
        sqlx::query(
            "INSERT INTO identities (appid, openid, unionid, provider, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (appid, openid) DO UPDATE SET unionid = COALESCE(excluded.unionid, identities.unionid)",
        )
        .bind(identity.appid)
        .bind(identity.openid)
        .bind(identity.unionid)
        .bind(identity.provider)
        .bind(&user_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if identity.nickname.is_some() || identity.avatar_url.is_some() {
            sqlx::query(
                "UPDATE users SET nickname = COALESCE($1, nickname), avatar_url = COALESCE($2, avatar_url), updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(identity.nickname)
            .bind(identity.avatar_url)
            .bind(now())
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        }
        let identity_data = json!({
            "appid": identity.appid,
            "openid": identity.openid,
            "unionid": identity.unionid,
            "provider": identity.provider,
        });
        if created {
            let data = json!({"user_id": user_id, "identity": identity_data});
            record_event(&mut tx, EventType::UserCreated, data).await?;
        }
        if !merged.is_empty() {
            let data = json!({
                "user_id": user_id,
                "merged_user_ids": merged,
                "unionid": identity.unionid,
                "identity": identity_data,
            });
            record_event(&mut tx, EventType::UserMerged, data).await?;
        }
        tx.commit().await?;
        if created || !merged.is_empty() {
            self.events_written();
        }
        Ok(user_id)
    }

    /// The user behind `id`, following merges.
    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, DbError> {
        let mut current = id.to_owned();
        // A merge chain is short; the bound only guards against a cycle a bug might make.
        for _ in 0..8 {
            let row: Option<StoredUser> = sqlx::query_as(
                "SELECT id, nickname, avatar_url, phone, merged_into FROM users WHERE id = $1",
            )
            .bind(&current)
            .fetch_optional(self.pool())
            .await?;
            match row {
                None => return Ok(None),
                Some(StoredUser {
                    merged_into: Some(merged_into),
                    ..
                }) => current = merged_into,
                Some(StoredUser {
                    id,
                    nickname,
                    avatar_url,
                    phone,
                    merged_into: None,
                }) => {
                    return Ok(Some(UserRow {
                        id,
                        nickname,
                        avatar_url,
                        phone,
                    }))
                }
            }
        }
        Ok(None)
    }

    /// The user an openid (of any of wxgate's apps) belongs to, following merges.
    pub async fn user_of_openid(&self, openid: &str) -> Result<Option<UserRow>, DbError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT user_id FROM identities WHERE openid = $1 ORDER BY created_at LIMIT 1",
        )
        .bind(openid)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((user_id,)) => self.user(&user_id).await,
            None => Ok(None),
        }
    }

    /// A user's identities, oldest first.
    pub async fn identities(&self, user_id: &str) -> Result<Vec<IdentityRow>, DbError> {
        type Row = (String, String, Option<String>, String, String, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT appid, openid, unionid, provider, user_id, revoked_at FROM identities WHERE user_id = $1 ORDER BY created_at, appid",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(appid, openid, unionid, provider, user_id, revoked_at)| IdentityRow {
                    appid,
                    openid,
                    unionid,
                    provider,
                    user_id,
                    revoked_at,
                },
            )
            .collect())
    }

    /// Binds `phone` to the user; a number new to them is reported (`user.phone_bound`) in the same transaction.
    pub async fn set_phone(&self, user_id: &str, phone: &str) -> Result<(), DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET phone = $1, updated_at = $2 WHERE id = $3 AND (phone IS NULL OR phone <> $1)",
        )
        .bind(phone)
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            let data = json!({"user_id": user_id, "phone": phone});
            record_event(&mut tx, EventType::UserPhoneBound, data).await?;
        }
        tx.commit().await?;
        if changed {
            self.events_written();
        }
        Ok(())
    }

    /// Keeps the newest session_key of a mini-program identity.
    pub async fn save_session_key(
        &self,
        appid: &str,
        openid: &str,
        session_key: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO mp_session_keys (appid, openid, session_key, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, openid) DO UPDATE SET session_key = excluded.session_key, updated_at = excluded.updated_at",
        )
        .bind(appid)
        .bind(openid)
        .bind(session_key)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest session_key of the user's identity in the mini program `appid`, with that identity's openid.
    pub async fn session_key(
        &self,
        user_id: &str,
        appid: &str,
    ) -> Result<Option<(String, String)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT k.openid, k.session_key FROM mp_session_keys k JOIN identities i ON i.appid = k.appid AND i.openid = k.openid \
             WHERE i.user_id = $1 AND k.appid = $2 ORDER BY k.updated_at DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(appid)
        .fetch_optional(self.pool())
        .await?)
    }
}

/// Moves everything of `from` to `into` and marks `from` as merged; profile fields `into` lacks are kept.
async fn merge_users(tx: &mut Transaction<'_, Any>, into: &str, from: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE identities SET user_id = $1 WHERE user_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    let donor: Option<(Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT nickname, avatar_url, phone FROM users WHERE id = $1")
            .bind(from)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((nickname, avatar_url, phone)) = donor {
        sqlx::query(
            "UPDATE users SET nickname = COALESCE(nickname, $1), avatar_url = COALESCE(avatar_url, $2), \
             phone = COALESCE(phone, $3), updated_at = $4 WHERE id = $5",
        )
        .bind(nickname)
        .bind(avatar_url)
        .bind(phone)
        .bind(now())
        .bind(into)
        .execute(&mut **tx)
        .await?;
    }
    super::openid::move_subjects(tx, into, from).await?;
    // The merged user's orders, and users merged into it before, now belong to `into`.
    sqlx::query("UPDATE orders SET user_id = $1 WHERE user_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET merged_into = $1 WHERE merged_into = $2")
        .bind(into)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET merged_into = $1, updated_at = $2 WHERE id = $3")
        .bind(into)
        .bind(now())
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
