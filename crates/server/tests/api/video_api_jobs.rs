//! The durable processing queue: in-process workers pick an upload up at once; a job survives
//! a restart, including one a dead worker was holding; a job stuck past its timeout fails with
//! the internal-error reason and keeps no bytes; and the queue works on PostgreSQL.

use std::time::Duration;

use domain::ids::HashId;
use serde_json::json;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_on_postgres, spawn_app_with};
use crate::video_api_support::*;

async fn video_id(app: &TestApp, hash_id: &str) -> domain::ids::VideoId {
    let hash_id = HashId::parse(hash_id).unwrap();
    store::videos::find_video_by_hash(app.state.pool(), &hash_id)
        .await
        .unwrap()
        .id
}

/// Claims the next job as a worker would, then "dies" holding it.
async fn claim_and_abandon(app: &TestApp) -> store::jobs::ClaimedJob {
    let terms = server::upload::worker::claim_terms(&app.state);
    store::jobs::claim_next(&app.state.db, terms)
        .await
        .unwrap()
        .expect("a job to claim")
}

/// Just past a lease: well under a minute, so a crashed worker's job is soon taken again.
fn past_the_lease(app: &TestApp) -> Duration {
    let past = app.state.settings.job_lease + Duration::from_secs(1);
    assert!(past < Duration::from_secs(60));
    past
}

#[tokio::test]
async fn the_in_process_workers_process_an_upload_promptly() {
    let app = spawn_app().await;
    let user = app.create_user("olga").await;
    let hash_id = upload(&app, &user.token, CLIP, "video/mp4", fixture(CLIP)).await;
    let video = wait_until_done(&app, &user.token, &hash_id)
        .await
        .expect("processed");
    assert_eq!(video["listing_time"], serde_json::Value::Null);
    let job = store::jobs::job_of_video(app.state.pool(), video_id(&app, &hash_id).await)
        .await
        .unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("done", 1));
}

#[tokio::test]
async fn a_queued_upload_is_processed_after_a_restart() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("pete").await;
    let hash_id = upload(
        &app,
        &user.token,
        "h264-main.mp4",
        "video/mp4",
        fixture("h264-main.mp4"),
    )
    .await;
    let app = app
        .restart_with(|settings| settings.processing_workers = 1)
        .await;
    let token = app.create_token_for(&user.account).await;
    assert!(wait_until_done(&app, &token, &hash_id).await.is_ok());
}

#[tokio::test]
async fn a_job_held_by_a_worker_that_died_is_finished_after_a_restart() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("quinn").await;
    let hash_id = upload(&app, &user.token, CLIP, "video/mp4", fixture(CLIP)).await;
    let held = claim_and_abandon(&app).await;
    assert_eq!(held.attempts, 1);

    let app = app
        .restart_with(|settings| settings.processing_workers = 1)
        .await;
    let token = app.create_token_for(&user.account).await;
    // Still processing while the dead worker's lease lasts: the new worker has looked at the
    // queue (at the test clock's time) and found nothing it may take…
    app.state.workers.wait_for_idle_looks_past(0).await;
    assert_eq!(
        my_video(&app, &token, &hash_id).await,
        Err(serde_json::Value::Null)
    );
    // …and taken over once it has run out.
    app.clock.advance(past_the_lease(&app));
    server::upload::worker::wake();
    assert!(wait_until_done(&app, &token, &hash_id).await.is_ok());
    let job = store::jobs::job_of_video(app.state.pool(), video_id(&app, &hash_id).await)
        .await
        .unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("done", 2));
}

#[tokio::test]
async fn a_job_stuck_past_its_timeout_fails_with_an_internal_error_and_keeps_no_bytes() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("rosa").await;
    let hash_id = upload(
        &app,
        &user.token,
        "h264-baseline.mp4",
        "video/mp4",
        fixture("h264-baseline.mp4"),
    )
    .await;
    for _ in 0..server::upload::worker::MAX_ATTEMPTS {
        claim_and_abandon(&app).await;
        app.clock.advance(past_the_lease(&app));
    }
    // No attempts left: nobody may claim it; the sweeper fails it.
    let terms = server::upload::worker::claim_terms(&app.state);
    assert!(
        store::jobs::claim_next(&app.state.db, terms)
            .await
            .unwrap()
            .is_none()
    );
    server::upload::worker::sweep_stuck(&app.state)
        .await
        .unwrap();
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await,
        Err(json!("Internal error, please try again later"))
    );
    assert!(
        app.stored_files().await.is_empty(),
        "{:?}",
        app.stored_files().await
    );
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn the_video_api_flow_and_its_queue_work_on_postgresql() {
    let app = spawn_app_on_postgres(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("sam").await;
    let hash_id = upload(&app, &user.token, CLIP, "video/mp4", fixture(CLIP)).await;
    let bad = upload(
        &app,
        &user.token,
        "bad.mp4",
        "video/mp4",
        b"nope".repeat(10),
    )
    .await;
    run_jobs(&app).await;
    assert_eq!(
        my_video(&app, &user.token, &bad).await,
        Err(json!("Corrupted/Invalid file"))
    );
    publish(&app, &user.token, &hash_id, "on postgres").await;
    let explore = json(get(&app, "/video/explore/", None).await).await;
    assert_eq!(explore["videos"][0]["hash_id"], hash_id.as_str());
    let watch = format!(
        "/video/watch/?user_id={}&hash_id={hash_id}",
        user.account.public_id
    );
    let link = json(get(&app, &watch, None).await).await["watchable_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_url(&app, &link, Some("bytes=0-9")).await.status(), 206);
    // Paging with ties and a cursor on PostgreSQL.
    let now = app.clock_now();
    for n in 0..40 {
        insert_video(&app, &user.account, Some(now - (n / 2)), false).await;
    }
    let first = json(get(&app, "/video/explore/", None).await).await;
    let cursor = first["next"].as_str().unwrap();
    let second = json(
        get(
            &app,
            &format!("/video/explore/?next={}", query_escape(cursor)),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(second["videos"].as_array().unwrap().len(), 11);
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
}

#[tokio::test]
async fn an_api_node_without_workers_leaves_uploads_to_a_separate_worker() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("wendy").await;
    let hash_id = upload(
        &app,
        &user.token,
        "h264-baseline.mp4",
        "video/mp4",
        fixture("h264-baseline.mp4"),
    )
    .await;
    server::upload::worker::wake();
    assert_eq!(
        app.state.workers.running(),
        0,
        "no worker runs on the API node"
    );
    let job = store::jobs::job_of_video(app.state.pool(), video_id(&app, &hash_id).await)
        .await
        .unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("queued", 0));
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await,
        Err(serde_json::Value::Null),
        "nothing on the API node processes it"
    );

    // `reelshare worker`: the same database and media, no HTTP.
    let mut settings = (*app.state.settings).clone();
    settings.processing_workers = 1;
    let worker_state = server::build_state(settings, app.clock.clone())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(server::run_workers(worker_state, async {
        let _ = stopped.await;
    }));
    assert!(wait_until_done(&app, &user.token, &hash_id).await.is_ok());
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
}

/// A worker whose lease ran out (it stalled, or its node was cut off) cannot finish the job
/// once another worker has taken it: the job is done once, by the current claim.
#[tokio::test]
async fn a_worker_that_lost_its_lease_can_neither_renew_nor_finish_the_job() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("lease").await;
    let hash_id = upload(&app, &user.token, CLIP, "video/mp4", fixture(CLIP)).await;
    let first = claim_and_abandon(&app).await;
    app.clock.advance(past_the_lease(&app));
    let second = claim_and_abandon(&app).await;
    assert_eq!((first.attempts, second.attempts), (1, 2));

    let pool = app.state.pool();
    let facts = store::videos::MediaFacts {
        content_type: "video/mp4".into(),
        duration_seconds: 1.0,
        width: 2,
        height: 2,
    };
    let lost = |r: Result<(), store::StoreError>| matches!(r, Err(store::StoreError::LeaseLost(_)));
    assert!(lost(
        store::jobs::renew_lease(pool, &first, app.state.clock.now()).await
    ));
    assert!(lost(
        store::jobs::finish_ready(pool, &first, &facts, false, app.state.clock.now()).await
    ));
    assert!(lost(store::jobs::finish_moot(pool, &first).await));
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await,
        Err(serde_json::Value::Null),
        "still processing: the stale finish changed nothing"
    );
    store::jobs::finish_ready(pool, &second, &facts, false, app.state.clock.now())
        .await
        .unwrap();
    let job = store::jobs::job_of_video(pool, video_id(&app, &hash_id).await)
        .await
        .unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("done", 2));
}
