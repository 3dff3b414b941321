//! Text people write follows one rule everywhere (`domain::text::check_characters`): NUL and
//! other control characters, and invisible text-direction controls such as U+202E, are refused
//! with a 422 on every endpoint that takes text, instead of being stored (or, on PostgreSQL,
//! failing with a 500 for a NUL).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_on_postgres};

const HOSTILE: [&str; 4] = [
    "nul \u{0} inside",
    "escape \u{1b}[31m red",
    "clip\u{202E}4pm.exe",
    "isolate \u{2066}x\u{2069}",
];

async fn hostile_text_is_refused_everywhere(app: &TestApp) {
    let owner = app.create_user("owner").await;
    let ana = app.create_user("ana").await;
    let moderator = app.create_user("mod").await;
    store::accounts::set_role(
        app.state.pool(),
        moderator.account.id,
        domain::account::Role::Moderator,
    )
    .await
    .unwrap();
    let (_, hash) = app
        .insert_bare_video(owner.account.id, "A listed video", true, false)
        .await;
    for bad in HOSTILE {
        let requests: [(Method, String, &str, Value); 5] = [
            (
                Method::POST,
                format!("/video/{hash}/comments"),
                &ana.token,
                json!({"text": bad}),
            ),
            (
                Method::POST,
                format!("/video/{hash}/reports"),
                &ana.token,
                json!({"reason": bad}),
            ),
            (
                Method::PUT,
                format!("/moderation/videos/{hash}"),
                &moderator.token,
                json!({"compliance": 1, "note": bad}),
            ),
            (
                Method::PUT,
                format!("/video/my/{hash}"),
                &owner.token,
                json!({"title": bad}),
            ),
            (
                Method::PUT,
                format!("/video/my/{hash}"),
                &owner.token,
                json!({"description": bad.replace('\n', " ")}),
            ),
        ];
        for (method, path, token, body) in requests {
            let r = app
                .send(method.clone(), &path, Some(token), None, Some(body))
                .await;
            assert_eq!(r.status(), 422, "{method} {path} with {bad:?}");
            let body: Value = r.json().await.unwrap();
            assert!(body["detail"].is_array(), "{body}");
        }
        let r = app
            .send(
                Method::POST,
                "/auth/register",
                None,
                None,
                Some(json!({"username": "eve", "password": "correct horse", "display_name": bad})),
            )
            .await;
        assert_eq!(r.status(), 422, "display name {bad:?}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM comments")
        .fetch_one(app.state.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
    // Line breaks stay welcome in comments.
    let r = app
        .send(
            Method::POST,
            &format!("/video/{hash}/comments"),
            Some(&ana.token),
            None,
            Some(json!({"text": "first line\nsecond line"})),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn control_and_direction_characters_are_refused_in_every_text_field() {
    hostile_text_is_refused_everywhere(&spawn_app().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn control_and_direction_characters_are_refused_in_every_text_field_on_postgres() {
    hostile_text_is_refused_everywhere(&spawn_app_on_postgres(|_| {}).await).await;
}
