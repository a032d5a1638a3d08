//! The `ClientIp` extractor: the client's address as `WXGATE_TRUSTED_PROXIES` resolves it (see
//! `app::ssr::client_ip`), for the routes that limit attempts per client and for the mounted sandbox, which checks
//! the browser opening its H5 cashier against the `payer_client_ip` wxgate sent.

use std::net::{IpAddr, SocketAddr};

use app::ssr::client_ip::client_ip;
use app::ssr::context::AppContext;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use sandbox::browser_address::BrowserAddress;

/// The address of the client that sent the request.
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppContext: FromRef<S>,
{
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ClientIp, StatusCode> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer)
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        let context = AppContext::from_ref(state);
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &context.settings.trusted_proxies,
        )))
    }
}

/// Middleware for the mounted sandbox: the browser's address is the client's as wxgate resolves it, so a proxy in
/// front of both is seen through (or not) alike.
pub async fn tell_sandbox_the_browser(
    ClientIp(ip): ClientIp,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(BrowserAddress(ip));
    next.run(request).await
}
