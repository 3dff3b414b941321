//! What operators see, over HTTP: `/metrics` (series that move with real traffic, its access
//! rule), `/health_check` and `/health` failing with the database or storage, and request ids.

use std::time::Duration;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_on_local_disk, spawn_app_with};
use crate::video_api_support::{run_jobs, upload};

/// The value of the series `name{labels}` in a scrape (labels exactly as rendered, sorted as
/// the exporter sorts them); 0 when absent.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

// One test for every series: the queue gauges are set from the scraped app's database, and
// the recorder is the process's, so two tests scraping at once would race.
#[tokio::test]
async fn metrics_move_with_uploads_jobs_watch_reports_and_requests() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let before = scrape(&app).await;

    // An upload through the Creator API (processed inline) and a watch report of it.
    let video_id = app.upload_clip(CLIP, "Metered").await;
    let hash = app.hash_of(video_id).await;
    let (status, _) = app.watch(&hash, "viewer-1", "session-1", 3.0).await;
    assert_eq!(status, 201);
    // A video in a template route: one series for every id.
    app.get(&format!("/video/user/{hash}")).await;
    // A Video API upload waits in the queue (no workers), for a simulated minute.
    let user = app.create_user("metered").await;
    upload(&app, &user.token, "clip.mp4", "video/mp4", fixture(CLIP)).await;
    app.clock.advance(Duration::from_secs(60));

    let queued = scrape(&app).await;
    let uploaded = fixture(CLIP).len() as f64;
    assert!(
        value(&queued, "reelshare_upload_bytes_total")
            >= value(&before, "reelshare_upload_bytes_total") + 2.0 * uploaded,
        "{queued}"
    );
    let upload_201 =
        r#"reelshare_http_requests_total{method="POST",route="/upload-video",status="201"}"#;
    assert!(value(&queued, upload_201) >= value(&before, upload_201) + 1.0);
    assert!(
        queued.contains(r#"route="/video/user/{user_id}""#),
        "{queued}"
    );
    assert!(!queued.contains(&hash), "a raw path became a label");
    assert!(queued.contains("reelshare_http_request_duration_seconds_bucket"));
    let batches = "reelshare_watch_report_batch_size_count";
    assert!(value(&queued, batches) >= value(&before, batches) + 1.0);
    assert_eq!(value(&queued, r#"reelshare_jobs{state="queued"}"#), 1.0);
    assert_eq!(value(&queued, r#"reelshare_jobs{state="running"}"#), 0.0);
    assert!(value(&queued, "reelshare_jobs_oldest_queued_age_seconds") >= 60.0);

    run_jobs(&app).await;
    app.state.refresh_projection().await.unwrap();
    let done = scrape(&app).await;
    assert_eq!(value(&done, r#"reelshare_jobs{state="queued"}"#), 0.0);
    assert_eq!(
        value(&done, "reelshare_jobs_oldest_queued_age_seconds"),
        0.0
    );
    let ready = r#"reelshare_jobs_finished_total{outcome="ready"}"#;
    assert!(value(&done, ready) >= value(&queued, ready) + 1.0, "{done}");
    let solves = "reelshare_projection_solve_duration_seconds_count";
    assert!(value(&done, solves) >= value(&queued, solves) + 1.0);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(server::settings::Secret::new("scrape-me"));
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), 404);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-you")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn health_is_503_when_the_database_does_not_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health_check").await.status(), 200);
    assert_eq!(app.get("/health").await.status(), 200);
    app.state.db.close().await;
    let response = app.get("/health_check").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["detail"], "the database is unavailable");
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ok"], false);
}

#[tokio::test]
async fn health_is_503_when_media_storage_does_not_answer() {
    // It breaks a media directory, so its storage is local disk on every configuration (on
    // S3, `MediaStore::ping` is the same `head` request).
    let app = spawn_app_on_local_disk(|_| {}).await;
    assert_eq!(app.get("/health_check").await.status(), 200);
    // The media directory is replaced by a file: every lookup in it now fails (ENOTDIR),
    // which is not "no such object".
    let media = app.state.settings.media_dir();
    std::fs::remove_dir_all(&media).unwrap();
    std::fs::write(&media, b"not a directory").unwrap();
    let response = app.get("/health_check").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["detail"], "media storage is unavailable");
    assert_eq!(app.get("/health").await.status(), 503);
    // Back in place: healthy again.
    std::fs::remove_file(&media).unwrap();
    std::fs::create_dir(&media).unwrap();
    assert_eq!(app.get("/health_check").await.status(), 200);
}

#[tokio::test]
async fn every_response_has_a_request_id_the_clients_when_sane() {
    let app = spawn_app().await;
    let made = app.get("/health_check").await;
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    let again = app.get("/video/no-such-video").await;
    assert_eq!(again.status(), 404);
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);

    let send = |value: String| {
        app.client
            .get(app.url("/health_check"))
            .header("x-request-id", value)
            .send()
    };
    let kept = send("lb-7f3a.42".into()).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a.42");
    let too_long = send("x".repeat(129)).await.unwrap();
    let replaced = too_long.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(replaced.len(), 32);
    assert_ne!(replaced, "x".repeat(129));
}
