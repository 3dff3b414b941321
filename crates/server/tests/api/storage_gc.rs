//! `reelshare gc`'s library on whichever storage the suite runs (local disk by default, S3
//! under `REELSHARE_TEST_CONFIG=postgres-s3`): objects with no row past the grace period and
//! ready videos with no original are found, and removed only when applied.

use std::time::Duration;

use server::gc;
use store::media_store::MediaObject;

use crate::helpers::{CLIP, spawn_app};

#[tokio::test]
async fn gc_finds_objects_with_no_row_and_rows_with_no_object_and_removes_them_only_when_applied() {
    let app = spawn_app().await;
    assert_eq!(app.upload_clip(CLIP, "kept").await, 1);
    assert_eq!(app.upload_clip(CLIP, "loses its original").await, 2);
    let video = |id| store::videos::find_video(app.state.pool(), domain::ids::VideoId::new(id));
    let lost = video(2).await.unwrap();
    // The original of video 2 disappears from storage; an object with no row appears.
    let objects = app.state.media.clone();
    objects.delete_all(&lost.hash_id).await.unwrap();
    let orphan = server::upload::publishing::new_hash_id();
    objects
        .put_bytes(&orphan, MediaObject::Original, b"no row".to_vec())
        .await
        .unwrap();
    let grace = Duration::from_secs(3600);
    let now = app.clock_now();

    // Within the grace period the orphan may be an upload in flight: left alone.
    let young = gc::find(&app.state.db, &objects, grace, now).await.unwrap();
    assert!(young.orphaned_objects.is_empty(), "{young}");
    assert_eq!(young.recent_unowned, 1);
    assert_eq!(
        young.missing_originals,
        vec![(lost.id, lost.hash_id.clone())]
    );

    let later = now + 2 * 3_600_000_000;
    let found = gc::find(&app.state.db, &objects, grace, later)
        .await
        .unwrap();
    assert_eq!(
        found.orphaned_objects[orphan.as_str()],
        vec![format!("videos/{orphan}/original")],
        "{found}"
    );
    assert!(
        found
            .to_string()
            .contains(&format!("videos/{orphan}/original"))
    );
    // Finding removes nothing.
    assert!(objects.has_original(&orphan).await.unwrap());
    assert_eq!(
        video(2).await.unwrap().state,
        domain::lifecycle::ProcessingState::Ready
    );

    gc::apply(&app.state.db, &objects, &found).await.unwrap();
    assert!(!objects.has_original(&orphan).await.unwrap());
    assert!(matches!(
        video(2).await.unwrap().state,
        domain::lifecycle::ProcessingState::Failed(_)
    ));
    let kept = video(1).await.unwrap();
    assert!(objects.has_original(&kept.hash_id).await.unwrap());
    assert_eq!(app.get("/get-video?video_id=1").await.status(), 200);
    assert_eq!(app.get("/get-video?video_id=2").await.status(), 404);
    let clean = gc::find(&app.state.db, &objects, grace, later)
        .await
        .unwrap();
    assert!(clean.is_clean(), "{clean}");
}
