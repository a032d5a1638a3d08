//! WeChat's message push as stored: each message once under its repeat key, then applied exactly once — the claim
//! (`applied_at` set where it was unset) and the message's effect share one transaction, so of two processes one
//! applies it, and a crash before the commit leaves it to be applied again.

use serde_json::json;
use sqlx::{Any, Transaction};

use super::event_data::order_data;
use super::events::record_event;
use super::{Backend, Database, DbError};
use crate::ssr::clock::{china_rfc3339, now};
use crate::ssr::events::EventType;

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewPush<'a> {
    pub appid: &'a str,
    pub repeat_key: &'a str,
    pub msg_type: &'a str,
    pub event: Option<&'a str>,
    pub from_openid: &'a str,
    /// The message's fields as a JSON object.
    pub fields: &'a str,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRow {
    pub appid: String,
    pub repeat_key: String,
    pub msg_type: String,
    pub event: Option<String>,
    pub from_openid: String,
    pub fields: String,
    pub received_at: i64,
    pub applied_at: Option<i64>,
    pub outcome: Option<String>,
}

type PushColumns = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

const PUSH_COLUMNS: &str =
    "appid, repeat_key, msg_type, event, from_openid, fields, received_at, applied_at, outcome";

fn push_row(columns: PushColumns) -> PushRow {
    let (appid, repeat_key, msg_type, event, from_openid, fields, received_at, applied_at, outcome) =
        columns;
    PushRow {
        appid,
        repeat_key,
        msg_type,
        event,
        from_openid,
        fields,
        received_at,
        applied_at,
        outcome,
    }
}

/// What a message does, as [`crate::ssr::push::apply`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The official account was followed (`following`) or unfollowed by `openid`; `scene` is the QR code's
    /// `EventKey` when a code brought them.
    Follow {
        openid: String,
        following: bool,
        scene: Option<String>,
        at: i64,
    },
    /// A follower scanned a parametric QR code.
    Scan {
        openid: String,
        scene: Option<String>,
        at: i64,
    },
    /// Trade management: the buyer confirmed receipt (`confirmed_at`) and/or the money was settled.
    Settlement {
        transaction_id: Option<String>,
        out_trade_no: Option<String>,
        confirmed_at: Option<i64>,
        settled_at: Option<i64>,
        confirm_receive_method: Option<i64>,
    },
    /// Trade management reminds that a paid order's shipping is not uploaded yet.
    ShippingReminder {
        transaction_id: Option<String>,
        out_trade_no: Option<String>,
    },
    /// A person withdrew an authorisation, closed their account, or the platform cleaned their profile.
    Revoke {
        openid: String,
        reason: &'static str,
        revoke_info: Option<String>,
        erase: Erase,
    },
    /// Nothing to change: the message is kept with this outcome.
    Keep(&'static str),
}

/// What of a person wxgate erases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Erase {
    pub profile: bool,
    pub phone: bool,
    pub session_key: bool,
}

impl Database {
    /// Stores a message once; false when it was stored before (WeChat sent it again).
    pub async fn store_push(&self, push: &NewPush<'_>) -> Result<bool, DbError> {
        let stored = sqlx::query(
            "INSERT INTO push_messages (appid, repeat_key, msg_type, event, from_openid, fields, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (appid, repeat_key) DO NOTHING",
        )
        .bind(push.appid)
        .bind(push.repeat_key)
        .bind(push.msg_type)
        .bind(push.event)
        .bind(push.from_openid)
        .bind(push.fields)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(stored == 1)
    }

    /// Messages not applied yet, oldest first.
    pub async fn unapplied_pushes(&self, limit: i64) -> Result<Vec<PushRow>, DbError> {
        let query = format!(
            "SELECT {PUSH_COLUMNS} FROM push_messages WHERE applied_at IS NULL ORDER BY received_at LIMIT $1"
        );
        let rows: Vec<PushColumns> = sqlx::query_as(&query)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(push_row).collect())
    }

    /// The newest messages of an app first.
    pub async fn recent_pushes(&self, appid: &str, limit: i64) -> Result<Vec<PushRow>, DbError> {
        let query = format!(
            "SELECT {PUSH_COLUMNS} FROM push_messages WHERE appid = $1 ORDER BY received_at DESC LIMIT $2"
        );
        let rows: Vec<PushColumns> = sqlx::query_as(&query)
            .bind(appid)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(push_row).collect())
    }

    /// Applies `effect` of message (`appid`, `repeat_key`) unless it was applied already; the outcome it records,
    /// or none when another process (or an earlier round) applied it.
    pub async fn apply_push(
        &self,
        appid: &str,
        repeat_key: &str,
        effect: &Effect,
    ) -> Result<Option<&'static str>, DbError> {
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        let claimed = sqlx::query(
            "UPDATE push_messages SET applied_at = $1 WHERE appid = $2 AND repeat_key = $3 AND applied_at IS NULL",
        )
        .bind(now())
        .bind(appid)
        .bind(repeat_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let outcome = apply_effect(&mut tx, self.backend(), appid, effect).await?;
        sqlx::query("UPDATE push_messages SET outcome = $1 WHERE appid = $2 AND repeat_key = $3")
            .bind(outcome)
            .bind(appid)
            .bind(repeat_key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.events_written();
        Ok(Some(outcome))
    }

    /// Deletes messages applied before `before`: WeChat's retries of them ended long ago.
    pub async fn delete_applied_pushes(&self, before: i64) -> Result<u64, DbError> {
        Ok(sqlx::query(
            "DELETE FROM push_messages WHERE applied_at IS NOT NULL AND applied_at < $1",
        )
        .bind(before)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Whether `openid` follows the official account `appid` now, and the scene that last brought them.
    pub async fn follow(
        &self,
        appid: &str,
        openid: &str,
    ) -> Result<Option<(bool, Option<String>)>, DbError> {
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT following, scene FROM official_account_follows WHERE appid = $1 AND openid = $2",
        )
        .bind(appid)
        .bind(openid)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(following, scene)| (following == 1, scene)))
    }
}

async fn apply_effect(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    appid: &str,
    effect: &Effect,
) -> Result<&'static str, DbError> {
    Ok(match effect {
        Effect::Follow {
            openid,
            following,
            scene,
            at,
        } => {
            sqlx::query(
                "INSERT INTO official_account_follows (appid, openid, following, scene, followed_at, unfollowed_at, updated_at) \
                 VALUES ($1, $2, $3, $4, CASE WHEN $3 = 1 THEN $5 END, CASE WHEN $3 = 0 THEN $5 END, $5) \
                 ON CONFLICT (appid, openid) DO UPDATE SET following = excluded.following, \
                 scene = COALESCE(excluded.scene, official_account_follows.scene), \
                 followed_at = COALESCE(excluded.followed_at, official_account_follows.followed_at), \
                 unfollowed_at = COALESCE(excluded.unfollowed_at, official_account_follows.unfollowed_at), \
                 updated_at = excluded.updated_at",
            )
            .bind(appid)
            .bind(openid)
            .bind(i64::from(*following))
            .bind(scene.as_deref())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            if *following {
                "followed"
            } else {
                "unfollowed"
            }
        }
        Effect::Scan { openid, scene, at } => {
            sqlx::query(
                "INSERT INTO official_account_follows (appid, openid, following, scene, followed_at, updated_at) \
                 VALUES ($1, $2, 1, $3, $4, $4) \
                 ON CONFLICT (appid, openid) DO UPDATE SET following = 1, scene = excluded.scene, updated_at = excluded.updated_at",
            )
            .bind(appid)
            .bind(openid)
            .bind(scene.as_deref())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            "scanned"
        }
        Effect::Settlement {
            transaction_id,
            out_trade_no,
            confirmed_at,
            settled_at,
            confirm_receive_method,
        } => {
            let Some(order_id) =
                shipment_order(tx, transaction_id.as_deref(), out_trade_no.as_deref()).await?
            else {
                return Ok("no such order");
            };
            let newly_confirmed = sqlx::query(
                "UPDATE shipments SET receipt_confirmed_at = $1, updated_at = $2 \
                 WHERE order_id = $3 AND receipt_confirmed_at IS NULL AND $1 IS NOT NULL",
            )
            .bind(*confirmed_at)
            .bind(now())
            .bind(&order_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
            sqlx::query(
                "UPDATE shipments SET settled_at = COALESCE(settled_at, $1), updated_at = $2 WHERE order_id = $3",
            )
            .bind(*settled_at)
            .bind(now())
            .bind(&order_id)
            .execute(&mut **tx)
            .await?;
            if newly_confirmed {
                record_shipping_confirmed(
                    tx,
                    &order_id,
                    *confirmed_at,
                    *settled_at,
                    *confirm_receive_method,
                )
                .await?;
                "receipt confirmed"
            } else {
                "settlement noted"
            }
        }
        Effect::ShippingReminder {
            transaction_id,
            out_trade_no,
        } => {
            let Some(order_id) =
                shipment_order(tx, transaction_id.as_deref(), out_trade_no.as_deref()).await?
            else {
                return Ok("no such order");
            };
            sqlx::query(
                "UPDATE shipments SET wechat_reminded_at = $1, updated_at = $1 WHERE order_id = $2",
            )
            .bind(now())
            .bind(&order_id)
            .execute(&mut **tx)
            .await?;
            "shipping reminder noted"
        }
        Effect::Revoke {
            openid,
            reason,
            revoke_info,
            erase,
        } => {
            revoke(
                tx,
                backend,
                appid,
                openid,
                reason,
                revoke_info.as_deref(),
                *erase,
            )
            .await?
        }
        Effect::Keep(outcome) => outcome,
    })
}

/// The order of the shipment WeChat names, by transaction id or by merchant order number.
async fn shipment_order(
    tx: &mut Transaction<'_, Any>,
    transaction_id: Option<&str>,
    out_trade_no: Option<&str>,
) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT s.order_id FROM shipments s JOIN orders o ON o.id = s.order_id \
         WHERE s.transaction_id = $1 OR o.out_trade_no = $2",
    )
    .bind(transaction_id)
    .bind(out_trade_no)
    .fetch_optional(&mut **tx)
    .await?)
}

async fn record_shipping_confirmed(
    tx: &mut Transaction<'_, Any>,
    order_id: &str,
    confirmed_at: Option<i64>,
    settled_at: Option<i64>,
    confirm_receive_method: Option<i64>,
) -> Result<(), DbError> {
    // The order's own data, with what trade management said.
    let mut data = order_data(tx, order_id).await?;
    data["receipt"] = json!({
        "confirmed_at": confirmed_at.map(china_rfc3339),
        "settled_at": settled_at.map(china_rfc3339),
        "wechat_confirm_receive_method": confirm_receive_method,
    });
    record_event(tx, EventType::ShippingConfirmed, data).await
}

/// Erases what `erase` names of the person behind (`appid`, `openid`), marks the identity revoked and reports it
/// (`user.revoked`). Orders stay: they are the merchant's accounting records, which the law keeps.
async fn revoke(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    appid: &str,
    openid: &str,
    reason: &'static str,
    revoke_info: Option<&str>,
    erase: Erase,
) -> Result<&'static str, DbError> {
    let user_id: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM identities WHERE appid = $1 AND openid = $2")
            .bind(appid)
            .bind(openid)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(user_id) = user_id else {
        return Ok("no such person");
    };
    let mut erased = Vec::new();
    if erase.profile {
        let avatar: Option<Option<String>> =
            sqlx::query_scalar("SELECT avatar_url FROM users WHERE id = $1")
                .bind(&user_id)
                .fetch_optional(&mut **tx)
                .await?;
        sqlx::query(
            "UPDATE users SET nickname = NULL, avatar_url = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now())
        .bind(&user_id)
        .execute(&mut **tx)
        .await?;
        if let Some(digest) = avatar
            .flatten()
            .and_then(|url| url.strip_prefix("/api/avatars/").map(str::to_owned))
        {
            if backend == Backend::Postgres {
                // As in `set_avatar`: an image is left and adopted under its lock.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(&digest)
                    .execute(&mut **tx)
                    .await?;
            }
            sqlx::query(
                "DELETE FROM avatars WHERE digest = $1 AND NOT EXISTS \
                 (SELECT 1 FROM users WHERE avatar_url = $2)",
            )
            .bind(&digest)
            .bind(format!("/api/avatars/{digest}"))
            .execute(&mut **tx)
            .await?;
        }
        erased.extend(["nickname", "avatar"]);
    }
    if erase.phone {
        sqlx::query("UPDATE users SET phone = NULL, updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(&user_id)
            .execute(&mut **tx)
            .await?;
        erased.push("phone");
    }
    if erase.session_key {
        sqlx::query("DELETE FROM mp_session_keys WHERE appid = $1 AND openid = $2")
            .bind(appid)
            .bind(openid)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE identities SET revoked_at = $1 WHERE appid = $2 AND openid = $3")
            .bind(now())
            .bind(appid)
            .bind(openid)
            .execute(&mut **tx)
            .await?;
        erased.push("session_key");
    }
    let data = json!({
        "user_id": user_id,
        "appid": appid,
        "openid": openid,
        "reason": reason,
        "revoke_info": revoke_info,
        "erased": erased,
    });
    record_event(tx, EventType::UserRevoked, data).await?;
    Ok("revocation applied")
}
