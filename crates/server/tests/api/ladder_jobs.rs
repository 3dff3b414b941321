//! The rendition ladder as a durable job: queued with "ready" only when ffmpeg is on (by the
//! processing worker and by the Creator API's synchronous upload), left queued by nodes
//! without ffmpeg, retaken after a dead worker's lease, failed visibly to the owner when
//! stuck, and finished quietly, leaving no objects, when its video is deleted. Tests that
//! encode are `#[ignore = "needs ffmpeg"]`.

use std::time::Duration;

use domain::ids::{AccountId, VideoId};
use media::LadderState;
use serde_json::Value;
use store::jobs::{self, ClaimedJob, JobKind};

use crate::helpers::{CLIP, TestApp, fixture, spawn_app_on_postgres, spawn_app_with};
use crate::video_api_support::*;

/// 360×640 with its index at the end: one ladder rung (360p).
const LADDER_SOURCE: &str = "moov-at-end.mp4";

async fn app(ffmpeg: bool) -> TestApp {
    spawn_app_with(|settings| {
        settings.processing_workers = 0;
        if ffmpeg {
            settings.media.ffmpeg = media::FfmpegMode::Auto;
        }
    })
    .await
}

async fn video_id(app: &TestApp, hash_id: &str) -> VideoId {
    let hash_id = domain::ids::HashId::parse(hash_id).unwrap();
    store::videos::find_video_by_hash(app.state.pool(), &hash_id)
        .await
        .unwrap()
        .id
}

async fn ladder_job(app: &TestApp, video: VideoId) -> Option<jobs::JobStatus> {
    match jobs::job_of_video_of_kind(app.state.pool(), video, JobKind::Ladder).await {
        Ok(job) => Some(job),
        Err(store::StoreError::NotFound) => None,
        Err(other) => panic!("{other}"),
    }
}

/// Claims the next due job as a worker that has ffmpeg would, and runs nothing (the worker
/// dies holding it, or a test runs it).
async fn claim_as_ladder_worker(app: &TestApp) -> Option<ClaimedJob> {
    let mut terms = server::upload::worker::claim_terms(&app.state);
    terms.ladders = true;
    jobs::claim_next(&app.state.db, terms).await.unwrap()
}

fn past_the_lease(app: &TestApp) -> Duration {
    app.state.settings.job_lease + Duration::from_secs(1)
}

async fn queue_ladder(app: &TestApp, video: VideoId) {
    let mut conn = app.state.pool().acquire().await.unwrap();
    jobs::enqueue_ladder_on(&mut conn, video, app.state.clock.now())
        .await
        .unwrap();
}

async fn ladder_state(app: &TestApp, hash_id: &str) -> Option<LadderState> {
    let hash_id = domain::ids::HashId::parse(hash_id).unwrap();
    server::upload::playback::hls_index(&app.state, &hash_id)
        .await
        .unwrap()
        .and_then(|index| index.ladder)
}

/// An uploaded, processed (ready) video of a new user: (user, hash_id, video id).
async fn ready_video(app: &TestApp, name: &str) -> (crate::helpers::TestUser, String, VideoId) {
    let user = app.create_user("lena").await;
    let hash_id = upload(app, &user.token, name, "video/mp4", fixture(name)).await;
    assert!(server::upload::worker::run_next(&app.state).await.unwrap());
    let id = video_id(app, &hash_id).await;
    (user, hash_id, id)
}

/// The variant streams' `RESOLUTION`s in the master playlist that `hls_url` links to.
async fn master_resolutions(app: &TestApp, user_id: &str, hash_id: &str) -> Vec<String> {
    let path = format!("/video/watch/?user_id={user_id}&hash_id={hash_id}");
    let record: Value = json(get(app, &path, None).await).await;
    let master = get_url(app, record["hls_url"].as_str().unwrap(), None).await;
    assert_eq!(master.status(), 200);
    master
        .text()
        .await
        .unwrap()
        .lines()
        .filter_map(|line| line.split("RESOLUTION=").nth(1))
        .map(|rest| rest.split(',').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn without_ffmpeg_no_upload_queues_a_ladder_job() {
    let app = app(false).await;
    let (_, hash_id, id) = ready_video(&app, CLIP).await;
    assert_eq!(ladder_job(&app, id).await, None, "Video API upload");
    assert_eq!(ladder_state(&app, &hash_id).await, None);
    let creator_video = VideoId::new(app.upload_clip(CLIP, "creator").await);
    assert_eq!(
        ladder_job(&app, creator_video).await,
        None,
        "Creator API upload"
    );
    assert!(!server::upload::worker::run_next(&app.state).await.unwrap());
}

#[tokio::test]
async fn a_node_without_ffmpeg_leaves_a_ladder_job_queued_for_one_that_has_it() {
    leaves_a_ladder_job_queued_without_ffmpeg(app(false).await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn on_postgresql_a_node_without_ffmpeg_leaves_a_ladder_job_queued() {
    let app = spawn_app_on_postgres(|settings| settings.processing_workers = 0).await;
    leaves_a_ladder_job_queued_without_ffmpeg(app).await;
}

async fn leaves_a_ladder_job_queued_without_ffmpeg(app: TestApp) {
    let (_, _, id) = ready_video(&app, CLIP).await;
    queue_ladder(&app, id).await;
    assert!(
        !server::upload::worker::run_next(&app.state).await.unwrap(),
        "a worker without ffmpeg does not claim it"
    );
    let job = ladder_job(&app, id).await.unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("queued", 0));
    let claimed = claim_as_ladder_worker(&app)
        .await
        .expect("claimable with ffmpeg");
    assert_eq!((claimed.kind, claimed.video_id), (JobKind::Ladder, id));
}

#[tokio::test]
async fn a_ladder_job_whose_video_was_deleted_finishes_quietly_and_leaves_nothing() {
    let app = app(false).await;
    let (user, hash_id, id) = ready_video(&app, CLIP).await;
    queue_ladder(&app, id).await;
    let job = claim_as_ladder_worker(&app).await.unwrap();
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
    assert_eq!(
        ladder_job(&app, id).await,
        None,
        "the job row goes with the video"
    );
    server::upload::worker::run_claimed(&app.state, job)
        .await
        .expect("finishes quietly");
    assert_eq!(claim_as_ladder_worker(&app).await, None);
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn a_ladder_job_stuck_past_its_attempts_fails_for_the_owner_and_the_video_still_plays() {
    stuck_ladder_fails_for_the_owner(app(false).await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn on_postgresql_a_stuck_ladder_job_fails_for_the_owner() {
    let app = spawn_app_on_postgres(|settings| settings.processing_workers = 0).await;
    stuck_ladder_fails_for_the_owner(app).await;
}

async fn stuck_ladder_fails_for_the_owner(app: TestApp) {
    let (user, hash_id, id) = ready_video(&app, CLIP).await;
    publish(&app, &user.token, &hash_id, "still plays").await;
    queue_ladder(&app, id).await;
    for _ in 0..server::upload::worker::MAX_ATTEMPTS {
        claim_as_ladder_worker(&app).await.expect("retaken");
        app.clock.advance(past_the_lease(&app));
    }
    assert_eq!(claim_as_ladder_worker(&app).await, None, "no attempts left");
    server::upload::worker::sweep_stuck(&app.state)
        .await
        .unwrap();
    let job = ladder_job(&app, id).await.unwrap();
    assert_eq!(job.state, "failed");
    assert_eq!(
        ladder_state(&app, &hash_id).await,
        Some(LadderState::Failed("timed out".into()))
    );
    let public_id = user.account.public_id.as_str();
    let path = format!("/video/watch/?user_id={public_id}&hash_id={hash_id}");
    let owners: Value = json(get(&app, &path, Some(&user.token)).await).await;
    assert_eq!(owners["ladder"]["state"], "failed", "{owners}");
    assert_eq!(owners["ladder"]["detail"], "timed out");
    assert!(
        !master_resolutions(&app, public_id, &hash_id)
            .await
            .is_empty()
    );
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await.map(|_| ()),
        Ok(()),
        "the video is untouched"
    );
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_creator_api_upload_gets_a_ladder_in_its_master_playlist() {
    let app = app(true).await;
    let id = VideoId::new(app.upload_clip(LADDER_SOURCE, "ladder").await);
    let video = store::videos::find_video(app.state.pool(), id)
        .await
        .unwrap();
    let hash_id = video.hash_id.as_str().to_owned();
    let owner = store::accounts::find_account(app.state.pool(), AccountId::new(1))
        .await
        .unwrap();
    let owner = owner.public_id.as_str();
    let job = ladder_job(&app, id).await.expect("queued with the video");
    assert_eq!(job.state, "queued");
    assert_eq!(
        ladder_state(&app, &hash_id).await,
        Some(LadderState::Queued)
    );
    assert_eq!(
        master_resolutions(&app, owner, &hash_id).await,
        ["360x640"],
        "playable at once, from the packaged original"
    );

    run_jobs(&app).await;
    let job = ladder_job(&app, id).await.unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("done", 1));
    assert_eq!(ladder_state(&app, &hash_id).await, Some(LadderState::Done));
    assert_eq!(
        master_resolutions(&app, owner, &hash_id).await,
        ["360x640", "360x640"],
        "the source and the 360p rung"
    );

    let path = format!("/video/my/{hash_id}");
    let deleted = delete(&app, &path, app.creator_token.as_deref()).await;
    assert_eq!(deleted.status(), 204, "DELETE after the ladder");
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_ladder_job_whose_worker_died_is_retaken_after_the_lease_and_completes_once() {
    let app = app(true).await;
    let (user, hash_id, id) = ready_video(&app, LADDER_SOURCE).await;
    publish(&app, &user.token, &hash_id, "retaken").await;
    let dead = claim_as_ladder_worker(&app).await.expect("the ladder job");
    assert_eq!((dead.kind, dead.attempts), (JobKind::Ladder, 1));
    assert!(
        !server::upload::worker::run_next(&app.state).await.unwrap(),
        "held by the dead worker's lease"
    );
    app.clock.advance(past_the_lease(&app));
    assert!(server::upload::worker::run_next(&app.state).await.unwrap());
    let job = ladder_job(&app, id).await.unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("done", 2));
    assert!(!server::upload::worker::run_next(&app.state).await.unwrap());
    // The dead worker cannot finish it as well.
    assert!(matches!(
        jobs::finish_done(app.state.pool(), &dead).await,
        Err(store::StoreError::LeaseLost(_))
    ));
    let public_id = user.account.public_id.as_str();
    assert_eq!(
        master_resolutions(&app, public_id, &hash_id).await,
        ["360x640", "360x640"],
        "each rendition once"
    );
}

/// Whether a ladder's scratch directory holds a file yet.
fn ffmpeg_is_writing(app: &TestApp) -> bool {
    let staging = app.data_dir.path().join("staging");
    std::fs::read_dir(staging)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            name.to_string_lossy()
                .starts_with(store::staging::SCRATCH_PREFIX)
        })
        .any(|scratch| {
            std::fs::read_dir(scratch.path())
                .into_iter()
                .flatten()
                .next()
                .is_some()
        })
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn deleting_a_video_while_its_ladder_encodes_leaves_nothing() {
    let app = app(true).await;
    let (user, hash_id, id) = ready_video(&app, LADDER_SOURCE).await;
    let state = app.state.clone();
    let ladder = tokio::spawn(async move { server::upload::worker::run_next(&state).await });
    // Once ffmpeg writes its output it holds the original open, so the encode outlives the
    // DELETE and its rungs are stored after the DELETE removed the video's objects.
    let started = std::time::Instant::now();
    while !ffmpeg_is_writing(&app) {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        tokio::task::yield_now().await;
    }
    assert!(matches!(
        ladder_state(&app, &hash_id).await,
        Some(LadderState::Encoding(_))
    ));
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
    assert!(ladder.await.unwrap().unwrap(), "finished quietly");
    assert_eq!(
        ladder_job(&app, id).await,
        None,
        "the job row went with the video"
    );
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
}
