//! The status report behind the home page: the database that answered and a per-session counter.

use tower_sessions::Session;

use super::db::{Database, DbError};
use crate::types::StatusReport;

/// The session key of the counter, namespaced so later features cannot collide with it.
const CHECKS_KEY: &str = "status.checks";

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("session store failed: {0}")]
    Session(#[from] tower_sessions::session::Error),
}

/// Reads the schema version and counts this check in the visitor's session.
pub async fn report(db: &Database, session: &Session) -> Result<StatusReport, StatusError> {
    let schema_version = db.schema_version().await?;
    let checks = session
        .get::<u32>(CHECKS_KEY)
        .await?
        .unwrap_or(0)
        .saturating_add(1);
    session.insert(CHECKS_KEY, checks).await?;
    Ok(StatusReport {
        database: db.backend().label().to_owned(),
        schema_version,
        checks_this_session: checks,
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}
