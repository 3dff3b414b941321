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
//! Swagger UI's stylesheet uses), and forbids plugins, `<base>` and framing. Two additions
//! for the web app's player: media from `blob:`, because hls.js plays through a MediaSource
//! whose `blob:` URL `media-src` governs (Chromium refuses it otherwise; hls.js runs without
//! a worker, so no `worker-src blob:`); and on S3, images and media from the bucket's origin,
//! where media links redirect (HLS files are served by reelshare itself on any storage, so
//! `connect-src` stays `'self'`). A page served later that needs an inline script should get
//! a nonce, not `'unsafe-inline'`. It does not
//! set HSTS: TLS is the reverse proxy's, which should send it.

use axum::extract::State;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use crate::state::AppState;

/// The policy of HTML pages. `media_origin` is where media links may send the browser besides
/// this origin: the bucket's, on S3, where `/media/…` links answer with a 307 to a presigned
/// GET (videos in `<video>`, thumbnails in `<img>`); `None` on local disk.
pub fn html_policy(media_origin: Option<&str>) -> String {
    let extra = media_origin
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:{extra}; font-src 'self' data:; connect-src 'self'; \
         media-src 'self' blob:{extra}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the protective headers to `response` (an `axum::middleware::map_response_with_state`
/// function).
pub async fn protect(State(state): State<AppState>, mut response: Response) -> Response {
    let media_origin = if is_html(response.headers()) {
        match state.media.presigned_origin().await {
            Ok(origin) => origin,
            Err(error) => {
                tracing::warn!(%error, "could not tell the bucket's origin; pages allow only this one");
                None
            }
        }
    } else {
        None
    };
    add_protective_headers(response.headers_mut(), media_origin.as_deref());
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("text/html")
        })
}

fn add_protective_headers(headers: &mut HeaderMap, media_origin: Option<&str>) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if is_html(headers) {
        let policy = HeaderValue::from_str(&html_policy(media_origin))
            .unwrap_or_else(|_| HeaderValue::from_str(&html_policy(None)).expect("ASCII"));
        headers.insert(CONTENT_SECURITY_POLICY, policy);
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
        add_protective_headers(&mut json, None);
        assert_eq!(json[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!json.contains_key(CONTENT_SECURITY_POLICY));

        let mut html = HeaderMap::new();
        html.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        add_protective_headers(&mut html, None);
        assert_eq!(html[X_FRAME_OPTIONS], "DENY");
        assert!(
            html[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }

    #[test]
    fn on_s3_pages_may_load_images_and_media_from_the_bucket_only_besides_this_origin() {
        let policy = html_policy(Some("http://127.0.0.1:9000"));
        assert!(
            policy.contains("img-src 'self' data: http://127.0.0.1:9000;"),
            "{policy}"
        );
        assert!(
            policy.contains("media-src 'self' blob: http://127.0.0.1:9000;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("connect-src 'self';"), "{policy}");
        assert!(html_policy(None).contains("media-src 'self' blob:;"));
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
