//! The server function behind the home page's status card.

use leptos::prelude::*;

use crate::types::{ApiError, StatusReport};

/// Reads the database and the visitor's session and reports what answered.
#[server(prefix = "/api/fn", endpoint = "check_status", output = crate::api::codec::JsonText)]
pub async fn check_status() -> Result<StatusReport, ApiError> {
    use crate::ssr::status;

    let context = super::app_context()?;
    let session: tower_sessions::Session = super::from_request().await?;
    status::report(&context.db, &session)
        .await
        .map_err(|error| {
            tracing::error!(%error, "status check failed");
            ApiError::Unavailable
        })
}
