//! Cross-origin calls as a browser app on another origin makes them: an `Origin` header on
//! every request, an `OPTIONS` preflight before any request that is not "simple" (a token, a
//! JSON body, a `Range`, an `X-Viewer-Id`), and the response readable only when it carries
//! `Access-Control-Allow-Origin`, errors included.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::json;
use server::settings::AllowedOrigins;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_with};
use crate::video_api_support::*;

const ORIGIN: &str = "https://app.example.org";

/// What the app on `origin` sends before a request with `method` and `headers`.
async fn preflight(
    app: &TestApp,
    origin: &str,
    path: &str,
    method: &str,
    headers: &str,
) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .expect("preflight")
}

/// A header's comma-separated values, lower-cased.
fn listed(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| value.to_str().unwrap().split(','))
        .map(|item| item.trim().to_ascii_lowercase())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The response is readable by the app on `ORIGIN`, with the headers players and uploaders
/// read exposed.
fn assert_readable(headers: &HeaderMap, what: &str) {
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("*"),
        "{what}"
    );
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "{what}"
    );
    let exposed = listed(headers, "access-control-expose-headers");
    for header in [
        "content-range",
        "accept-ranges",
        "content-length",
        "etag",
        "location",
        "retry-after",
        "www-authenticate",
    ] {
        assert!(
            exposed.contains(&header.to_owned()),
            "{what}: {header} in {exposed:?}"
        );
    }
}

#[tokio::test]
async fn preflights_are_answered_for_every_method_and_header_the_apis_use() {
    let app = spawn_app().await;
    let hash = "aaaaaaaaaaaaaaaa";
    let (my, my_slashed) = (format!("/video/my/{hash}"), format!("/video/my/{hash}/"));
    let original = format!("/media/{hash}/original?exp=1&sig=x");
    let views = format!("/video/{hash}/views");
    let cases = [
        ("/video/explore?include_my=true", "GET", "authorization"),
        ("/video/watch?user_id=x&hash_id=y", "GET", "authorization"),
        (
            "/video/upload?file_content_type=video/mp4&file_name=a.mp4",
            "GET",
            "authorization",
        ),
        (my.as_str(), "PUT", "authorization, content-type"),
        (my_slashed.as_str(), "DELETE", "authorization"),
        ("/media/uploads", "POST", "content-type"),
        (original.as_str(), "GET", "range, if-none-match, if-range"),
        (views.as_str(), "POST", "content-type, x-viewer-id"),
        ("/auth/login", "POST", "content-type"),
        ("/upload-video", "POST", "authorization"),
        ("/get-video?video_id=1", "GET", "range, if-none-match"),
        (
            "/get-creator-by-name?name=John%20Doe",
            "GET",
            "authorization",
        ),
        ("/list-creators", "HEAD", "x-requested-with, accept"),
    ];
    for (path, method, headers) in cases {
        let response = preflight(&app, ORIGIN, path, method, headers).await;
        let what = format!("{method} {path}");
        assert!(
            response.status().is_success(),
            "{what}: {}",
            response.status()
        );
        let answer = response.headers();
        assert_eq!(answer["access-control-allow-origin"], "*", "{what}");
        let methods = listed(answer, "access-control-allow-methods");
        assert!(
            methods.contains(&method.to_ascii_lowercase()),
            "{what}: {methods:?}"
        );
        let allowed = listed(answer, "access-control-allow-headers");
        for header in headers.split(',').map(str::trim) {
            assert!(
                allowed.contains(&header.to_owned()),
                "{what}: {header} in {allowed:?}"
            );
        }
        assert!(answer.contains_key("access-control-max-age"), "{what}");
        assert!(
            answer.get("access-control-allow-credentials").is_none(),
            "{what}"
        );
    }
}

#[tokio::test]
async fn answers_and_errors_alike_are_readable_by_an_app_on_another_origin() {
    let app = spawn_app_with(|settings| {
        settings.processing_workers = 0;
        settings.max_upload_bytes = 1000;
    })
    .await;
    let user = app.create_user("ada").await;
    let video = insert_video(&app, &user.account, Some(app.clock_now()), false).await;
    let request = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("Origin", ORIGIN)
    };

    let mut responses = vec![
        (
            "explore",
            request(Method::GET, "/video/explore?include_my=true"),
        ),
        ("401", request(Method::GET, "/video/my")),
        ("404 fallback", request(Method::GET, "/no/such/path")),
        ("405", request(Method::POST, "/video/explore")),
        (
            "400 video api",
            request(Method::GET, "/video/explore?next=garbage"),
        ),
        (
            "422 extractor",
            request(Method::GET, "/video/watch").bearer_auth(&user.token),
        ),
        (
            "422 body",
            request(Method::PUT, &format!("/video/my/{}", video.hash_id))
                .bearer_auth(&user.token)
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "400 creator api",
            request(Method::GET, "/get-video?video_id=x"),
        ),
        (
            "404 creator api",
            request(Method::GET, "/get-video-data?video_id=99"),
        ),
        (
            "axum's own multipart rejection",
            request(Method::POST, "/upload-video").body("not a form"),
        ),
        ("creator health", request(Method::GET, "/health")),
        ("openapi", request(Method::GET, "/openapi.json")),
    ];
    // Over the upload limit: 413 while streaming the signed form.
    let form = instructions(&app, &user.token, "video/mp4", "big.mp4").await;
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in form["signatures"].as_object().unwrap() {
        multipart = multipart.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let big = reqwest::multipart::Part::bytes(vec![0u8; 5000]).file_name("big.mp4");
    responses.push((
        "413",
        request(Method::POST, "/media/uploads").multipart(multipart.part("file", big)),
    ));

    let mut statuses = Vec::new();
    for (what, request) in responses {
        let response = request.send().await.expect(what);
        assert_readable(response.headers(), what);
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [
            200, 401, 404, 405, 400, 422, 422, 400, 404, 400, 200, 200, 413
        ]
    );
}

#[tokio::test]
async fn a_signed_upload_posted_from_another_origin_reports_its_success() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("bea").await;
    let form = instructions(&app, &user.token, "video/mp4", "clip-a.mp4").await;
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in form["signatures"].as_object().unwrap() {
        multipart = multipart.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let file = reqwest::multipart::Part::bytes(fixture(CLIP)).file_name(CLIP);
    let response = app
        .client
        .post(form["url"].as_str().unwrap())
        .header("Origin", ORIGIN)
        .multipart(multipart.part("file", file))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_readable(response.headers(), "the upload form");
}

#[tokio::test]
async fn a_player_on_another_origin_reads_ranges_of_a_watch_link() {
    let app = spawn_app().await;
    let user = app.create_user("cy").await;
    let video = insert_video(&app, &user.account, Some(app.clock_now()), false).await;
    let watch = format!(
        "/video/watch?user_id={}&hash_id={}",
        user.account.public_id, video.hash_id
    );
    let link = json(get(&app, &watch, None).await).await["watchable_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let part = app
        .client
        .get(&link)
        .header("Origin", ORIGIN)
        .header("Range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    if crate::helpers::came_from_bucket(&part) {
        // On S3 the bytes come from the bucket, whose CORS rules the operator sets (README).
        return;
    }
    assert_readable(part.headers(), "a range of the video");
    assert_eq!(part.headers()["content-range"], "bytes 2-5/14");
    let etag = part.headers()["etag"].clone();
    let cached = app
        .client
        .get(&link)
        .header("Origin", ORIGIN)
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert_readable(cached.headers(), "a cached video");
}

#[tokio::test]
async fn a_list_of_origins_reflects_the_one_that_calls_and_leaves_others_out() {
    let allowed = AllowedOrigins::parse([ORIGIN, "http://localhost:5173"]).unwrap();
    let app = spawn_app_with(|settings| settings.cors_allowed_origins = allowed).await;
    for origin in [ORIGIN, "http://localhost:5173"] {
        let response = app
            .client
            .get(app.url("/video/explore"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
        assert!(listed(response.headers(), "vary").contains(&"origin".to_owned()));
        let answer = preflight(&app, origin, "/video/my", "GET", "authorization").await;
        assert_eq!(answer.headers()["access-control-allow-origin"], origin);
    }
    // Another origin gets its answer, but no permission for its browser to read it.
    for origin in [
        "https://evil.example",
        "https://app.example.org.evil.example",
    ] {
        let response = app
            .client
            .get(app.url("/video/explore"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        let answer = preflight(&app, origin, "/video/my", "GET", "authorization").await;
        assert!(
            answer
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
    // Calls without an Origin (the mobile app, curl) are unaffected.
    let plain = get(&app, "/health", None).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(json(plain).await, json!({"ok": true}));
}
