//! Accounts over HTTP: register, log in, log out, token expiry, the bounds on every input, and
//! one account being both the Video API's user and the Creator API's creator.

use serde_json::{Value, json};

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

async fn register(
    app: &TestApp,
    username: &str,
    password: &str,
    display_name: &str,
) -> reqwest::Response {
    let body = json!({"username": username, "password": password, "display_name": display_name});
    post_json(app, "/auth/register", &body).await
}

#[tokio::test]
async fn a_registered_user_can_log_in_use_the_token_and_log_out() {
    let app = spawn_app().await;
    let response = register(&app, "Zoe", "correct horse", "Zoë Example").await;
    assert_eq!(response.status(), 201);
    let session = json(response).await;
    let mut keys: Vec<&str> = session
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "creator_id",
            "display_name",
            "expires_at",
            "token",
            "token_type",
            "user_id",
            "username"
        ]
    );
    assert_eq!(session["username"], "zoe");
    assert_eq!(session["token_type"], "bearer");
    assert!(
        session["token"].as_str().unwrap().len() >= 22,
        "at least 128 bits"
    );
    let registered_token = session["token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/video/my/", Some(registered_token))
            .await
            .status(),
        200
    );

    // The same account is a creator, named by its display name.
    let creator_id = session["creator_id"].as_i64().unwrap();
    let creator = json(
        get(
            &app,
            &format!("/get-creator-data?creator_id={creator_id}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(creator["name"], "Zoë Example");

    let login = post_json(
        &app,
        "/auth/login",
        &json!({"username": "zoe", "password": "correct horse"}),
    )
    .await;
    assert_eq!(login.status(), 200);
    let login = json(login).await;
    assert_eq!(login["user_id"], session["user_id"]);
    let token = login["token"].as_str().unwrap();
    assert_ne!(token, registered_token);

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_detail(
        get(&app, "/video/my/", Some(token)).await,
        401,
        "Invalid authentication credentials",
    )
    .await;
    // Only that token was revoked.
    assert_eq!(
        get(&app, "/video/my/", Some(registered_token))
            .await
            .status(),
        200
    );
    let again = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    let anonymous = app
        .client
        .post(app.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_detail(anonymous, 401, "Not authenticated").await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_401() {
    let app = spawn_app().await;
    assert_eq!(
        register(&app, "yann", "correct horse", "Yann")
            .await
            .status(),
        201
    );
    for (username, password) in [
        ("yann", "wrong horse"),
        ("nobody", "correct horse"),
        ("x", "short"),
    ] {
        let body = json!({"username": username, "password": password});
        let response = post_json(&app, "/auth/login", &body).await;
        assert_detail(response, 401, "Incorrect username or password").await;
    }
    let missing = post_json(&app, "/auth/login", &json!({"username": "yann"})).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(
        json(missing).await,
        json!({"detail": [{"loc": ["body", "password"], "msg": "Field required", "type": "missing"}]})
    );
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(
        register(&app, "xena", "correct horse", "Xena")
            .await
            .status(),
        201
    );
    let again = register(&app, "XENA", "another horse", "Other").await;
    assert_detail(again, 409, "username already taken").await;
}

#[tokio::test]
async fn registration_inputs_are_bounded() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": "ab", "password": "correct horse", "display_name": "A"}),
            "username",
        ),
        (
            json!({"username": "a b c", "password": "correct horse", "display_name": "A"}),
            "username",
        ),
        (
            json!({"username": "x".repeat(33), "password": "correct horse", "display_name": "A"}),
            "username",
        ),
        (
            json!({"username": "walt", "password": "short", "display_name": "A"}),
            "password",
        ),
        (
            json!({"username": "walt", "password": "x".repeat(129), "display_name": "A"}),
            "password",
        ),
        (
            json!({"username": "walt", "password": "correct horse", "display_name": "  "}),
            "display_name",
        ),
        (
            json!({"username": "walt", "password": "correct horse", "display_name": "x".repeat(101)}),
            "display_name",
        ),
        (
            json!({"username": "walt", "password": "correct horse"}),
            "display_name",
        ),
        (
            json!({"username": "walt", "password": 12345678, "display_name": "W"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let response = post_json(&app, "/auth/register", &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let detail = json(response).await;
        assert_eq!(detail["detail"][0]["loc"], json!(["body", field]), "{body}");
    }
    let not_json = app
        .client
        .post(app.url("/auth/register"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 422);
    assert_eq!(
        store::accounts::count_accounts(app.state.pool())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_token_past_its_expiry_is_refused() {
    let app = spawn_app().await;
    let session = json(register(&app, "vera", "correct horse", "Vera").await).await;
    let token = session["token"].as_str().unwrap();
    app.clock.advance(app.state.settings.token_ttl);
    assert_detail(
        get(&app, "/video/my/", Some(token)).await,
        401,
        "Invalid authentication credentials",
    )
    .await;
}

#[tokio::test]
async fn creator_uploads_with_a_token_must_be_for_the_callers_own_creator_id() {
    let app = spawn_app_with(|settings| settings.allow_anonymous_creator_uploads = false).await;
    let session = json(register(&app, "uma", "correct horse", "Uma").await).await;
    let token = session["token"].as_str().unwrap();
    let creator_id = session["creator_id"].as_i64().unwrap().to_string();
    let form = |id: &str| {
        reqwest::multipart::Form::new()
            .text("creator_id", id.to_owned())
            .text("title", "mine")
            .part(
                "file",
                reqwest::multipart::Part::bytes(fixture(CLIP)).file_name("a.mp4"),
            )
    };
    let post = |form, token: Option<&str>| {
        let mut request = app.client.post(app.url("/upload-video")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(form("1"), Some(token)).await.unwrap().status(), 403);
    assert_eq!(post(form(&creator_id), None).await.unwrap().status(), 401);
    let created = post(form(&creator_id), Some(token)).await.unwrap();
    assert_eq!(created.status(), 201);
    // Uploaded through the Creator API, it shows in the Video API as the same user's, listed.
    let explore = json(get(&app, "/video/explore/", None).await).await;
    assert_eq!(explore["videos"][0]["user_id"], session["user_id"]);
    assert_eq!(explore["videos"][0]["title"], "mine");
}
