//! Holding up against abuse of accounts: no anonymous uploads as someone else's creator, a
//! bound on concurrent password hashing (503 with `Retry-After`, the same for known and
//! unknown usernames), and rate limits on logins and registrations by client IP and by
//! username (429 with `Retry-After`), with `X-Forwarded-For` believed only from trusted
//! proxies.

use std::time::Duration;

use serde_json::{Value, json};
use server::settings::RateLimit;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_with};
use crate::video_api_support::*;

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    post_json(
        app,
        "/auth/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

async fn register(app: &TestApp, username: &str) -> reqwest::Response {
    post_json(
        app,
        "/auth/register",
        &json!({"username": username, "password": "correct horse", "display_name": username}),
    )
    .await
}

fn per_minute(n: u32) -> Option<RateLimit> {
    Some(RateLimit {
        per_minute: n,
        burst: n,
    })
}

/// Status, `Retry-After` and body of a response.
async fn refusal(response: reqwest::Response) -> (u16, Option<u64>, Value) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry_after, json(response).await)
}

#[tokio::test]
async fn an_anonymous_creator_upload_is_refused_by_default_and_leaves_nothing() {
    let app = spawn_app().await;
    let victim = app.create_user("victim").await;
    let form = reqwest::multipart::Form::new()
        .text("creator_id", victim.account.id.to_string())
        .text("title", "not yours")
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture(CLIP)).file_name("a.mp4"),
        );
    let response = app
        .client
        .post(app.url("/upload-video"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await, json!({"error": "Not authenticated"}));
    assert_eq!(app.video_count().await, 0);
    assert!(app.stored_files().await.is_empty());
}

#[tokio::test]
async fn anonymous_creator_uploads_work_only_with_the_development_setting() {
    let app = spawn_app_with(|s| s.allow_anonymous_creator_uploads = true).await;
    let form = reqwest::multipart::Form::new()
        .text("creator_id", "1")
        .text("title", "dev")
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture(CLIP)).file_name("a.mp4"),
        );
    let response = app
        .client
        .post(app.url("/upload-video"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn logins_and_registrations_wait_for_a_hashing_slot_then_are_refused_alike_with_503() {
    let app = spawn_app_with(|s| {
        s.password_hashing.concurrency = 1;
        s.password_hashing.wait = Duration::from_millis(100);
    })
    .await;
    assert_eq!(register(&app, "known").await.status(), 201);

    // Every slot is busy: a known user with a wrong password, an unknown user and a new
    // registration all wait, then get the same 503.
    let held = app.state.password_hashing.reserve().await.unwrap();
    let known = refusal(login(&app, "known", "wrong password").await).await;
    let unknown = refusal(login(&app, "nobody", "wrong password").await).await;
    let new = refusal(register(&app, "newcomer").await).await;
    assert_eq!(known.0, 503);
    assert!(known.1.is_some_and(|seconds| seconds >= 1));
    assert_eq!(
        known.2,
        json!({"detail": "Service busy, try again shortly"})
    );
    assert_eq!(known, unknown);
    assert_eq!(known, new);

    // Once the slot is free, unknown user and wrong password are the same 401.
    drop(held);
    let known = refusal(login(&app, "known", "wrong password").await).await;
    let unknown = refusal(login(&app, "nobody", "wrong password").await).await;
    assert_eq!(known.0, 401);
    assert_eq!(known, unknown);
    assert_eq!(login(&app, "known", "correct horse").await.status(), 200);
}

#[tokio::test]
async fn logins_are_limited_per_client_ip_with_429_and_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login.per_ip = per_minute(3);
        s.rate_limits.login.per_account = None;
    })
    .await;
    for n in 0..3 {
        assert_eq!(
            login(&app, &format!("user{n}"), "wrong password")
                .await
                .status(),
            401
        );
    }
    let (status, retry_after, body) = refusal(login(&app, "user9", "wrong password").await).await;
    assert_eq!(status, 429);
    assert!(
        retry_after.is_some_and(|s| (1..=20).contains(&s)),
        "{retry_after:?}"
    );
    assert_eq!(body, json!({"detail": "Too Many Requests"}));
}

#[tokio::test]
async fn logins_are_limited_per_username_whatever_the_client() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login.per_ip = None;
        s.rate_limits.login.per_account = per_minute(2);
    })
    .await;
    for _ in 0..2 {
        assert_eq!(login(&app, "ada", "wrong password").await.status(), 401);
    }
    // Usernames are compared lower-cased, so `ADA` is the same account.
    assert_eq!(login(&app, "ADA", "wrong password").await.status(), 429);
    assert_eq!(login(&app, "bob", "wrong password").await.status(), 401);
}

#[tokio::test]
async fn registrations_are_limited_per_client_ip_and_per_username() {
    let app = spawn_app_with(|s| {
        s.rate_limits.register.per_ip = per_minute(3);
        s.rate_limits.register.per_account = per_minute(1);
    })
    .await;
    assert_eq!(register(&app, "first").await.status(), 201);
    // The same username again: limited before it costs a hash (or even a 409).
    assert_eq!(register(&app, "first").await.status(), 429);
    assert_eq!(register(&app, "second").await.status(), 201);
    // The refused registration counted against the client too: this is its fourth.
    let (status, retry_after, body) = refusal(register(&app, "third").await).await;
    assert_eq!(status, 429);
    assert!(retry_after.is_some());
    assert_eq!(body, json!({"detail": "Too Many Requests"}));
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/auth/login"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"username": "someone", "password": "wrong password"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login.per_ip = per_minute(1);
        s.rate_limits.login.per_account = None;
    })
    .await;
    assert_eq!(login_from(&app, "198.51.100.1").await, 401);
    // A client cannot become someone else by claiming another address.
    assert_eq!(login_from(&app, "198.51.100.2").await, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.rate_limits.login.per_ip = per_minute(1);
        s.rate_limits.login.per_account = None;
    })
    .await;
    assert_eq!(login_from(&app, "198.51.100.1").await, 401);
    assert_eq!(login_from(&app, "198.51.100.2").await, 401);
    assert_eq!(login_from(&app, "198.51.100.1").await, 429);
    // What a client wrote left of the address our proxy saw is not believed.
    assert_eq!(login_from(&app, "203.0.113.9, 198.51.100.2").await, 429);
}
