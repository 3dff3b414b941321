//! Processing is bounded: uploads take a slot of the processing pool before anything is
//! decoded, and past the slots and the queue a Creator API upload is turned away with a 503
//! and `Retry-After`, leaving no row and no staged file.

use crate::helpers::{CLIP, fixture, spawn_app_with};

#[tokio::test]
async fn past_the_processing_slots_and_queue_an_upload_gets_503_with_retry_after() {
    let app = spawn_app_with(|settings| {
        settings.processing_concurrency = 1;
        settings.processing_queue = 0;
    })
    .await;
    let held = app.state.processing.enter().await.unwrap();
    let response = app.upload_video("busy", "a.mp4", fixture(CLIP)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("try again"),
        "{body}"
    );
    assert_eq!(app.video_count().await, 0);
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());

    drop(held);
    let response = app.upload_video("later", "a.mp4", fixture(CLIP)).await;
    assert_eq!(response.status(), 201);
}
