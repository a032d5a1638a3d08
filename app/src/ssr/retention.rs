//! What wxgate keeps, and for how long: one purge, run by `wxgate serve` every `WXGATE_PURGE_SECONDS`, removes
//! expired sessions, start/poll logins past their ten minutes, OAuth code results past their reuse window, and
//! refused WeChat Pay notifications (probes included) older than `WXGATE_NOTIFICATION_RETENTION_DAYS`, and
//! rate-limit windows that have ended. The notifications that moved money or were accepted (`applied`,
//! `duplicate`, `paid_after_closing`, `recorded`) are kept for good. Events delivered to the product and WeChat
//! pushes already applied go after the same number of days; undelivered events stay until delivered or resent.
//! OpenID Connect codes and tokens go a day after they ended (a replayed one is still recognised meanwhile), and
//! the grants left with neither. The answers kept for the product's backend's `Idempotency-Key`s go after a day.

use super::auth::oauth::CODE_REUSE_SECONDS;
use super::context::AppContext;
use super::db::{DbError, DbSessionStore};
use super::product_api::idempotency;
use crate::ssr::clock::now;

/// The outcomes `payments::webhook` records for a notification it refused (a probe is `unverified`). An outcome
/// not named here is kept: a kind of notification added later is never purged by mistake.
pub const REFUSED_OUTCOMES: &[&str] = &[
    "not_enabled",
    "unverified",
    "malformed",
    "unknown_order",
    "mismatch",
    "error",
];

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// How many rows one purge removed, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub oauth_logins: u64,
    pub oauth_codes: u64,
    pub notifications: u64,
    pub rate_limit_windows: u64,
    pub delivered_events: u64,
    pub applied_pushes: u64,
    pub oidc_tokens: u64,
    pub idempotency_keys: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.oauth_logins
            + self.oauth_codes
            + self.notifications
            + self.rate_limit_windows
            + self.delivered_events
            + self.applied_pushes
            + self.oidc_tokens
            + self.idempotency_keys
    }
}

/// Removes everything that has outlived its use.
pub async fn purge(context: &AppContext) -> Result<Purged, DbError> {
    let db = &context.db;
    let retention = context.settings.notification_retention_days * SECONDS_PER_DAY;
    Ok(Purged {
        sessions: DbSessionStore::new(db.clone()).delete_expired().await?,
        oauth_logins: db.delete_expired_oauth_logins().await?,
        oauth_codes: db.delete_old_oauth_codes(CODE_REUSE_SECONDS).await?,
        notifications: db
            .delete_notifications(REFUSED_OUTCOMES, now() - retention)
            .await?,
        rate_limit_windows: super::limits::purge(db).await?,
        delivered_events: db.delete_delivered_events(now() - retention).await?,
        applied_pushes: db.delete_applied_pushes(now() - retention).await?,
        oidc_tokens: db.delete_ended_oidc_tokens(now() - SECONDS_PER_DAY).await?,
        idempotency_keys: db
            .delete_old_idempotency_keys(now() - idempotency::KEPT_SECONDS)
            .await?,
    })
}
