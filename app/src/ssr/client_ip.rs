//! The client's address as wxgate believes it: the connection's, or — only when the connection comes from one of
//! `WXGATE_TRUSTED_PROXIES` — the nearest untrusted hop in `X-Forwarded-For`. Abuse limits and WeChat Pay's H5
//! payer IP both use it, so a client cannot pick its own address by sending the header itself.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The address of the client behind the connection from `peer`.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
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
