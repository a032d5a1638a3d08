//! The address a browser reaches the sandbox from, for the pages that check it (the H5 cashier): the one the host
//! resolved when it put a [`BrowserAddress`] in the request's extensions (`wxgate serve` does, through
//! `WXGATE_TRUSTED_PROXIES`), else the connection's own.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;

/// The browser's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for BrowserAddress {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<BrowserAddress, Self::Rejection> {
        if let Some(address) = parts.extensions.get::<BrowserAddress>() {
            return Ok(*address);
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| BrowserAddress(peer.ip()))
            .ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the sandbox is served without the connection's address",
            ))
    }
}
