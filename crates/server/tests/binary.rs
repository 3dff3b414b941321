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
