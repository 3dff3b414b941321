//! The real `reelshare` binary under the hardening settings: `reelshare token` signs the
//! seeded default creator in, the server warns at start-up while anonymous creator uploads
//! are on, and 64 concurrent logins keep its memory bounded (Argon2 runs in a bounded number
//! of slots).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;

use common::{Server, free_port, reelshare, serve, wait_until_up};

#[tokio::test]
async fn the_token_command_signs_the_default_creator_in() {
    let data = tempfile::tempdir().unwrap();
    let output = reelshare()
        .args(["token", "--creator-id", "1", "--data-dir"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43, "only the token on standard output");
    let note = String::from_utf8(output.stderr).unwrap();
    assert!(note.contains("creator 1 (John Doe)"), "{note}");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(serve(data.path(), port).spawn().unwrap());
    wait_until_up(&base).await;
    let client = reqwest::Client::new();
    let mine = client
        .get(format!("{base}/video/my/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    let anonymous = client
        .get(format!("{base}/video/my/"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let unknown = reelshare()
        .args(["token", "--creator-id", "99", "--data-dir"])
        .arg(data.path())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no creator with id 99"));
}

/// The log lines the server prints before it says it is listening.
fn start_up_log(mut command: Command) -> Vec<String> {
    let mut child = Server(command.stdout(Stdio::piped()).spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let listening = line.contains("reelshare listening");
        lines.push(line);
        if listening {
            return lines;
        }
    }
    panic!("the server stopped before listening: {lines:?}");
}

#[test]
fn the_server_warns_at_start_up_while_anonymous_creator_uploads_are_on() {
    let warning = "allow_anonymous_creator_uploads is on";
    let data = tempfile::tempdir().unwrap();
    let mut on = serve(data.path(), free_port());
    on.env("REELSHARE_ALLOW_ANONYMOUS_CREATOR_UPLOADS", "true");
    let log = start_up_log(on);
    assert!(log.iter().any(|line| line.contains(warning)), "{log:?}");

    let log = start_up_log(serve(data.path(), free_port()));
    assert!(!log.iter().any(|line| line.contains(warning)), "{log:?}");
}

/// Peak resident memory of `pid` in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn sixty_four_concurrent_logins_keep_the_servers_memory_bounded() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = serve(data.path(), port);
    command
        // Two hashing slots (not the number of CPUs) so the bound is the same on any machine;
        // rate limits out of the way, and a long wait, so that all 64 logins are hashed.
        .env("REELSHARE_PASSWORD_HASH_CONCURRENCY", "2")
        .env("REELSHARE_PASSWORD_HASH_WAIT_SECONDS", "120")
        .env("REELSHARE_RATE_LIMIT_LOGIN_PER_IP", "100000/min")
        .env("REELSHARE_RATE_LIMIT_LOGIN_PER_ACCOUNT", "100000/min");
    let server = Server(command.spawn().unwrap());
    wait_until_up(&base).await;
    let client = reqwest::Client::new();
    let login = |n: usize| {
        let client = client.clone();
        let url = format!("{base}/auth/login");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"username": format!("nobody{n}"), "password": "wrong password"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // One login first, so what is measured is the logins, not first-use set-up.
    assert_eq!(login(1000).await, 401);
    let before = peak_rss(server.0.id());
    let logins: Vec<_> = (0..64).map(|n| tokio::spawn(login(n))).collect();
    for login in logins {
        assert_eq!(login.await.unwrap(), 401);
    }
    let growth = peak_rss(server.0.id()).saturating_sub(before);
    eprintln!(
        "peak RSS before {} MiB, growth over 64 concurrent logins {} MiB",
        before >> 20,
        growth >> 20
    );
    assert!(growth <= 64 << 20, "peak RSS grew by {} MiB", growth >> 20);
}
