//! The Axum state: Leptos' options for rendering, and the app context for routes.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use std::sync::Arc;

use app::ssr::context::AppContext;

use crate::routes::rate_limit::LoginLimits;

#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppContext,
    pub login_limits: Arc<LoginLimits>,
}
