//! The Axum state: Leptos' options for rendering, and the app context for routes.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use app::ssr::context::AppContext;

#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppContext,
}
