//! What the tests that run the real `reelshare` binary share: a free port, the command with a
//! clean environment, `serve` on a data directory, waiting until it answers, and a guard that
//! kills the process when the test ends (also when it fails).

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server, killed and reaped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary, quiet, without the CI's `DATABASE_URL` (so it runs on its embedded default).
pub fn reelshare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelshare"));
    command
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// `reelshare serve` on `127.0.0.1:port` with `data` as its data directory.
pub fn serve(data: &Path, port: u16) -> Command {
    let mut command = reelshare();
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data);
    command
}

/// Waits (up to 30 s) until the server at `base` answers.
pub async fn wait_until_up(base: &str) {
    let started = Instant::now();
    while reqwest::get(format!("{base}/health_check")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
