//! The three Creator API routes the original service had beyond the seed, which its mobile app
//! and docs call: `GET /health`, `GET /get-creator-by-name` and `GET /list-creators`.

use domain::ids::AccountId;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_on_postgres};
use crate::video_api_support::{get, insert_video, json, put_json};

/// A creator that cannot log in, named `name` (display names need not be unique).
async fn insert_creator(app: &TestApp, name: &str) -> AccountId {
    let public_id = server::upload::publishing::new_user_id();
    store::accounts::insert_account(
        app.state.pool(),
        store::accounts::NewAccount {
            public_id: &public_id,
            username: None,
            password_hash: None,
            display_name: name,
            role: domain::account::Role::User,
            created_at: app.clock_now(),
        },
    )
    .await
    .expect("inserting a creator")
}

async fn assert_error(response: reqwest::Response, status: u16, message: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(json(response).await, json!({ "error": message }));
}

async fn creator_data(app: &TestApp, id: i64) -> Value {
    let response = get(app, &format!("/get-creator-data?creator_id={id}"), None).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

#[tokio::test]
async fn the_health_route_answers_ok() {
    let app = spawn_app().await;
    let response = get(&app, "/health", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await, json!({"ok": true}));
}

async fn a_creator_is_found_by_name_as_get_creator_data_gives_it(app: &TestApp) {
    // John Doe (creator 1) has a follower and a like, so every number is checked.
    let john = store::accounts::find_account(app.state.pool(), AccountId::new(1))
        .await
        .unwrap();
    let fan = app.create_user("fan").await;
    let video = insert_video(app, &john, Some(app.clock_now()), false).await;
    let follow = format!("/users/{}/follow", john.public_id);
    let like = format!("/video/{}/like", video.hash_id);
    for path in [follow, like] {
        let response = put_json(app, &path, Some(&fan.token), &json!({})).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
    // A later creator with the same name does not take it over: the lowest creator_id wins.
    let namesake = insert_creator(app, "John Doe").await;
    assert!(namesake.get() > 1);

    let expected = creator_data(app, 1).await;
    assert_eq!(
        expected,
        json!({"creator_id": 1, "followers": 1, "following": 0, "likes": 1, "name": "John Doe"})
    );
    for query in ["name=John%20Doe", "name=John+Doe", "name=%20John%20Doe%20"] {
        let response = get(app, &format!("/get-creator-by-name?{query}"), None).await;
        assert_eq!(response.status(), 200, "{query}");
        assert_eq!(json(response).await, expected, "{query}");
    }
    let fans = get(app, "/get-creator-by-name?name=fan", None).await;
    assert_eq!(
        json(fans).await,
        creator_data(app, fan.account.id.get()).await
    );

    for query in ["", "?name=", "?name=%20%20", "?other=John"] {
        let response = get(app, &format!("/get-creator-by-name{query}"), None).await;
        assert_error(response, 400, "name is required").await;
    }
    let too_long = format!("?name={}", "x".repeat(300));
    for query in ["?name=john%20doe", "?name=Nobody", too_long.as_str()] {
        let response = get(app, &format!("/get-creator-by-name{query}"), None).await;
        assert_error(response, 404, "not found").await;
    }
}

#[tokio::test]
async fn a_creator_is_found_by_name_and_the_lowest_creator_id_wins() {
    let app = spawn_app().await;
    a_creator_is_found_by_name_as_get_creator_data_gives_it(&app).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn a_creator_is_found_by_name_on_postgresql() {
    let app = spawn_app_on_postgres(|_| {}).await;
    a_creator_is_found_by_name_as_get_creator_data_gives_it(&app).await;
}

async fn list(app: &TestApp, query: &str) -> Vec<Value> {
    let response = get(app, &format!("/list-creators{query}"), None).await;
    assert_eq!(response.status(), 200, "{query}");
    json(response).await.as_array().unwrap().clone()
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter()
        .map(|row| row["creator_id"].as_i64().unwrap())
        .collect()
}

async fn creators_are_listed_in_id_order_a_bounded_page_at_a_time(app: &TestApp) {
    let alice = app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let follow = format!("/users/{}/follow", bob.account.public_id);
    let followed = put_json(app, &follow, Some(&alice.token), &json!({})).await;
    assert!(followed.status().is_success());
    for n in 0..120 {
        insert_creator(app, &format!("creator {n}")).await;
    }

    // Each row as /get-creator-data gives it; by default the first 100.
    let first = list(app, "").await;
    assert_eq!(ids(&first), (1..=100).collect::<Vec<_>>());
    for row in &first[..3] {
        let id = row["creator_id"].as_i64().unwrap();
        assert_eq!(*row, creator_data(app, id).await);
    }
    assert_eq!(first[2]["followers"], 1);
    assert_eq!(first[1]["following"], 1);

    // Paging with `after`: every creator once, in order; past the end, nothing.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = list(app, &format!("?limit=50&after={after}")).await;
        seen.extend(ids(&page));
        if page.len() < 50 {
            break;
        }
        after = *seen.last().unwrap();
    }
    assert_eq!(seen, (1..=123).collect::<Vec<_>>());
    assert_eq!(ids(&list(app, "?limit=1000").await).len(), 123);
    assert_eq!(ids(&list(app, "?limit=2&after=7").await), [8, 9]);
    assert!(list(app, "?after=123").await.is_empty());

    for (query, message) in [
        ("?limit=0", "limit must be an integer from 1 to 1000"),
        ("?limit=1001", "limit must be an integer from 1 to 1000"),
        ("?limit=ten", "limit must be an integer from 1 to 1000"),
        ("?limit=", "limit must be an integer from 1 to 1000"),
        (
            "?after=-1",
            "after must be a creator_id (a non-negative integer)",
        ),
        (
            "?after=x",
            "after must be a creator_id (a non-negative integer)",
        ),
    ] {
        let response = get(app, &format!("/list-creators{query}"), None).await;
        assert_error(response, 400, message).await;
    }
}

#[tokio::test]
async fn creators_are_listed_in_creator_id_order_a_bounded_page_at_a_time() {
    let app = spawn_app().await;
    creators_are_listed_in_id_order_a_bounded_page_at_a_time(&app).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn creators_are_listed_a_page_at_a_time_on_postgresql() {
    let app = spawn_app_on_postgres(|_| {}).await;
    creators_are_listed_in_id_order_a_bounded_page_at_a_time(&app).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_three_compatibility_routes() {
    let app = spawn_app().await;
    let doc = json(get(&app, "/openapi.json", None).await).await;
    for path in ["/health", "/get-creator-by-name", "/list-creators"] {
        let operation = &doc["paths"][path]["get"];
        assert!(operation.is_object(), "{path} is missing");
        assert_eq!(operation["tags"], json!(["creator"]), "{path}");
    }
    let params = doc["paths"]["/list-creators"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["limit", "after"]);
}
