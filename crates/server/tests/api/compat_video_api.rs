//! The Video API as the original service's browser app calls it, beyond what the seed
//! describes: paths without their trailing slash (and with one where the seed has none), the
//! caller's own private videos in explore, `{"error": …}` bodies on 400s, and the original's
//! rule for upload file names.

use domain::ids::AccountId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_on_postgres, spawn_app_with};
use crate::video_api_support::*;

/// How the original listed its allowed characters (see `domain::text::UploadFileName`).
const ALLOWED: &str = "a-z A-Z 0-9 ! @ _ . ' ( ) -";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn send(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = no_redirects().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// The path with a trailing slash if it has none, and without if it has one (the query kept).
fn other_form(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, format!("?{query}")),
        None => (path_and_query, String::new()),
    };
    match path.strip_suffix('/') {
        Some(trimmed) => format!("{trimmed}{query}"),
        None => format!("{path}/{query}"),
    }
}

// ----- trailing slashes -----

#[tokio::test]
async fn the_web_apps_slashless_calls_are_answered_directly_like_the_slashed_ones() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let token = Some(alice.token.as_str());
    let video = insert_video(&app, &alice.account, Some(app.clock_now()), false).await;
    let user_id = alice.account.public_id.as_str();
    let watch = format!("/video/watch?user_id={user_id}&hash_id={}", video.hash_id);
    let user_feed = format!("/video/user/{user_id}/");
    // How the original web app calls them (no slash), and the seed's paths without one (with).
    for path in [
        "/video/explore?include_my=true",
        "/video/explore",
        watch.as_str(),
        "/video/my",
        "/video/upload/config/",
        user_feed.as_str(),
        "/health_check/",
    ] {
        let direct = send(&app, Method::GET, path, token).await;
        assert_eq!(
            direct.status(),
            StatusCode::OK,
            "{path}: served, not redirected"
        );
        let canonical = send(&app, Method::GET, &other_form(path), token).await;
        assert_eq!(canonical.status(), StatusCode::OK, "{path}");
        assert_eq!(json(direct).await, json(canonical).await, "{path}");
    }
    let explore =
        json(send(&app, Method::GET, "/video/explore?include_my=true", token).await).await;
    assert_eq!(explore["videos"][0]["hash_id"], video.hash_id.as_str());

    // Upload instructions (a fresh hash_id each time, so only the shape is compared).
    let upload = "/video/upload?file_content_type=video/mp4&file_name=a.mp4";
    let instructions = send(&app, Method::GET, upload, token).await;
    assert_eq!(instructions.status(), StatusCode::OK);
    assert_eq!(json(instructions).await["url"], app.url("/media/uploads"));

    // Updates and deletes of a video, with a slash after its id.
    let draft = insert_video(&app, &alice.account, None, false).await;
    let path = format!("/video/my/{}/", draft.hash_id);
    let body = json!({"title": "Listed", "description": "through the slashed path"});
    assert_eq!(put_json(&app, &path, token, &body).await.status(), 204);
    assert_eq!(delete(&app, &path, token).await.status(), 204);
    let my = my_videos(&app, &alice.token).await;
    assert_eq!(hash_ids(my["videos"].as_array().unwrap()), [video.hash_id]);
}

#[tokio::test]
async fn both_forms_of_a_path_refuse_a_wrong_method_and_unknown_paths_alike() {
    let app = spawn_app().await;
    for path in ["/video/explore", "/video/explore/"] {
        let response = send(&app, Method::POST, path, None).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(response.headers()["allow"], "GET,HEAD", "{path}");
        assert_eq!(
            json(response).await,
            json!({"detail": "Method Not Allowed"})
        );
    }
    for path in ["/video/my/aaaaaaaaaaaaaaaa", "/video/my/aaaaaaaaaaaaaaaa/"] {
        let response = send(&app, Method::PATCH, path, None).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("PUT") && allow.contains("DELETE"), "{allow}");
    }
    for path in [
        "/video/nothing",
        "/video/nothing/",
        "/nothing/",
        "/get-video/",
    ] {
        assert_detail(send(&app, Method::GET, path, None).await, 404, "Not Found").await;
    }
    // The Creator API and the documentation keep their exact paths.
    let creator = send(&app, Method::GET, "/get-creator-data?creator_id=1", None).await;
    assert_eq!(creator.status(), StatusCode::OK);
    let wrong = send(&app, Method::POST, "/get-creator-data", None).await;
    assert_detail(wrong, 405, "Method Not Allowed").await;
    assert_eq!(
        send(&app, Method::GET, "/docs/", None).await.status(),
        StatusCode::OK
    );
}

/// Every operation of the Video API surface (the seed's, accounts, engagement, media) in the
/// OpenAPI document, sent anonymously and without a body in both forms of its path: the same
/// status, never a 405, and never the unknown-path 404 for a path without parameters.
#[tokio::test]
async fn every_video_api_operation_answers_alike_with_and_without_a_trailing_slash() {
    let app = spawn_app().await;
    let doc = json(send(&app, Method::GET, "/openapi.json", None).await).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let tags = operation["tags"].as_array().unwrap();
            if path == "/" || tags.contains(&json!("creator")) {
                continue;
            }
            // Each path once: its other form is not documented beside it.
            assert!(!paths.contains_key(&other_form(path)), "{path} twice");
            let concrete = path
                .replace("{hash_id}", "aaaaaaaaaaaaaaaa")
                .replace("{user_id}", "bbbbbbbbbbbbbbbb")
                .replace("{period}", "2020-01");
            let method: Method = method.to_uppercase().parse().unwrap();
            let one = send(&app, method.clone(), &concrete, None).await.status();
            let other = send(&app, method.clone(), &other_form(&concrete), None).await;
            let other = other.status();
            assert_eq!(one, other, "{method} {path}");
            assert_ne!(one, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if !path.contains('{') {
                assert_ne!(one, StatusCode::NOT_FOUND, "{method} {path}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} operations were found");
    for seed_path in [
        "/video/explore/",
        "/video/upload/",
        "/video/my/",
        "/video/watch/",
    ] {
        assert!(paths.contains_key(seed_path), "{seed_path}");
    }
}

// ----- the caller's own private videos in explore -----

/// Reads explore from `path` (the web app's slashless form) to its end, page by page.
async fn read_explore(app: &TestApp, path: &str, token: Option<&str>) -> Vec<Value> {
    let mut videos = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(cursor) => format!("{path}&next={}", query_escape(cursor)),
            None => path.to_owned(),
        };
        let response = get(app, &url, token).await;
        assert_eq!(response.status(), 200, "{url}");
        let page = json(response).await;
        videos.extend(page["videos"].as_array().unwrap().iter().cloned());
        match &page["next"] {
            Value::String(cursor) => next = Some(cursor.clone()),
            _ => return videos,
        }
    }
}

fn hash_ids(videos: &[Value]) -> Vec<String> {
    videos
        .iter()
        .map(|v| v["hash_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn explore_shows_the_callers_own_private_videos_only_with_include_my(app: &TestApp) {
    let alice = app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let start = app.clock_now() - 1_000_000_000;
    // 70 listed videos over three pages: owners alternate, every third is private, and pairs
    // share a listing time (the id breaks the tie), so private ones sit at page boundaries.
    let mut listed: Vec<(String, AccountId, bool)> = Vec::new();
    for n in 0..70i64 {
        let owner = if n % 2 == 0 { &alice } else { &bob };
        let private = n % 3 == 0;
        let video = insert_video(app, &owner.account, Some(start + (n / 2) * 1000), private).await;
        listed.push((video.hash_id, owner.account.id, private));
    }
    // Drafts, private or not, are in no feed.
    insert_video(app, &alice.account, None, true).await;
    insert_video(app, &bob.account, None, false).await;
    let newest_first = |keep: &dyn Fn(AccountId, bool) -> bool| -> Vec<String> {
        listed
            .iter()
            .rev()
            .filter(|(_, owner, private)| keep(*owner, *private))
            .map(|(hash_id, ..)| hash_id.clone())
            .collect()
    };
    let (a, b) = (alice.account.id, bob.account.id);
    let alices = Some(alice.token.as_str());

    // With her token and include_my=true (or nothing: true is the default), alice sees every
    // public video and her own private ones; never bob's private ones.
    let mine = read_explore(app, "/video/explore?include_my=true", alices).await;
    assert_eq!(
        hash_ids(&mine),
        newest_first(&|owner, private| !private || owner == a)
    );
    let default = read_explore(app, "/video/explore?", alices).await;
    assert_eq!(hash_ids(&default), hash_ids(&mine));
    let private: Vec<&Value> = mine.iter().filter(|v| v["is_private"] == true).collect();
    assert_eq!(private.len(), 12);
    for video in private {
        assert_eq!(video["user_id"], alice.account.public_id.as_str());
        let thumbnail = video["thumbnail_url"].as_str().unwrap();
        assert!(thumbnail.contains("sig="), "a private thumbnail is signed");
        assert_eq!(get_url(app, thumbnail, None).await.status(), 200);
    }

    // include_my=false leaves out all of hers, public and private.
    let others = read_explore(app, "/video/explore?include_my=false", alices).await;
    assert_eq!(
        hash_ids(&others),
        newest_first(&|owner, private| !private && owner != a)
    );

    // Bob sees his own private ones, not hers; anonymous callers see public ones only,
    // whatever include_my says.
    let bobs = read_explore(app, "/video/explore?include_my=true", Some(&bob.token)).await;
    assert_eq!(
        hash_ids(&bobs),
        newest_first(&|owner, private| !private || owner == b)
    );
    for include_my in ["true", "false"] {
        let path = format!("/video/explore?include_my={include_my}");
        let anonymous = read_explore(app, &path, None).await;
        assert_eq!(hash_ids(&anonymous), newest_first(&|_, private| !private));
    }
}

#[tokio::test]
async fn explore_with_include_my_lists_the_callers_private_videos_and_nobody_elses() {
    let app = spawn_app().await;
    explore_shows_the_callers_own_private_videos_only_with_include_my(&app).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn explore_with_include_my_lists_the_callers_private_videos_on_postgresql() {
    let app = spawn_app_on_postgres(|_| {}).await;
    explore_shows_the_callers_own_private_videos_only_with_include_my(&app).await;
}

// ----- 400 bodies -----

#[tokio::test]
async fn every_400_of_the_video_api_carries_an_error_message_the_web_app_shows() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("ada").await;
    let token = Some(user.token.as_str());
    let text = get(
        &app,
        "/video/upload?file_content_type=text/plain&file_name=a.mp4",
        token,
    )
    .await;
    assert_error(
        text,
        400,
        "invalid file content type::text/plain, supported types: \
         ['video/mp4', 'video/webm', 'video/ogg', 'video/mpeg']",
    )
    .await;
    let name = get(
        &app,
        "/video/upload?file_content_type=video/mp4&file_name=s%5E.mp4",
        token,
    )
    .await;
    assert_error(
        name,
        400,
        &format!("invalid file name::s^.mp4, allowed characters: {ALLOWED}"),
    )
    .await;
    let cursor = get(&app, "/video/explore?next=garbage", None).await;
    assert_error(cursor, 400, "invalid next page").await;

    let draft = insert_video(&app, &user.account, None, false).await;
    let path = format!("/video/my/{}", draft.hash_id);
    let title_only = put_json(&app, &path, token, &json!({"title": "Hi"})).await;
    assert_error(
        title_only,
        400,
        "the first update must set title and description",
    )
    .await;
    let extra = json!({"title": "Hi", "description": "d", "hash_id": "x"});
    assert_error(
        put_json(&app, &path, token, &extra).await,
        400,
        "unsupported field",
    )
    .await;

    let form = instructions(&app, &user.token, "video/mp4", "clip.mp4").await;
    let without_file = reqwest::multipart::Form::new().text("key", "x");
    let response = app
        .client
        .post(form["url"].as_str().unwrap())
        .multipart(without_file)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "the form has no file field").await;

    // The other statuses keep FastAPI's shapes.
    let missing = get(&app, "/video/upload", token).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(json(missing).await["detail"][0]["type"], "missing");
    assert_detail(get(&app, "/video/my", None).await, 401, "Not authenticated").await;
    assert_detail(
        get(&app, "/video/user/nosuchuser000000", None).await,
        404,
        "Not Found",
    )
    .await;
}

// ----- upload file names -----

fn upload_path(name: &str) -> String {
    format!(
        "/video/upload?file_content_type=video%2Fmp4&file_name={}",
        query_escape(name)
    )
}

#[tokio::test]
async fn upload_instructions_refuse_every_file_name_the_original_refused() {
    // Dozens of names from one account: past the default upload-form rate limit.
    let app = spawn_app_with(|s| {
        s.rate_limits.upload_form.per_account = None;
        s.rate_limits.upload_form.per_ip = None;
    })
    .await;
    let user = app.create_user("erin").await;
    let longest_plus_one = "a".repeat(252) + ".mp4";
    assert_eq!(longest_plus_one.len(), 256);
    let refused = [
        "s^.mp4",
        "s*.mp4",
        "s/.mp4",
        "s .mp4",
        ".mp4",
        "",
        "s#.mp4",
        "s%.mp4",
        "s&.mp4",
        "s+.mp4",
        "s=.mp4",
        "s,.mp4",
        "s;.mp4",
        "s:.mp4",
        "s~.mp4",
        "s`.mp4",
        "s[.mp4",
        "s{.mp4",
        "s$.mp4",
        "s<.mp4",
        "s\".mp4",
        "s|.mp4",
        "s\\.mp4",
        "s?.mp4",
        "s].mp4",
        "s>.mp4",
        "s\t.mp4",
        "é.mp4",
        "clip.",
        "CON",
        longest_plus_one.as_str(),
    ];
    for name in refused {
        let response = get(&app, &upload_path(name), Some(&user.token)).await;
        assert_eq!(response.status(), 400, "{name:?}");
        assert_eq!(
            json(response).await,
            json!({"error": format!("invalid file name::{name}, allowed characters: {ALLOWED}")}),
            "{name:?}"
        );
    }
}

#[tokio::test]
async fn upload_instructions_accept_the_originals_file_names_and_keep_them_as_given() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let user = app.create_user("fay").await;
    let longest = "b".repeat(251) + ".mp4";
    assert_eq!(longest.len(), 255);
    for name in ["a.mp4", "My_Clip-(1)!@'.mp4", longest.as_str()] {
        let form = instructions(&app, &user.token, "video/mp4", name).await;
        let posted = post_form_with(&app, &form, &[], b"some bytes".to_vec()).await;
        assert_eq!(posted.status(), 204, "{name}");
        let hash_id = form["signatures"]["key"].as_str().unwrap();
        let my = my_videos(&app, &user.token).await;
        let upload = my["unprocessed_videos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["hash_id"] == hash_id)
            .expect("the upload is listed");
        assert_eq!(upload["file_name"], name);
    }
}
