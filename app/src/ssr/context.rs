//! What every route handler and server function can reach: the settings and the database.

use std::sync::Arc;

use super::config::Settings;
use super::db::Database;

/// Shared, cheap to clone; provided to server functions through Leptos context and to routes as Axum state.
#[derive(Debug, Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Database,
}
