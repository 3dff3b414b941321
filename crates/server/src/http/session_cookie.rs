//! The web app's session cookie and its CSRF token, shared by every surface. A browser session
//! is an ordinary token from the token table (the one `POST /auth/login` hands out), kept in
//! an `HttpOnly`, `SameSite=Lax` cookie so page scripts never see it; [`auth`](super::auth)
//! accepts it wherever it accepts a bearer token.
//!
//! A cookie is sent by the browser whoever made the page, so a request with an unsafe method
//! (anything but GET, HEAD, OPTIONS, TRACE) is authenticated by the cookie only when it also
//! proves it came from one of our pages: an `X-CSRF-Token` header equal to the session's CSRF
//! token, an HMAC of the session token's hash under the server key (so it is tied to that one
//! session and dies with it). [`csrf_gate`] removes the cookie from an unsafe request that
//! does not carry it, so the API answers as it would for an anonymous caller (401 where a
//! caller is needed). The web app's own form posts under `/app/` carry the token as the
//! `csrf_token` form field instead, which the gate cannot read (it does not buffer bodies);
//! the web handlers check it themselves (`web::session`). Those posts (sign-in and sign-up
//! included, which have no session yet to tie a token to) must also not come from another
//! site: an `Origin` header naming a different host than the request's `Host` is refused
//! with 403, which stops a foreign page from signing a browser in to the attacker's account.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::token_hash;
use super::signing::Signer;
use crate::state::AppState;

/// The cookie's name.
pub const SESSION_COOKIE: &str = "reelshare_session";
/// The header page scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field web forms send it in.
pub const CSRF_FIELD: &str = "csrf_token";
/// Tokens are 43 characters; anything far longer is not one.
const MAX_TOKEN_LEN: usize = 256;
/// Paths whose unsafe requests are the web app's form posts, checked by their handlers.
const WEB_FORM_PREFIX: &str = "/app/";

/// The session token in the request's cookies, if there is one of a plausible length.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty() && value.len() <= MAX_TOKEN_LEN)
}

/// The CSRF token of the session whose token is `session_token`.
pub fn csrf_token(signer: &Signer, session_token: &str) -> String {
    signer.sign(&["csrf", &token_hash(session_token)])
}

/// Whether `given` is the CSRF token of `session_token` (constant-time).
pub fn csrf_matches(signer: &Signer, session_token: &str, given: &str) -> bool {
    given.len() <= MAX_TOKEN_LEN && signer.verify(&["csrf", &token_hash(session_token)], given)
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether an unsafe request's cookie may authenticate it: it carries the matching header.
fn header_proves_origin(signer: &Signer, headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|given| csrf_matches(signer, token, given))
}

/// Middleware: an unsafe request with a session cookie but without the matching CSRF header
/// loses the cookie, and a web app form post from another site is refused (see the module
/// documentation). Requests with a bearer token and safe methods pass unchanged.
pub async fn csrf_gate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !is_safe(request.method())
        && request.uri().path().starts_with(WEB_FORM_PREFIX)
        && !origin_is_host(headers, state.settings.public_url.as_deref())
    {
        return (StatusCode::FORBIDDEN, "cross-site form post refused").into_response();
    }
    let strip = !is_safe(request.method())
        && !headers.contains_key(AUTHORIZATION)
        && !request.uri().path().starts_with(WEB_FORM_PREFIX)
        && session_token(headers)
            .is_some_and(|token| !header_proves_origin(&state.signer, headers, token));
    if strip {
        strip_session_cookie(request.headers_mut());
    }
    next.run(request).await
}

/// Whether the request's `Origin`, when it has one, names the host it was sent to, or is
/// `public_url` (a reverse proxy may rewrite `Host`). Browsers send `Origin` with every form
/// post; `null` (an opaque origin) never matches.
fn origin_is_host(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    if let (Ok(origin), Some(public)) = (origin.to_str(), public_url)
        && origin.eq_ignore_ascii_case(public.trim_end_matches('/'))
    {
        return true;
    }
    let authority = origin.to_str().ok().and_then(|origin| {
        origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
    });
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// Removes the session cookie from every `Cookie` header, keeping the others.
fn strip_session_cookie(headers: &mut HeaderMap) {
    let kept: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty()
                && pair
                    .split_once('=')
                    .is_none_or(|(name, _)| name != SESSION_COOKIE)
        })
        .map(str::to_owned)
        .collect();
    headers.remove(COOKIE);
    if !kept.is_empty()
        && let Ok(value) = HeaderValue::from_str(&kept.join("; "))
    {
        headers.insert(COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn the_session_token_is_found_among_other_cookies() {
        let headers = with_cookie("theme=dark; reelshare_session=abc123; other=1");
        assert_eq!(session_token(&headers), Some("abc123"));
        assert_eq!(session_token(&with_cookie("theme=dark")), None);
        assert_eq!(session_token(&with_cookie("reelshare_session=")), None);
        let long = format!("reelshare_session={}", "x".repeat(300));
        assert_eq!(session_token(&with_cookie(&long)), None);
    }

    #[test]
    fn csrf_tokens_belong_to_one_session_and_one_key() {
        let signer = Signer::new(vec![7; 32]);
        let token = csrf_token(&signer, "session-a");
        assert!(csrf_matches(&signer, "session-a", &token));
        assert!(!csrf_matches(&signer, "session-b", &token));
        assert!(!csrf_matches(
            &Signer::new(vec![8; 32]),
            "session-a",
            &token
        ));
        assert!(!csrf_matches(&signer, "session-a", ""));
    }

    #[test]
    fn form_posts_must_come_from_the_host_they_are_sent_to() {
        let headers = |origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(HOST, HeaderValue::from_static("videos.example.org"));
            if let Some(origin) = origin {
                headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            headers
        };
        let same = |origin| origin_is_host(&headers(origin), None);
        assert!(same(None));
        assert!(same(Some("https://videos.example.org")));
        assert!(same(Some("http://Videos.Example.org")));
        assert!(!same(Some("https://evil.example")));
        assert!(!same(Some("null")));
        assert!(!same(Some("https://videos.example.org.evil.example")));
        // Behind a proxy that rewrites Host, the public URL is the origin.
        let mut proxied = headers(Some("https://public.example.org"));
        proxied.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(origin_is_host(
            &proxied,
            Some("https://public.example.org/")
        ));
        assert!(!origin_is_host(&proxied, None));
    }

    #[test]
    fn stripping_keeps_every_other_cookie() {
        let mut headers = with_cookie("a=1; reelshare_session=abc; b=2");
        strip_session_cookie(&mut headers);
        assert_eq!(headers[COOKIE], "a=1; b=2");
        let mut only = with_cookie("reelshare_session=abc");
        strip_session_cookie(&mut only);
        assert!(!only.contains_key(COOKIE));
    }
}
