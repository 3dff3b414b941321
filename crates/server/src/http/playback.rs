//! Playback on either storage. On local disk reelshare streams the bytes itself
//! ([`streaming`]); on S3 it answers `307 Temporary Redirect` to a presigned GET of the object,
//! so media bytes go from the bucket to the player. Callers run every check (signature,
//! visibility, state) before calling here, so a redirect is only ever issued after them.

use std::time::Duration;

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ids::HashId;
use store::media_store::MediaObject;
use store::{MediaStore, StoreError};

use crate::http::streaming;

/// Streams `object` with `content_type` and `disposition`, or redirects to a presigned GET of
/// it valid for `ttl` (never longer) that makes the bucket answer with the same two headers.
pub async fn serve(
    media: &MediaStore,
    hash_id: &HashId,
    object: MediaObject,
    content_type: &str,
    disposition: HeaderValue,
    request: &HeaderMap,
    ttl: Duration,
) -> Result<Response, StoreError> {
    if !media.presigns() {
        let mut response = streaming::serve(media, hash_id, object, content_type, request).await?;
        response
            .headers_mut()
            .insert(CONTENT_DISPOSITION, disposition);
        return Ok(response);
    }
    // A missing object answers 404 here, as on local disk, not the bucket's error.
    media.info(hash_id, object).await?;
    let headers = store::s3::ResponseHeaders {
        content_type,
        content_disposition: disposition.to_str().unwrap_or("inline"),
    };
    let url = media
        .presigned_get(hash_id, object, ttl, &headers)
        .await?
        .ok_or(StoreError::NotFound)?;
    let location = HeaderValue::from_str(&url)
        .map_err(|e| StoreError::Corrupt(format!("presigned link: {e}")))?;
    Ok((
        StatusCode::TEMPORARY_REDIRECT,
        [
            (LOCATION, location),
            // The link expires; a cached redirect would outlive it.
            (CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
    )
        .into_response())
}

/// What is left of a link expiring at `expires_at` (unix seconds) at `now`, at least a second.
pub fn remaining(expires_at: i64, now: i64) -> Duration {
    Duration::from_secs(
        u64::try_from(expires_at.saturating_sub(now))
            .unwrap_or(0)
            .max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presigned_link_lives_no_longer_than_what_is_left_of_reelshares() {
        assert_eq!(remaining(1_000, 400), Duration::from_secs(600));
        assert_eq!(remaining(1_000, 1_000), Duration::from_secs(1));
        assert_eq!(remaining(1_000, 2_000), Duration::from_secs(1));
    }
}
