//! Server functions: a few lines each that take the context and session, call a use-case and return a DTO.

pub mod auth;
pub mod shop;
pub mod status;
pub mod wechat_page;

/// Refuses a field past its bound ([`crate::ssr::bounds`]) before the server function does anything else: status
/// 400, and the page's "bad input".
#[cfg(feature = "ssr")]
fn bounded<T>(
    checked: Result<T, crate::ssr::bounds::TooLong>,
) -> Result<T, crate::types::ApiError> {
    checked.map_err(|too_long| {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::BAD_REQUEST);
        }
        tracing::info!(%too_long, "a server function was refused");
        crate::types::ApiError::Shop(crate::types::shop::ShopProblem::BadInput)
    })
}
