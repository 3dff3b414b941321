//! The engagement endpoints in `/openapi.json`. The routes are read from the source of
//! `src/video_api/engagement/` (every `.route("…", method(…).method(…))` in its files), so a route
//! added there without an OpenAPI entry, or an entry left behind by a removed route, fails
//! here.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::helpers::spawn_app;
use crate::video_api_support::{get, json};

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// Every `(path, method)` routed by the files of `src/video_api/engagement/`.
fn routed_operations() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/video_api/engagement");
    let mut operations = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/video_api/engagement is readable") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            operations.extend(routes_in(&source));
        }
    }
    operations
}

/// The `(path, method)`s of the `.route(…)` calls in `source`.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(".route(") {
        rest = &rest[start + ".route(".len()..];
        let open = rest.find('"').expect("a route's path literal");
        let close = open + 1 + rest[open + 1..].find('"').expect("the literal's end");
        let path = &rest[open + 1..close];
        // The method router: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut end = close + 1;
        for (i, c) in rest[close + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = close + 1 + i;
                break;
            }
        }
        let methods = &rest[close + 1..end];
        let mut ident = String::new();
        for c in methods.chars() {
            if c.is_alphanumeric() || c == '_' {
                ident.push(c);
                continue;
            }
            if c == '(' && METHODS.contains(&ident.as_str()) {
                found.push((path.to_owned(), ident.clone()));
            }
            ident.clear();
        }
        rest = &rest[end..];
    }
    found
}

#[tokio::test]
async fn the_openapi_document_covers_every_engagement_route() {
    let routed = routed_operations();
    // The reader above is checked against the routes as they are, so it cannot pass by
    // finding nothing.
    for (path, method) in [
        ("/video/{hash_id}/views", "post"),
        ("/video/{hash_id}/like", "put"),
        ("/video/{hash_id}/like", "delete"),
        ("/video/{hash_id}/shares", "post"),
        ("/video/{hash_id}/comments", "get"),
        ("/video/{hash_id}/comments", "post"),
        ("/users/{user_id}/follow", "put"),
        ("/users/{user_id}/follow", "delete"),
        ("/video/{hash_id}/reports", "post"),
        ("/moderation/videos/{hash_id}", "get"),
        ("/moderation/videos/{hash_id}", "put"),
        ("/admin/periods/{period}/close", "post"),
        ("/creator/earnings", "get"),
        ("/video/{hash_id}/earnings/explain", "get"),
        ("/video/{hash_id}/earnings/daily", "get"),
    ] {
        assert!(
            routed.contains(&(path.to_owned(), method.to_owned())),
            "{method} {path} not found in src/video_api/engagement"
        );
    }

    let app = spawn_app().await;
    let response = get(&app, "/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let doc = json(response).await;
    let paths = doc["paths"].as_object().unwrap();

    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let tags = operation["tags"].as_array().cloned().unwrap_or_default();
            if tags.contains(&Value::from("engagement")) {
                documented.insert((path.clone(), method.clone()));
            }
        }
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routed but not documented: {undocumented:?}; documented but not routed: {unrouted:?}"
    );

    for (path, method) in &routed {
        let operation = &paths[path][method];
        let what = format!("{method} {path}");
        // Every path parameter is described.
        let params = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                "{what}: path parameter {name} is not described"
            );
        }
        // A success response with a schema.
        let responses = operation["responses"].as_object().unwrap();
        let success = ["200", "201"]
            .iter()
            .find_map(|code| responses.get(*code))
            .unwrap_or_else(|| panic!("{what}: no 200 or 201 response"));
        assert!(
            success["content"]["application/json"]["schema"].is_object(),
            "{what}: the success response has no schema"
        );
        // All of them accept a bearer token.
        let security = operation["security"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            security.iter().any(|s| s.get("bearer").is_some()),
            "{what}: no bearer security"
        );
    }

    let views = &paths["/video/{hash_id}/views"]["post"];
    assert!(
        views["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "X-Viewer-Id" && p["in"] == "header"),
        "the views endpoint documents X-Viewer-Id"
    );
    assert!(views["requestBody"]["content"]["application/json"]["schema"].is_object());
    let tags = doc["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["name"] == "engagement"));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ViewRecorded",
        "LikeState",
        "Comment",
        "CommentPage",
        "FollowState",
        "ModerationState",
        "CreatorEarnings",
        "EarningsExplanation",
        "VideoMetrics",
        "ZeroReason",
        "DailySeries",
    ] {
        assert!(schemas.contains_key(schema), "{schema} is missing");
    }
}
