//! Which way a browser buyer pays, read from the request: JSAPI inside WeChat, H5 on a phone (with the buyer's IP,
//! which WeChat Pay requires), Native on a desktop.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use super::checkout::PaySurface;
use crate::ssr::client_ip::client_ip;
use crate::types::Surface;

/// The surface for the browser that sent `headers` over a connection from `peer`.
pub fn for_browser(
    peer: SocketAddr,
    headers: &HeaderMap,
    trusted_proxies: &[IpAddr],
) -> PaySurface {
    match Surface::from_headers(headers) {
        Surface::WeChat => PaySurface::WeChatBrowser,
        Surface::Mobile => PaySurface::H5 {
            client_ip: client_ip(peer, headers, trusted_proxies).to_string(),
        },
        Surface::Desktop => PaySurface::Native,
    }
}
