//! The client's address: the TCP peer, or what a trusted reverse proxy put
//! in X-Forwarded-For. Proxies not listed in `http.trusted_proxies` are not
//! believed, so nobody can pick their own address to dodge throttling.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Walks X-Forwarded-For from the right while the hop is a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header"));
        h
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let peer: IpAddr = "203.0.113.9".parse().expect("ip");
        assert_eq!(client_ip(peer, &headers("1.2.3.4"), &[]), peer);
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let peer: IpAddr = "10.0.0.2".parse().expect("ip");
        let got = client_ip(peer, &headers("6.6.6.6, 198.51.100.7, 10.0.0.5"), &trusted);
        assert_eq!(got, "198.51.100.7".parse::<IpAddr>().expect("ip"));
    }
}
