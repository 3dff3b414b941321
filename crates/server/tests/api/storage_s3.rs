//! Media on a real S3 server (`bench/s3/start.sh`, s3s-fs checking SigV4): playback links
//! redirect to presigned GETs only after reelshare's own checks, those GETs expire no later
//! than reelshare's link, and a failed multipart upload is aborted, leaving nothing behind.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;
use store::StoreError;
use store::media_store::MediaObject;

use crate::helpers::{CLIP, TestApp, fixture, fresh_bucket, spawn_app_with};
use crate::video_api_support::*;

async fn spawn_app_on_s3() -> TestApp {
    let bucket = fresh_bucket().await;
    spawn_app_with(|settings| {
        settings.storage = server::settings::Storage::S3(bucket);
        settings.watch_link_ttl = Duration::from_secs(600);
    })
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `X-Amz-Expires` of a presigned link, in seconds.
fn presigned_expiry(location: &str) -> u64 {
    let url = reqwest::Url::parse(location).unwrap();
    let expires = url
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-Expires")
        .unwrap_or_else(|| panic!("not presigned: {location}"));
    expires.1.parse().unwrap()
}

#[tokio::test]
#[ignore = "needs an S3 server (REELSHARE_TEST_S3_ENDPOINT)"]
async fn creator_api_media_redirects_to_presigned_gets_of_the_bucket() {
    let app = spawn_app_on_s3().await;
    assert_eq!(app.upload_clip(CLIP, "on s3").await, 1);
    for (path, expected) in [
        ("/get-video?video_id=1", None),
        ("/get-video-thumbnail?video_id=1", Some("image")),
    ] {
        let response = no_redirects().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 307, "{path}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&crate::helpers::test_s3_server().endpoint.unwrap()));
        assert!(presigned_expiry(&location) <= 600, "{location}");
        let fetched = reqwest::get(&location).await.unwrap();
        assert_eq!(fetched.status(), 200, "{location}");
        let bytes = fetched.bytes().await.unwrap();
        match expected {
            None => assert_eq!(bytes.as_ref(), fixture(CLIP).as_slice()),
            Some(_) => assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG"),
        }
        // The bucket checks the signature: an altered link is refused.
        let (head, signature) = location.split_once("X-Amz-Signature=").unwrap();
        let flipped = if signature.starts_with('0') { "1" } else { "0" };
        let altered = format!("{head}X-Amz-Signature={flipped}{}", &signature[1..]);
        assert_eq!(reqwest::get(&altered).await.unwrap().status(), 403);
    }
    // A range through the redirect, as players ask.
    let ranged = app
        .client
        .get(app.url("/get-video?video_id=1"))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().len(), 100);
}

#[tokio::test]
#[ignore = "needs an S3 server (REELSHARE_TEST_S3_ENDPOINT)"]
async fn private_videos_get_no_redirect_and_watch_links_presign_no_longer_than_they_live() {
    let app = spawn_app_on_s3().await;
    let owner = app.create_user("owner").await;
    let public = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let private = insert_video(&app, &owner.account, Some(app.clock_now()), true).await;

    let watch = |hash_id: String| {
        app.client
            .get(app.url(&format!(
                "/video/watch/?user_id={}&hash_id={hash_id}",
                owner.account.public_id
            )))
            .send()
    };
    let body: Value = watch(public.hash_id.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = body["watchable_url"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&app.address),
        "links still point at reelshare: {link}"
    );
    // Half the link's life later, the presigned GET lives at most what is left.
    app.clock.advance(Duration::from_secs(300));
    let response = no_redirects().get(&link).send().await.unwrap();
    assert_eq!(response.status(), 307);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(presigned_expiry(&location) <= 300, "{location}");
    assert_eq!(reqwest::get(&location).await.unwrap().status(), 200);
    // Past the link's expiry: 403 from reelshare, no redirect.
    app.clock.advance(Duration::from_secs(301));
    assert_eq!(
        no_redirects().get(&link).send().await.unwrap().status(),
        403
    );

    // A private video: not shown to others, so no redirect is ever issued.
    assert_ne!(watch(private.hash_id.clone()).await.unwrap().status(), 200);
    let plain = app.url(&format!("/media/{}/thumbnail.jpg", private.hash_id));
    assert_eq!(
        no_redirects().get(&plain).send().await.unwrap().status(),
        404
    );
    let forged = app.url(&format!(
        "/media/{}/original?exp=99999999999&sig=AAAA",
        private.hash_id
    ));
    assert_eq!(
        no_redirects().get(&forged).send().await.unwrap().status(),
        403
    );
}

#[tokio::test]
#[ignore = "needs an S3 server (REELSHARE_TEST_S3_ENDPOINT)"]
async fn a_multipart_upload_that_fails_midway_is_aborted_and_leaves_nothing() {
    let app = spawn_app_on_s3().await;
    let hash_id = server::upload::publishing::new_hash_id();
    // 20 MiB arrive (two parts sent), then the source fails.
    let chunks = (0..20)
        .map(|_| Ok(Bytes::from(vec![7u8; 1 << 20])))
        .chain(std::iter::once(Err(StoreError::Io(std::io::Error::other(
            "the source broke",
        )))));
    let result = app
        .state
        .media
        .put_stream(
            &hash_id,
            MediaObject::Original,
            futures_util::stream::iter(chunks).boxed(),
        )
        .await;
    assert!(result.is_err());
    assert!(app.stored_files().await.is_empty());
    assert!(matches!(
        app.state.media.info(&hash_id, MediaObject::Original).await,
        Err(StoreError::NotFound)
    ));
    // s3s-fs keeps a multipart upload as `.upload-<id>.json` and `.upload_id-<id>.part-N`
    // files in its root: none may be left.
    if let Ok(root) = std::env::var("REELSHARE_TEST_S3_ROOT") {
        let left: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".upload"))
            .collect();
        assert!(
            left.is_empty(),
            "multipart uploads left in {root}: {left:?}"
        );
    }
}
