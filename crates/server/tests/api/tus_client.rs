//! Resumable uploads with an independent client: `bench/tus/resume.py` drives tuspy (PyPI)
//! against the real server, cutting the connection off mid-PATCH every few hundred KiB and
//! resuming; the video it becomes must hold exactly the file's bytes. Needs the tuspy
//! virtualenv that `bench/tus/setup.sh` makes (CI runs it before the ignored tests).

use std::path::{Path, PathBuf};

use crate::helpers::{CLIP, TestApp, phone_clip_dir, spawn_app};
use crate::video_api_support::*;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let python = std::env::var_os("REELSHARE_TUS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target/tus-venv/bin/python3"));
    assert!(
        python.is_file(),
        "{} is missing: run bench/tus/setup.sh",
        python.display()
    );
    python
}

/// Uploads `file` through tuspy, cut off after `min`..=`max` bytes each round; checks the
/// result and returns how many cuts there were.
async fn upload_cut_and_resumed(app: &TestApp, file: &Path, min: u64, max: u64) -> u64 {
    let user = app.create_user("tuspy").await;
    let output = tokio::process::Command::new(python())
        .arg(repository().join("bench/tus/resume.py"))
        .arg(app.url("/tus/"))
        .arg(&user.token)
        .arg(file)
        .arg(min.to_string())
        .arg(max.to_string())
        .output()
        .await
        .expect("running bench/tus/resume.py");
    assert!(
        output.status.success(),
        "resume.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    println!("{}: {report}", file.display());
    let hash_id = report["video_id"].as_str().expect("a video id").to_owned();

    wait_until_done(app, &user.token, &hash_id)
        .await
        .expect("processed");
    publish(app, &user.token, &hash_id, "Cut off and resumed").await;
    let watch = json(
        get(
            app,
            &format!(
                "/video/watch/?user_id={}&hash_id={hash_id}",
                user.account.public_id
            ),
            None,
        )
        .await,
    )
    .await;
    let link = watch["watchable_url"].as_str().unwrap().to_owned();
    let stored = get_url(app, &link, None).await.bytes().await.unwrap();
    let original = std::fs::read(file).unwrap();
    assert!(stored.as_ref() == original.as_slice(), "the exact bytes");
    let partial = app.data_dir.path().join("staging/resumable");
    assert_eq!(std::fs::read_dir(partial).unwrap().count(), 0);
    report["cuts"].as_u64().unwrap()
}

#[tokio::test]
#[ignore = "needs python3 with tuspy (bench/tus/run.sh)"]
async fn tus_client_a_fixture_cut_off_every_few_dozen_kib_arrives_intact() {
    let app = spawn_app().await;
    let clip = repository().join("testdata").join(CLIP);
    let cuts = upload_cut_and_resumed(&app, &clip, 24 * 1024, 64 * 1024).await;
    assert!(cuts >= 3, "{cuts} cuts");
}

#[tokio::test]
#[ignore = "needs python3 with tuspy (bench/tus/run.sh) and ../shared/media"]
async fn tus_client_a_phone_clip_cut_off_every_256_kib_to_1_mib_arrives_intact() {
    let app = spawn_app().await;
    let clip = phone_clip_dir().join("clip-a.mp4");
    let cuts = upload_cut_and_resumed(&app, &clip, 256 * 1024, 1024 * 1024).await;
    assert!(cuts >= 1, "{cuts} cuts");
}
