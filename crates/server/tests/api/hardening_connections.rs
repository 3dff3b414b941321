//! Connections bounded in time and number, over raw TCP: a request head sent too slowly is
//! cut off, an idle connection is closed, connections beyond the cap wait for a free slot,
//! and an upload trickling in below the minimum rate is refused with 408 in each surface's
//! shape, leaving no staging file and no row. Timeouts are set short in each test: what is
//! measured is a timeout firing, never a sleep proving that nothing happened.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};
use crate::video_api_support::*;

const PATIENCE: Duration = Duration::from_secs(10);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or an error); what was read.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return received,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept the connection open for {PATIENCE:?}"),
        }
    }
}

#[tokio::test]
async fn a_request_head_sent_too_slowly_is_cut_off() {
    let app = spawn_app_with(|s| {
        s.connections.header_read_timeout = Duration::from_millis(500);
        s.connections.keep_alive_timeout = Duration::from_secs(60);
    })
    .await;
    let stream = connect(&app).await;
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "GET /health_check HTTP/1.1\r\nHost: x\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(100)
    );
    let started = Instant::now();
    let closed = tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(PATIENCE, reader.read_to_end(&mut sink)).await;
        Instant::now()
    });
    // One byte every 50 ms: the whole head would take over 6 s.
    let mut sent = 0;
    for byte in head.bytes() {
        if closed.is_finished() || writer.write_all(&[byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let closed_at = closed.await.unwrap();
    assert!(sent < head.len(), "the whole head got through");
    let open_for = closed_at - started;
    assert!(
        open_for >= Duration::from_millis(400) && open_for < Duration::from_secs(5),
        "{open_for:?}"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_keep_alive_timeout() {
    let app = spawn_app_with(|s| {
        s.connections.header_read_timeout = Duration::from_secs(60);
        s.connections.keep_alive_timeout = Duration::from_millis(300);
    })
    .await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    assert!(read_to_close(&mut stream).await.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_response() {
    let app = spawn_app_with(|s| {
        s.connections.header_read_timeout = Duration::from_secs(60);
        s.connections.keep_alive_timeout = Duration::from_millis(300);
    })
    .await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /health_check HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let received = String::from_utf8(read_to_close(&mut stream).await).unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|s| {
        s.connections.max_connections = 2;
        s.connections.header_read_timeout = Duration::from_secs(1);
        s.connections.keep_alive_timeout = Duration::from_secs(60);
    })
    .await;
    // Two silent connections take both slots until the head timeout closes them.
    let _silent = [connect(&app).await, connect(&app).await];
    let started = Instant::now();
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let received = String::from_utf8(read_to_close(&mut third).await).unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "answered after {waited:?}, before a slot was free"
    );
}

/// A multipart body's opening (`fields`, then the head of a `file` part) and its boundary.
fn multipart_head(fields: &[(&str, &str)]) -> (String, &'static str) {
    let boundary = "XyZboundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    ));
    (body, boundary)
}

/// Posts a multipart body to `path` whose file then trickles at 20 bytes a second; returns
/// the status line and the JSON body of the answer.
async fn trickle_upload(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> (String, Value) {
    let (body_head, boundary) = multipart_head(fields);
    let authorization = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{authorization}\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n{body_head}",
        body_head.len() + 1_000_000
    );
    let (mut reader, mut writer) = connect(app).await.into_split();
    let answer = tokio::spawn(async move {
        let mut received = Vec::new();
        let _ = tokio::time::timeout(PATIENCE, reader.read_to_end(&mut received)).await;
        String::from_utf8_lossy(&received).into_owned()
    });
    writer.write_all(head.as_bytes()).await.unwrap();
    while !answer.is_finished() {
        if writer.write_all(b"x").await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = answer.await.unwrap();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let json_start = answer.find('{').expect("a JSON body");
    let body = serde_json::from_str(answer[json_start..].trim()).expect("JSON");
    (status, body)
}

fn slow_uploads(s: &mut server::settings::Settings) {
    s.connections.body_min_bytes_per_second = 1000;
    s.connections.body_grace = Duration::from_millis(500);
}

async fn assert_nothing_left(app: &TestApp) {
    for _ in 0..100 {
        if app.stored_files().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
    assert_eq!(app.video_count().await, 0);
}

#[tokio::test]
async fn a_creator_upload_trickling_below_the_minimum_rate_is_cut_off_and_leaves_nothing() {
    let app = spawn_app_with(slow_uploads).await;
    let token = app.creator_token.clone().unwrap();
    let (status, body) = trickle_upload(
        &app,
        "/upload-video",
        Some(&token),
        &[("creator_id", "1"), ("title", "slow")],
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("arrived too slowly"), "{message}");
    assert_nothing_left(&app).await;
}

#[tokio::test]
async fn a_signed_form_upload_trickling_below_the_minimum_rate_is_cut_off_and_leaves_nothing() {
    let app = spawn_app_with(slow_uploads).await;
    let user = app.create_user("slow").await;
    let form = instructions(&app, &user.token, "video/mp4", "a.mp4").await;
    let fields: Vec<(String, String)> = form["signatures"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, body) = trickle_upload(&app, "/media/uploads", None, &fields).await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    let message = body["detail"].as_str().unwrap();
    assert!(message.contains("arrived too slowly"), "{message}");
    assert_nothing_left(&app).await;
}

#[tokio::test]
async fn an_upload_taking_longer_than_the_upload_timeout_is_cut_off() {
    let app = spawn_app_with(|s| {
        s.connections.body_min_bytes_per_second = 0;
        s.connections.body_timeout = Duration::from_millis(700);
    })
    .await;
    let token = app.creator_token.clone().unwrap();
    let (status, _) = trickle_upload(
        &app,
        "/upload-video",
        Some(&token),
        &[("creator_id", "1"), ("title", "slow")],
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert_nothing_left(&app).await;
}
