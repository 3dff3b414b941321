//! The real `reelshare` binary, as a user runs it: `serve` with flags or `REELSHARE_*`
//! variables, data kept across restarts, `migrate`.

use std::process::Stdio;

mod common;

use common::{Server, free_port, reelshare, wait_until_up};

/// The default creator's row, once the server at `base` answers.
async fn creator_1(base: &str) -> serde_json::Value {
    wait_until_up(base).await;
    reqwest::get(format!("{base}/get-creator-data?creator_id=1"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_takes_its_address_and_data_directory_from_flags_or_environment() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let flags = Server(
        reelshare()
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data.path())
            .spawn()
            .unwrap(),
    );
    let creator = creator_1(&base).await;
    assert_eq!(creator["name"], "John Doe");
    assert!(data.path().join("reelshare.db").exists());
    drop(flags);

    // Restarted through the environment on another port: same data, no second creator.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _env = Server(
        reelshare()
            .env("REELSHARE_BIND", format!("127.0.0.1:{port}"))
            .env("REELSHARE_DATA_DIR", data.path())
            .env("REELSHARE_DEFAULT_CREATOR_NAME", "Someone Else")
            .spawn()
            .unwrap(),
    );
    let creator = creator_1(&base).await;
    assert_eq!(
        creator["name"], "John Doe",
        "the existing database was kept"
    );
    let second = reqwest::get(format!("{base}/get-creator-data?creator_id=2"))
        .await
        .unwrap();
    assert_eq!(second.status(), 404);
}

#[test]
fn migrate_creates_the_schema_and_exits() {
    let data = tempfile::tempdir().unwrap();
    let status = reelshare()
        .args(["migrate", "--data-dir"])
        .arg(data.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(data.path().join("reelshare.db").exists());
}

#[test]
fn a_bad_setting_is_reported_and_the_server_does_not_start() {
    let output = reelshare()
        .env("REELSHARE_BIND", "not-an-address")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bind"));
}

/// `reelshare gc` through the real binary on local storage: it prints an object with no video
/// row and leaves it; `--apply` removes it.
#[test]
fn gc_prints_orphaned_objects_and_removes_them_only_with_apply() {
    let data = tempfile::tempdir().unwrap();
    let migrated = common::reelshare()
        .args(["migrate", "--data-dir"])
        .arg(data.path())
        .status()
        .unwrap();
    assert!(migrated.success());
    let hash_id = server::upload::publishing::new_hash_id();
    let dir = data.path().join("media/videos").join(hash_id.as_str());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("original"), b"bytes nobody owns").unwrap();
    let gc = |apply: bool| {
        let mut command = common::reelshare();
        command
            .args(["gc", "--data-dir"])
            .arg(data.path())
            .env("REELSHARE_ORPHAN_GRACE_SECONDS", "0")
            .stdout(std::process::Stdio::piped());
        if apply {
            command.arg("--apply");
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let report = gc(false);
    let line = format!("object with no video row: videos/{hash_id}/original");
    assert!(report.contains(&line), "{report}");
    assert!(report.contains("nothing removed"), "{report}");
    assert!(dir.join("original").exists());
    let applied = gc(true);
    assert!(applied.contains(&line), "{applied}");
    assert!(!dir.join("original").exists());
    let clean = gc(false);
    assert!(
        clean.contains("0 orphaned video(s) in storage, 0 ready video(s) missing their original"),
        "{clean}"
    );
}
