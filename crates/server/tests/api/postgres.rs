//! The Creator API flow against PostgreSQL (`DATABASE_URL`); CI runs these.

use crate::helpers::{CLIP, spawn_app_on_postgres};

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn the_creator_flow_works_on_postgresql() {
    let app = spawn_app_on_postgres(|_| {}).await;
    assert_eq!(app.upload_clip(CLIP, "on postgres").await, 1);
    assert_eq!(app.upload_clip("h264-baseline.mp4", "second").await, 2);
    let all: serde_json::Value = app
        .get("/get-all-videos-data?creator_id=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["title"], "on postgres");
    assert_eq!(all[0]["compliance"], 1);
    let creator: serde_json::Value = app
        .get("/get-creator-data?creator_id=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(creator["name"], "John Doe");
    let missing = app.get("/get-video-data?video_id=99").await;
    assert_eq!(missing.status(), 404);
}
