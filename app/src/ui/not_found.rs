//! The page for a path the router does not know.

use leptos::prelude::*;

/// Shown, with status 404, for any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <section class="card">
            <h1>"页面不存在"</h1>
            <p class="muted">"This page does not exist."</p>
            <a class="btn btn-default" href="/">"返回首页"</a>
        </section>
    }
}
