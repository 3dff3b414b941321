//! Who is on the other end, for rate limits: the socket's peer address, or, when that peer is
//! one of the configured `trusted_proxies`, the nearest untrusted address in
//! `X-Forwarded-For` (read from the right, where our own proxies appended). A client can put
//! anything at the left of that header, so nothing left of the first untrusted hop is read.
//!
//! It does not authenticate anyone and is not logged as an identity; an IPv6 client is keyed
//! by its /64 (one subscriber usually holds a whole /64) by [`rate_key`].

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address. Infallible: without connection information (a router driven
/// directly, as some tests do) every request counts as one unspecified client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(Self(client_ip(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy. A malformed entry stops
/// the walk at the last trusted hop (which is then taken as the client).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&unmapped(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .rev()
        .flat_map(|value| value.to_str().unwrap_or("!").rsplit(','));
    for hop in hops {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    unmapped(client)
}

/// `::ffff:a.b.c.d` is the IPv4 client `a.b.c.d`.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key a client is rate-limited under: its IPv4 address, or its IPv6 /64.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match unmapped(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(X_FORWARDED_FOR, value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let spoofed = headers(&["1.2.3.4"]);
        assert_eq!(client_ip(ip("9.9.9.9"), &spoofed, &[]), ip("9.9.9.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client claimed 1.1.1.1; our proxies saw 5.6.7.8 and appended it, then 10.0.0.2.
        let forwarded = headers(&["1.1.1.1, 5.6.7.8", "10.0.0.2"]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &forwarded, &trusted),
            ip("5.6.7.8")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_ip(ip("5.6.7.8"), &forwarded, &trusted),
            ip("5.6.7.8")
        );
        // Garbage stops the walk at the last trusted hop.
        let garbage = headers(&["nonsense, 10.0.0.3"]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &garbage, &trusted),
            ip("10.0.0.3")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa::1")),
            rate_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(rate_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
    }
}
