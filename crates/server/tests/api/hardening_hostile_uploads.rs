//! The hostile-media corpus (`testdata/hostile/`, see its README) uploaded through the Creator
//! API the way an attacker would: every lying file is refused with a clear 4xx in the
//! surface's `{"error"}` shape, quickly, and leaves no row and no stored file; the control file
//! is accepted. (Per-file memory is measured where it can be isolated: each file in its own
//! process, `crates/media/tests/media/hostile.rs`; the server's own growth under load in
//! `tests/binary_hardening.rs` and `bench/load`.)

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::helpers::spawn_app_with;

/// Generous for a debug build on a loaded 2-core machine; the media crate's own test holds
/// the structural cases to 200 ms.
const BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn every_hostile_file_is_refused_with_a_clear_4xx_quickly_and_leaves_nothing() {
    hostile_uploads_are_refused(media::FfmpegMode::Disabled).await;
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn every_hostile_file_is_refused_with_a_clear_4xx_when_ffmpeg_reads_it_too() {
    hostile_uploads_are_refused(media::FfmpegMode::Auto).await;
}

async fn hostile_uploads_are_refused(ffmpeg: media::FfmpegMode) {
    let app = spawn_app_with(|settings| {
        settings.media.ffmpeg = ffmpeg;
        settings.rate_limits.upload.per_account = None;
        settings.rate_limits.upload.per_ip = None;
    })
    .await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "mp4" || e == "mkv"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus is in testdata/hostile");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        let response = app.upload_video("hostile", &name, bytes).await;
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(elapsed < BOUND, "{name}: {elapsed:?}");
        if name.starts_with("control") {
            assert_eq!(status, 201, "{name}: {body}");
            continue;
        }
        assert!(matches!(status, 413 | 415 | 422), "{name}: {status} {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: {body}"
        );
    }
    assert_eq!(
        app.video_count().await,
        1,
        "only the control file is stored"
    );
}
