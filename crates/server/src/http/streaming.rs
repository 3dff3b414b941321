//! Serving stored bytes over HTTP the way players expect: `Accept-Ranges`, single byte ranges
//! (206 with `Content-Range`; 416 for unsatisfiable ones; several ranges get the whole body),
//! and `ETag`/`If-None-Match` (304). Works on any object store, so it serves S3 too. A
//! resource may also be a small head followed by a range of a stored object
//! ([`serve_joined`]): how HLS segments are served from the file they were packaged from.

use std::ops::Range;

use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use domain::ids::HashId;
use futures_util::StreamExt;
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
    let etag = info.e_tag.as_deref().unwrap_or(hash_id.as_str()).to_owned();
    let answer = match answer(&etag, info.size, content_type, request) {
        Prepared::Send(answer) => answer,
        Prepared::Finished(response) => return Ok(response),
    };
    let body = if answer.range.is_empty() {
        Body::empty()
    } else {
        Body::from_stream(
            media
                .open(hash_id, object, Some(answer.range.clone()))
                .await?,
        )
    };
    Ok((answer.status, answer.headers, body).into_response())
}

/// Streams `head` followed by bytes `data` of `source`, as one resource (an HLS segment whose
/// media data is served from the file it was packaged from), with the same range and
/// conditional-request support. `tag` tells this resource apart from others built on the same
/// source, for its `ETag`.
pub async fn serve_joined(
    media: &MediaStore,
    hash_id: &HashId,
    (head, tag): (Bytes, &str),
    (source, data): (MediaObject, Range<u64>),
    content_type: &str,
    request: &HeaderMap,
) -> Result<Response, StoreError> {
    let info = media.info(hash_id, source).await?;
    if data.end > info.size || data.start > data.end {
        return Err(StoreError::Corrupt(format!(
            "a segment's media data {data:?} is outside its source ({} bytes)",
            info.size
        )));
    }
    let etag = format!(
        "{}-{tag}",
        info.e_tag.as_deref().unwrap_or(hash_id.as_str())
    );
    let head_len = head.len() as u64;
    let size = head_len + (data.end - data.start);
    let answer = match answer(&etag, size, content_type, request) {
        Prepared::Send(answer) => answer,
        Prepared::Finished(response) => return Ok(response),
    };
    let range = answer.range.clone();
    // The part of the head asked for, then the part of the data.
    let head_part = head.slice(
        usize::try_from(range.start.min(head_len)).unwrap_or(0)
            ..usize::try_from(range.end.min(head_len)).unwrap_or(0),
    );
    let data_part = data.start + range.start.max(head_len) - head_len
        ..data.start + range.end.max(head_len) - head_len;
    let head_stream = futures_util::stream::once(async move { Ok::<_, StoreError>(head_part) });
    let body = if data_part.is_empty() {
        Body::from_stream(head_stream)
    } else {
        let data_stream = media.open(hash_id, source, Some(data_part)).await?;
        Body::from_stream(head_stream.chain(data_stream))
    };
    Ok((answer.status, answer.headers, body).into_response())
}

/// What to answer for a resource of `size` bytes: the status, headers and byte range to send.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    range: Range<u64>,
}

/// An [`Answer`], or a response that is already finished (304, 416).
enum Prepared {
    Send(Answer),
    Finished(Response),
}

fn answer(etag: &str, size: u64, content_type: &str, request: &HeaderMap) -> Prepared {
    let etag = format!("\"{}\"", etag.replace('"', ""));
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
        return Prepared::Finished((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );

    let requested = request.get(RANGE).and_then(|v| v.to_str().ok());
    let range = match requested.map(|r| parse_range_header(r).and_then(|p| p.validate(size))) {
        None => None,
        Some(Ok(ranges)) if ranges.len() == 1 => Some(ranges[0].clone()),
        Some(Ok(_)) => None,
        Some(Err(_)) => {
            headers.insert(CONTENT_RANGE, header(format!("bytes */{size}")));
            return Prepared::Finished(
                (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response(),
            );
        }
    };
    let (status, range) = match range {
        Some(range) => {
            let (start, end) = (*range.start(), *range.end());
            headers.insert(CONTENT_RANGE, header(format!("bytes {start}-{end}/{size}")));
            (StatusCode::PARTIAL_CONTENT, start..end + 1)
        }
        None => (StatusCode::OK, 0..size),
    };
    headers.insert(
        CONTENT_LENGTH,
        header((range.end - range.start).to_string()),
    );
    Prepared::Send(Answer {
        status,
        headers,
        range,
    })
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
