//! Rate limits on the other abusable actions, in each surface's own error shape: upload forms
//! (`GET /video/upload/`), uploads (`POST /upload-video` and the signed form post), comments
//! and reports, by account and by client IP. Each test exceeds a small burst; none sleeps.

use serde_json::{Value, json};
use server::settings::RateLimit;

use crate::helpers::{TestApp, spawn_app_with};
use crate::video_api_support::*;

fn per_minute(n: u32) -> Option<RateLimit> {
    Some(RateLimit {
        per_minute: n,
        burst: n,
    })
}

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

async fn assert_limited(response: reqwest::Response, body: Value) {
    assert_eq!(response.status(), 429);
    assert!(retry_after(&response).is_some_and(|s| s >= 1));
    assert_eq!(json(response).await, body);
}

fn video_api_limited() -> Value {
    json!({"detail": "Too Many Requests"})
}

#[tokio::test]
async fn upload_forms_are_limited_per_account() {
    let app = spawn_app_with(|s| s.rate_limits.upload_form.per_account = per_minute(2)).await;
    let ada = app.create_user("ada").await;
    let bob = app.create_user("bob").await;
    let path = "/video/upload/?file_content_type=video/mp4&file_name=a.mp4";
    for _ in 0..2 {
        assert_eq!(get(&app, path, Some(&ada.token)).await.status(), 200);
    }
    assert_limited(get(&app, path, Some(&ada.token)).await, video_api_limited()).await;
    assert_eq!(get(&app, path, Some(&bob.token)).await.status(), 200);
}

#[tokio::test]
async fn upload_forms_are_limited_per_client_ip() {
    let app = spawn_app_with(|s| s.rate_limits.upload_form.per_ip = per_minute(1)).await;
    let ada = app.create_user("ada").await;
    let bob = app.create_user("bob").await;
    let path = "/video/upload/?file_content_type=video/mp4&file_name=a.mp4";
    assert_eq!(get(&app, path, Some(&ada.token)).await.status(), 200);
    assert_limited(get(&app, path, Some(&bob.token)).await, video_api_limited()).await;
}

/// A Creator API upload of a small file that is not a video: refused (415) after the rate
/// checks, so it costs no processing.
async fn creator_upload(app: &TestApp) -> reqwest::Response {
    app.upload_form(
        &[("creator_id", "1"), ("title", "t")],
        Some(("notes.txt", b"not a video".to_vec())),
    )
    .await
}

#[tokio::test]
async fn creator_api_uploads_are_limited_per_creator_in_its_error_shape() {
    let app = spawn_app_with(|s| s.rate_limits.upload.per_account = per_minute(2)).await;
    for _ in 0..2 {
        assert_eq!(creator_upload(&app).await.status(), 415);
    }
    assert_limited(
        creator_upload(&app).await,
        json!({"error": "too many requests"}),
    )
    .await;
    assert!(app.stored_files().await.is_empty());
}

#[tokio::test]
async fn creator_api_uploads_are_limited_per_client_ip() {
    let app = spawn_app_with(|s| s.rate_limits.upload.per_ip = per_minute(1)).await;
    assert_eq!(creator_upload(&app).await.status(), 415);
    assert_limited(
        creator_upload(&app).await,
        json!({"error": "too many requests"}),
    )
    .await;
}

#[tokio::test]
async fn signed_form_uploads_are_limited_per_account_and_per_client_ip() {
    let app = spawn_app_with(|s| s.rate_limits.upload.per_account = per_minute(1)).await;
    let ada = app.create_user("ada").await;
    let first = instructions(&app, &ada.token, "video/mp4", "a.mp4").await;
    let second = instructions(&app, &ada.token, "video/mp4", "b.mp4").await;
    let bytes = b"not a video".to_vec();
    assert_eq!(
        post_form_with(&app, &first, &[], bytes.clone())
            .await
            .status(),
        204
    );
    assert_limited(
        post_form_with(&app, &second, &[], bytes.clone()).await,
        video_api_limited(),
    )
    .await;
    // The refused post stored nothing for its hash_id.
    assert_eq!(app.video_count().await, 1);

    let app = spawn_app_with(|s| s.rate_limits.upload.per_ip = per_minute(1)).await;
    let ada = app.create_user("ada").await;
    let form = instructions(&app, &ada.token, "video/mp4", "a.mp4").await;
    // A malformed post still counts against the client.
    let missing_key = post_form_with(&app, &form, &[("key", None)], bytes.clone()).await;
    assert_eq!(missing_key.status(), 400);
    assert_limited(
        post_form_with(&app, &form, &[], bytes).await,
        video_api_limited(),
    )
    .await;
}

#[tokio::test]
async fn comments_and_reports_are_limited_per_account() {
    let app = spawn_app_with(|s| {
        s.rate_limits.comment.per_account = per_minute(2);
        s.rate_limits.report.per_account = per_minute(1);
    })
    .await;
    let owner = app.create_user("owner").await;
    let fan = app.create_user("fan").await;
    let other = app.create_user("other").await;
    let video = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let post = |token: String, path: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let comments = format!("/video/{}/comments", video.hash_id);
    let reports = format!("/video/{}/reports", video.hash_id);
    let comment = json!({"text": "nice"});
    for _ in 0..2 {
        let response = post(fan.token.clone(), comments.clone(), comment.clone()).await;
        assert_eq!(response.status(), 201);
    }
    assert_limited(
        post(fan.token.clone(), comments.clone(), comment.clone()).await,
        video_api_limited(),
    )
    .await;
    assert_eq!(
        post(other.token.clone(), comments, comment).await.status(),
        201
    );

    let report = json!({"reason": "spam"});
    assert_eq!(
        post(fan.token.clone(), reports.clone(), report.clone())
            .await
            .status(),
        201
    );
    assert_limited(
        post(fan.token.clone(), reports.clone(), report.clone()).await,
        video_api_limited(),
    )
    .await;
    assert_eq!(
        post(other.token.clone(), reports, report).await.status(),
        201
    );
}

#[tokio::test]
async fn comments_and_reports_are_limited_per_client_ip() {
    let app = spawn_app_with(|s| {
        s.rate_limits.comment.per_ip = per_minute(1);
        s.rate_limits.report.per_ip = per_minute(1);
    })
    .await;
    let owner = app.create_user("owner").await;
    let fan = app.create_user("fan").await;
    let other = app.create_user("other").await;
    let video = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    for (path, body) in [
        (
            format!("/video/{}/comments", video.hash_id),
            json!({"text": "nice"}),
        ),
        (
            format!("/video/{}/reports", video.hash_id),
            json!({"reason": "spam"}),
        ),
    ] {
        let send = |token: &str| {
            app.client
                .post(app.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        assert_eq!(send(&fan.token).await.unwrap().status(), 201);
        assert_limited(send(&other.token).await.unwrap(), video_api_limited()).await;
    }
}
