//! Where a browser buyer pays from, read from the request: the WeChat browser (JSAPI), a phone browser (H5, with
//! the buyer's IP, which WeChat Pay requires) or a desktop (Native).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use super::checkout::PayFrom;
use crate::ssr::client_ip::client_ip;
use crate::types::channel::BrowserKind;

/// Where the browser that sent `headers` over a connection from `peer` pays from.
pub fn browser(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> PayFrom {
    match BrowserKind::from_headers(headers) {
        BrowserKind::WeChat => PayFrom::WeChatBrowser,
        BrowserKind::Mobile => PayFrom::H5 {
            client_ip: client_ip(peer, headers, trusted_proxies).to_string(),
        },
        BrowserKind::Desktop => PayFrom::Native,
    }
}
