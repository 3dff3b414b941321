//! Protective response headers. Every response says `X-Content-Type-Options: nosniff`, so a
//! browser never runs an upload it was told is a video as a script or a page. HTML pages (the
//! Swagger UI at `/docs` today, the web app later) also get a Content-Security-Policy and
//! `X-Frame-Options: DENY` (and CSP `frame-ancestors 'none'`) against clickjacking. Media
//! responses name themselves with `Content-Disposition: inline` and a filename made safe by
//! [`inline_disposition`].
//!
//! The CSP allows `'unsafe-inline'` styles because Swagger UI (React) sets `style`
//! attributes; scripts only from this origin (Swagger UI has no inline script: checked by
//! rendering `/docs` in headless Chromium under this policy, with no violation reported). It
//! confines styles, images and requests to this origin too (images also to `data:`, which
//! Swagger UI's stylesheet uses), and forbids plugins, `<base>` and framing. Media may also
//! come from `blob:`: the web app's hls.js plays through a MediaSource, whose `blob:` URL
//! `media-src` governs (Firefox enforces it); hls.js runs without a worker, so no
//! `worker-src blob:` is needed. A page served
//! later that needs an inline script should get a nonce, not `'unsafe-inline'`. It does not
//! set HSTS: TLS is the reverse proxy's, which should send it.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

/// The policy of HTML pages.
pub const HTML_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
    media-src 'self' blob:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the protective headers to `response` (an `axum::middleware::map_response` function).
pub async fn protect(mut response: Response) -> Response {
    add_protective_headers(response.headers_mut());
    response
}

fn add_protective_headers(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let is_html = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("text/html")
        });
    if is_html {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HTML_CONTENT_SECURITY_POLICY),
        );
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

/// `inline; filename="…"` with `file_name` reduced to a safe ASCII name: letters, digits,
/// `.`, `-` and `_` kept, anything else (quotes, slashes, control and non-ASCII characters)
/// made `_`, at most 100 characters, never starting with a dot. `fallback` when nothing is
/// left.
pub fn inline_disposition(file_name: &str, fallback: &str) -> HeaderValue {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let safe = safe.trim_start_matches('.');
    let name = if safe.trim_matches('_').is_empty() {
        fallback
    } else {
        safe
    };
    HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_is_nosniff_and_only_html_gets_a_policy() {
        let mut json = HeaderMap::new();
        json.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        add_protective_headers(&mut json);
        assert_eq!(json[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!json.contains_key(CONTENT_SECURITY_POLICY));

        let mut html = HeaderMap::new();
        html.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        add_protective_headers(&mut html);
        assert_eq!(html[X_FRAME_OPTIONS], "DENY");
        assert!(
            html[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }

    #[test]
    fn dispositions_carry_only_safe_file_names() {
        let value = |name: &str| inline_disposition(name, "video.mp4");
        assert_eq!(value("clip-a.mp4"), "inline; filename=\"clip-a.mp4\"");
        assert_eq!(
            value("a\"b\r\n/../é.mp4"),
            "inline; filename=\"a_b___..__.mp4\""
        );
        assert_eq!(value("..hidden"), "inline; filename=\"hidden\"");
        assert_eq!(value("ééé"), "inline; filename=\"video.mp4\"");
        assert_eq!(value(""), "inline; filename=\"video.mp4\"");
        let long = "x".repeat(300);
        assert_eq!(value(&long).len(), "inline; filename=\"\"".len() + 100);
    }
}
