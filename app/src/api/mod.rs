//! Server functions: a few lines each that take the context and session, call a use-case and return a DTO.

pub mod auth;
pub mod codec;
pub mod shop;
pub mod status;
pub mod wechat_page;

/// The app's context, provided by the server to every server function; its absence is a wiring fault, logged.
#[cfg(feature = "ssr")]
fn app_context() -> Result<crate::ssr::context::AppContext, crate::types::ApiError> {
    leptos::prelude::use_context::<crate::ssr::context::AppContext>().ok_or_else(|| {
        tracing::error!("a server function ran without the app's context");
        crate::types::ApiError::Unavailable
    })
}

/// What a server function reads from its request (headers, the session, the peer's address); a failure is logged
/// and the page is told the service is unavailable.
#[cfg(feature = "ssr")]
async fn from_request<T>() -> Result<T, crate::types::ApiError>
where
    T: axum::extract::FromRequestParts<()>,
    T::Rejection: std::fmt::Debug,
{
    leptos_axum::extract().await.map_err(|error| {
        tracing::error!(%error, "a server function could not read its request");
        crate::types::ApiError::Unavailable
    })
}

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
