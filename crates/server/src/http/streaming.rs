//! Serving stored bytes over HTTP the way players expect: `Accept-Ranges`, single byte ranges
//! (206 with `Content-Range`; 416 for unsatisfiable ones; several ranges get the whole body),
//! and `ETag`/`If-None-Match` (304). Works on any object store, so it serves S3 too.

use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ids::HashId;
use http_range_header::parse_range_header;
use store::media_store::MediaObject;
use store::{MediaStore, StoreError};

/// Streams `object` of a video with range and conditional-request support.
pub async fn serve(
    media: &MediaStore,
    hash_id: &HashId,
    object: MediaObject,
    content_type: &str,
    request: &HeaderMap,
) -> Result<Response, StoreError> {
    let info = media.info(hash_id, object).await?;
    let etag = format!(
        "\"{}\"",
        info.e_tag
            .as_deref()
            .unwrap_or(hash_id.as_str())
            .replace('"', "")
    );
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    if let Some(candidates) = request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok())
        && etag_matches(candidates, &etag)
    {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );

    let requested = request.get(RANGE).and_then(|v| v.to_str().ok());
    let range = match requested.map(|r| parse_range_header(r).and_then(|p| p.validate(info.size))) {
        None => None,
        Some(Ok(ranges)) if ranges.len() == 1 => Some(ranges[0].clone()),
        Some(Ok(_)) => None,
        Some(Err(_)) => {
            headers.insert(CONTENT_RANGE, header(format!("bytes */{}", info.size)));
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
        }
    };
    let (status, byte_range) = match range {
        Some(range) => {
            let (start, end) = (*range.start(), *range.end());
            headers.insert(
                CONTENT_RANGE,
                header(format!("bytes {start}-{end}/{}", info.size)),
            );
            (StatusCode::PARTIAL_CONTENT, start..end + 1)
        }
        None => (StatusCode::OK, 0..info.size),
    };
    headers.insert(
        CONTENT_LENGTH,
        header((byte_range.end - byte_range.start).to_string()),
    );
    let stream = if byte_range.is_empty() {
        Body::empty()
    } else {
        Body::from_stream(media.open(hash_id, object, Some(byte_range)).await?)
    };
    Ok((status, headers, stream).into_response())
}

fn header(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("ASCII header value")
}

fn etag_matches(candidates: &str, etag: &str) -> bool {
    candidates
        .split(',')
        .map(str::trim)
        .any(|c| c == "*" || c == etag || c.strip_prefix("W/") == Some(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(etag_matches("\"a\"", "\"a\""));
        assert!(etag_matches("\"b\", W/\"a\"", "\"a\""));
        assert!(etag_matches("*", "\"a\""));
        assert!(!etag_matches("\"b\"", "\"a\""));
    }
}
