//! The schema's migrations, embedded in the binary and handed to sqlx's migrator as a [`MigrationSource`] (what
//! `sqlx::migrate!` does, without its proc-macro: that macro would build both database drivers, SQLite's C code and
//! the TLS stack a second time, for the compiler). Each is `app/migrations/NNNN_description.sql`, applied in order,
//! checksummed by sqlx (SHA-384 of its text) so an applied migration that changed is refused.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// Every migration file: its version, its description (the file name's, with spaces) and its SQL.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "sessions",
        include_str!("../../../migrations/0001_sessions.sql"),
    ),
    (
        2,
        "wechat tokens",
        include_str!("../../../migrations/0002_wechat_tokens.sql"),
    ),
    (
        3,
        "users",
        include_str!("../../../migrations/0003_users.sql"),
    ),
    (
        4,
        "orders",
        include_str!("../../../migrations/0004_orders.sql"),
    ),
    (
        5,
        "refunds",
        include_str!("../../../migrations/0005_refunds.sql"),
    ),
    (
        6,
        "reconciliations",
        include_str!("../../../migrations/0006_reconciliations.sql"),
    ),
    (
        7,
        "instance",
        include_str!("../../../migrations/0007_instance.sql"),
    ),
    (
        8,
        "poll secrets and session digests",
        include_str!("../../../migrations/0008_poll_secrets_and_session_digests.sql"),
    ),
    (
        11,
        "abuse limits",
        include_str!("../../../migrations/0011_abuse_limits.sql"),
    ),
    (
        12,
        "avatars",
        include_str!("../../../migrations/0012_avatars.sql"),
    ),
    (
        13,
        "shipping",
        include_str!("../../../migrations/0013_shipping.sql"),
    ),
    (
        14,
        "push and events",
        include_str!("../../../migrations/0014_push_and_events.sql"),
    ),
    (
        15,
        "openid connect",
        include_str!("../../../migrations/0015_openid_connect.sql"),
    ),
    (
        16,
        "api keys",
        include_str!("../../../migrations/0016_api_keys.sql"),
    ),
    (
        17,
        "checkouts",
        include_str!("../../../migrations/0017_checkouts.sql"),
    ),
    (
        18,
        "idempotency keys",
        include_str!("../../../migrations/0018_idempotency_keys.sql"),
    ),
    (
        19,
        "open orders index",
        include_str!("../../../migrations/0019_open_orders_index.sql"),
    ),
];

/// The embedded migrations, as sqlx reads a migrations folder.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrator for wxgate's schema.
pub(super) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn every_migration_file_is_embedded_once_with_its_version_and_description() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .expect("the migrations folder")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(version, description, _)| {
                format!("{version:04}_{}.sql", description.replace(' ', "_"))
            })
            .collect();
        assert_eq!(embedded, files);
        for ((version, _, sql), file) in MIGRATIONS.iter().zip(&files) {
            let on_disk = std::fs::read_to_string(format!("{folder}/{file}")).expect("readable");
            assert_eq!(*sql, on_disk, "migration {version}");
        }
    }
}
