//! Which way a browser buyer pays, read from the request: JSAPI inside WeChat, H5 on a phone (with the buyer's IP,
//! which WeChat Pay requires), Native on a desktop.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use super::checkout::PaySurface;
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

/// The buyer's address: the connection's, or — only when the connection comes from a trusted proxy — the nearest
/// untrusted address in `X-Forwarded-For`.
fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer.ip()) {
        return peer.ip();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().expect("header"));
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let peer = SocketAddr::new(proxy, 4000);
        let headers = forwarded("1.2.3.4, 5.6.7.8, 10.0.0.2");
        assert_eq!(client_ip(peer, &headers, &[]), proxy);
        assert_eq!(
            client_ip(peer, &headers, &[proxy]),
            "5.6.7.8".parse::<IpAddr>().expect("ip"),
            "the nearest untrusted hop, not the first (which the client can forge)"
        );
    }
}
