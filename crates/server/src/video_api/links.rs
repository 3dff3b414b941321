//! The absolute links the Video API hands out, and checking the signed ones when they come
//! back. reelshare plays S3's part itself: a watch link or a private thumbnail link is
//! `/media/<hash_id>/<object>?exp=<unix seconds>&sig=<HMAC>`, the signature covering the method,
//! the path and the expiry, so a link whose path, id or expiry was changed, or that is past its
//! expiry, is refused. Thumbnails of listed public videos need no signature (anyone may see
//! them); those of drafts and private videos do.
//!
//! The base of every link is `public_url`; without it, the request's `Host` only when it is
//! one of `allowed_hosts`, else the bind address. A `Host` header is the client's word, so an
//! unlisted one (`Host: evil.example`) never reaches a link.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::HOST;
use domain::ids::HashId;
use domain::video::{Timestamp, Video};

use crate::http::signing::Signer;
use crate::settings::Settings;
use crate::state::AppState;

/// Where the signed upload form is posted (reelshare's stand-in for an S3 bucket URL).
pub const UPLOAD_FORM_PATH: &str = "/media/uploads";

pub fn original_path(hash_id: &HashId) -> String {
    format!("/media/{hash_id}/original")
}

/// Where a video's HLS files live: `<prefix>/master.m3u8`, `<prefix>/<n>/playlist.m3u8`, …
pub fn hls_prefix(hash_id: &HashId) -> String {
    format!("/media/{hash_id}/hls")
}

pub fn thumbnail_path(hash_id: &HashId) -> String {
    format!("/media/{hash_id}/thumbnail.jpg")
}

/// Makes the links of one response: one base URL, one clock reading, one expiry.
pub struct Links {
    base: String,
    signer: Arc<Signer>,
    expires_at: i64,
}

impl Links {
    pub fn for_request(state: &AppState, headers: &HeaderMap) -> Self {
        let base = base_url(&state.settings, headers);
        let ttl = i64::try_from(state.settings.watch_link_ttl.as_secs()).unwrap_or(i64::MAX);
        Self {
            base,
            signer: state.signer.clone(),
            expires_at: state.clock.now().as_seconds().saturating_add(ttl),
        }
    }

    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A signed, expiring link that streams the original, for `audience`.
    pub fn watch(&self, hash_id: &HashId, audience: Audience) -> String {
        self.signed(&original_path(hash_id), audience)
    }

    /// A signed, expiring link to the HLS master playlist, for `audience`; the links inside
    /// the playlists are signed for the same audience and expiry when they are served.
    pub fn hls(&self, hash_id: &HashId, audience: Audience) -> String {
        self.signed(&format!("{}/master.m3u8", hls_prefix(hash_id)), audience)
    }

    /// A signed link to ladder rendition `rendition` as one faststart MP4.
    pub fn rendition_mp4(&self, hash_id: &HashId, rendition: usize, audience: Audience) -> String {
        let path = format!("{}/{rendition}/video.mp4", hls_prefix(hash_id));
        self.signed(&path, audience)
    }

    /// A signed link to one of the video's images made on request (`thumbnail.jpg`,
    /// `animated.gif`, `storyboard.vtt`, …), for `audience`.
    pub fn image(&self, hash_id: &HashId, file: &str, audience: Audience) -> String {
        self.signed(&format!("/video/{hash_id}/{file}"), audience)
    }

    /// The small thumbnail: plain for listed public videos, signed for anything else (only
    /// their owner is ever shown those).
    pub fn thumbnail(&self, video: &Video) -> String {
        let path = thumbnail_path(&video.hash_id);
        if video.is_listed() && !video.is_private {
            self.absolute(&path)
        } else {
            self.signed(&path, Audience::Owner)
        }
    }

    fn signed(&self, path: &str, audience: Audience) -> String {
        let expiry = self.expires_at.to_string();
        let signature = sign(&self.signer, path, &expiry, audience);
        let audience = match audience {
            Audience::Anyone => String::new(),
            Audience::Owner => format!("&{OWNER_PARAM}"),
        };
        format!("{}{path}?exp={expiry}{audience}&sig={signature}", self.base)
    }
}

/// The query (`exp=…[&for=owner]&sig=…`) signing `path` for `audience` until `expiry`: for the
/// links inside a playlist, which keep the expiry of the link that fetched the playlist.
pub fn signed_query(signer: &Signer, path: &str, expiry: &str, audience: Audience) -> String {
    let signature = sign(signer, path, expiry, audience);
    match audience {
        Audience::Anyone => format!("exp={expiry}&sig={signature}"),
        Audience::Owner => format!("exp={expiry}&{OWNER_PARAM}&sig={signature}"),
    }
}

/// Whom a signed link was handed to, which decides what it may still show later: a link
/// given to anyone works only while the video stays public and listed (made private,
/// unlisted or deleted, its links stop at once); a link given to the video's owner works
/// while the video exists. The audience is covered by the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Anyone,
    Owner,
}

/// The query parameter that marks an owner's link.
const OWNER_PARAM: &str = "for=owner";

fn sign(signer: &Signer, path: &str, expiry: &str, audience: Audience) -> String {
    signer.sign(&signed_parts(path, &format!("exp={expiry}"), audience))
}

fn signed_parts<'a>(path: &'a str, expiry: &'a str, audience: Audience) -> Vec<&'a str> {
    match audience {
        Audience::Anyone => vec!["GET", path, expiry],
        Audience::Owner => vec!["GET", path, expiry, OWNER_PARAM],
    }
}

/// Why a signed link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

/// Checks a signed link for `path` (the request's own path) at `now`; `for_param` is its
/// `for` query value, if any. Returns whom the link was given to.
pub fn verify(
    signer: &Signer,
    path: &str,
    expiry: &str,
    for_param: Option<&str>,
    signature: &str,
    now: Timestamp,
) -> Result<Audience, LinkError> {
    let audience = match for_param {
        None => Audience::Anyone,
        Some("owner") => Audience::Owner,
        Some(_) => return Err(LinkError::BadSignature),
    };
    let expiry_part = format!("exp={expiry}");
    if !signer.verify(&signed_parts(path, &expiry_part, audience), signature) {
        return Err(LinkError::BadSignature);
    }
    let expires_at: i64 = expiry.parse().map_err(|_| LinkError::BadSignature)?;
    if now.as_seconds() >= expires_at {
        return Err(LinkError::Expired);
    }
    Ok(audience)
}

/// The base of links: `public_url`, else an allowed `Host`, else the bind address (an
/// unspecified one, `0.0.0.0`, as loopback).
fn base_url(settings: &Settings, headers: &HeaderMap) -> String {
    if let Some(url) = &settings.public_url {
        return url.clone();
    }
    let allowed_host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_plain_host(h) && is_allowed(h, &settings.allowed_hosts));
    match allowed_host {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", reachable(settings.bind)),
    }
}

fn reachable(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

/// Whether `host` (`name` or `name:port`) is in `allowed` (lower-cased entries; an entry
/// without a port allows any port).
fn is_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && !port.contains(']') => name,
        _ => host.as_str(),
    };
    allowed.iter().any(|entry| *entry == host || *entry == name)
}

/// A `Host` value safe to echo into a URL: a name or address and an optional port.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_link_is_refused_when_any_part_changes_or_it_expires() {
        let signer = Signer::new(vec![1; 32]);
        let path = "/media/aaaaaaaaaaaaaaaa/original";
        let signature = sign(&signer, path, "100", Audience::Anyone);
        let at = |s: i64| Timestamp::from_micros(s * 1_000_000);
        assert_eq!(
            verify(&signer, path, "100", None, &signature, at(99)),
            Ok(Audience::Anyone)
        );
        // A public link cannot be turned into an owner's one, nor the other way round.
        assert_eq!(
            verify(&signer, path, "100", Some("owner"), &signature, at(99)),
            Err(LinkError::BadSignature)
        );
        let owners = sign(&signer, path, "100", Audience::Owner);
        assert_eq!(
            verify(&signer, path, "100", Some("owner"), &owners, at(99)),
            Ok(Audience::Owner)
        );
        assert_eq!(
            verify(&signer, path, "100", None, &owners, at(99)),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(
                &signer,
                "/media/aaaaaaaaaaaaaaab/original",
                "100",
                None,
                &signature,
                at(99)
            ),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(&signer, path, "101", None, &signature, at(99)),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(&signer, path, "100", None, &signature, at(100)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn only_allowed_hosts_are_echoed_whatever_their_port_when_the_entry_has_none() {
        let allowed = vec!["videos.example.org".to_owned(), "localhost:8080".to_owned()];
        assert!(is_allowed("videos.example.org", &allowed));
        assert!(is_allowed("Videos.Example.org:8443", &allowed));
        assert!(is_allowed("localhost:8080", &allowed));
        assert!(!is_allowed("localhost:9090", &allowed));
        assert!(!is_allowed("evil.example", &allowed));
        assert!(!is_allowed("videos.example.org.evil.example", &allowed));
        assert!(is_allowed("[::1]:8080", &["[::1]".to_owned()]));
    }

    #[test]
    fn an_unspecified_bind_address_links_to_loopback() {
        assert_eq!(
            reachable("0.0.0.0:8080".parse().unwrap()).to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            reachable("[::]:80".parse().unwrap()).to_string(),
            "[::1]:80"
        );
        assert_eq!(
            reachable("192.0.2.1:80".parse().unwrap()).to_string(),
            "192.0.2.1:80"
        );
    }

    #[test]
    fn only_plain_host_headers_are_echoed() {
        assert!(is_plain_host("localhost:8080"));
        assert!(is_plain_host("[::1]:8080"));
        assert!(!is_plain_host("evil.com/path"));
        assert!(!is_plain_host("a b"));
    }

    proptest::proptest! {
        // Fuzzing the signed-link check: a link is accepted only as the exact path, expiry and
        // audience it was signed for.
        #[test]
        fn only_the_signed_path_expiry_and_audience_verify(
            path in "[ -~]{0,80}",
            expiry in "[ -~]{0,20}",
            for_param in proptest::option::of("[ -~]{0,12}"),
            signature in "[ -~]{0,60}",
        ) {
            let signer = Signer::new(vec![1; 32]);
            let now = Timestamp::from_micros(0);
            let real_path = "/media/aaaaaaaaaaaaaaaa/original";
            let real = sign(&signer, real_path, "100", Audience::Anyone);
            let result = verify(&signer, &path, &expiry, for_param.as_deref(), &signature, now);
            proptest::prop_assert!(result.is_err());
            let result = verify(&signer, &path, &expiry, for_param.as_deref(), &real, now);
            let exact = path == real_path && expiry == "100" && for_param.is_none();
            proptest::prop_assert_eq!(result.is_ok(), exact);
        }
    }
}
