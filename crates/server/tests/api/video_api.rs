//! The Video API end to end with a real H.264 file (a `testdata/` fixture): signed upload →
//! processing → draft → listing → explore → watch → stream → delete, and every refusal the
//! issue lists for these operations.

use serde_json::{Value, json};

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_with};
use crate::video_api_support::*;

/// An app whose jobs run only when the test says so ([`run_jobs`]).
async fn app_without_workers() -> TestApp {
    spawn_app_with(|settings| settings.processing_workers = 0).await
}

fn keys(video: &Value) -> Vec<String> {
    let mut keys: Vec<String> = video.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn an_upload_goes_from_processing_to_draft_to_listed_to_watched_to_deleted() {
    let app = app_without_workers().await;
    let alice = app.create_user("alice").await;
    let token = alice.token.as_str();
    let original = fixture(CLIP);

    let hash_id = upload(&app, token, CLIP, "video/mp4", original.clone()).await;

    // Processing: listed as unprocessed with a null reason; cannot be deleted yet.
    let my = my_videos(&app, token).await;
    assert_eq!(my["videos"], json!([]));
    let unprocessed = &my["unprocessed_videos"][0];
    assert_eq!(unprocessed["hash_id"], hash_id.as_str());
    assert_eq!(unprocessed["user_id"], alice.account.public_id.as_str());
    assert_eq!(unprocessed["file_name"], CLIP);
    assert_eq!(unprocessed["failure_reason"], Value::Null);
    assert!(unprocessed["upload_time"].as_str().unwrap().ends_with('Z'));
    let too_early = delete(&app, &format!("/video/my/{hash_id}"), Some(token)).await;
    assert_detail(too_early, 425, "video is still processing").await;

    run_jobs(&app).await;

    // A draft: titled after the file, unlisted, with the facts of the clip.
    let my = my_videos(&app, token).await;
    assert_eq!(my["unprocessed_videos"], json!([]));
    let draft = &my["videos"][0];
    let mut expected_keys: Vec<String> = VIDEO_FIELDS.iter().map(|k| k.to_string()).collect();
    expected_keys.sort();
    assert_eq!(keys(draft), expected_keys);
    assert_eq!(draft["title"], CLIP);
    assert_eq!(draft["listing_time"], Value::Null);
    assert_eq!(draft["size_in_bytes"], original.len());
    assert_eq!(draft["video_type"], "video/mp4");
    assert_eq!(draft["is_private"], false);
    assert!(draft["duration_seconds"].as_i64().unwrap() > 0);
    let thumbnail_url = draft["thumbnail_url"].as_str().unwrap();
    assert!(
        thumbnail_url.contains("sig="),
        "a draft's thumbnail is signed"
    );
    let thumbnail = get_url(&app, thumbnail_url, None).await;
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(
        crate::helpers::media_header(&thumbnail, "content-type"),
        "image/jpeg"
    );

    // Drafts are nowhere public, and cannot be watched even by their owner.
    let explore = json(get(&app, "/video/explore/", None).await).await;
    assert_eq!(explore["videos"], json!([]));
    let watch_path = format!(
        "/video/watch/?user_id={}&hash_id={hash_id}",
        alice.account.public_id
    );
    assert_eq!(get(&app, &watch_path, Some(token)).await.status(), 404);

    // The first update must carry title and description; other fields are refused.
    let path = format!("/video/my/{hash_id}");
    let only_title = put_json(&app, &path, Some(token), &json!({"title": "Hi"})).await;
    assert_error(
        only_title,
        400,
        "the first update must set title and description",
    )
    .await;
    let extra = json!({"title": "Hi", "description": "d", "listing_time": "2020-01-01T00:00:00Z"});
    assert_error(
        put_json(&app, &path, Some(token), &extra).await,
        400,
        "unsupported field",
    )
    .await;
    publish(&app, token, &hash_id, "  My first clip ").await;

    let listed = my_video(&app, token, &hash_id).await.unwrap();
    assert_eq!(listed["title"], "My first clip");
    assert_eq!(listed["description"], "a test video");
    assert!(listed["listing_time"].as_str().is_some());

    // Listed and public: in explore for everyone, with a plain thumbnail URL that works.
    let explore = json(get(&app, "/video/explore/", None).await).await;
    assert_eq!(explore["videos"].as_array().unwrap().len(), 1);
    assert_eq!(explore["next"], Value::Null);
    let public = &explore["videos"][0];
    assert_eq!(keys(public), expected_keys);
    assert_eq!(public["hash_id"], hash_id.as_str());
    let thumbnail_url = public["thumbnail_url"].as_str().unwrap();
    assert!(!thumbnail_url.contains("sig="));
    assert_eq!(get_url(&app, thumbnail_url, None).await.status(), 200);

    // Watch: a signed link that streams the whole file and ranges of it.
    let watch = json(get(&app, &watch_path, None).await).await;
    assert_eq!(watch["video"]["hash_id"], hash_id.as_str());
    let link = watch["watchable_url"].as_str().unwrap().to_owned();
    let whole = get_url(&app, &link, None).await;
    assert_eq!(whole.status(), 200);
    if !crate::helpers::came_from_bucket(&whole) {
        // S3 sends it too; s3s-fs, the CI server, does not.
        assert_eq!(whole.headers()["accept-ranges"], "bytes");
    }
    assert_eq!(whole.bytes().await.unwrap().as_ref(), original.as_slice());
    let part = get_url(&app, &link, Some("bytes=100-199")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{}", original.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &original[100..200]);

    // Later updates: title, description and privacy only.
    let private = json!({"is_private": true});
    assert_eq!(
        put_json(&app, &path, Some(token), &private).await.status(),
        204
    );
    assert_eq!(
        json(get(&app, "/video/explore/", None).await).await["videos"],
        json!([])
    );
    assert_detail(
        get(&app, &watch_path, None).await,
        403,
        "this video is private",
    )
    .await;
    assert_eq!(get(&app, &watch_path, Some(token)).await.status(), 200);
    let relist = json!({"listing_time": "2020-01-01T00:00:00Z"});
    assert_error(
        put_json(&app, &path, Some(token), &relist).await,
        400,
        "unsupported field",
    )
    .await;

    // Delete: the row and every byte go; the old link no longer streams.
    assert_eq!(delete(&app, &path, Some(token)).await.status(), 204);
    assert_eq!(
        my_videos(&app, token).await,
        json!({"unprocessed_videos": [], "videos": []})
    );
    assert!(
        app.stored_files().await.is_empty(),
        "{:?}",
        app.stored_files().await
    );
    assert_eq!(get(&app, &watch_path, Some(token)).await.status(), 404);
    assert_eq!(get_url(&app, &link, None).await.status(), 404);
    assert_eq!(delete(&app, &path, Some(token)).await.status(), 404);
}

#[tokio::test]
async fn the_health_check_answers_and_the_root_redirects_to_it() {
    let app = spawn_app().await;
    let health = get(&app, "/health_check", None).await;
    assert_eq!(health.status(), 200);
    assert_eq!(json(health).await, json!({}));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 307);
    assert_eq!(root.headers()["location"], "/health_check");
}

#[tokio::test]
async fn the_upload_config_lists_the_limits_to_a_signed_in_user() {
    let app = spawn_app().await;
    let user = app.create_user("carol").await;
    assert_detail(
        get(&app, "/video/upload/config", None).await,
        401,
        "Not authenticated",
    )
    .await;
    let config = json(get(&app, "/video/upload/config", Some(&user.token)).await).await;
    assert_eq!(
        config,
        json!({
            "max_size_in_bytes": 1_000_000_000u64,
            "valid_file_types": ["video/mp4", "video/webm", "video/ogg", "video/mpeg"],
        })
    );
}

#[tokio::test]
async fn calls_that_need_a_token_refuse_a_missing_invalid_or_revoked_one() {
    let app = spawn_app().await;
    let user = app.create_user("dave").await;
    let hash = "aaaaaaaaaaaaaaaa";
    for token in [None, Some("not-a-token")] {
        let expected = if token.is_some() {
            "Invalid authentication credentials"
        } else {
            "Not authenticated"
        };
        let upload = "/video/upload/?file_content_type=video/mp4&file_name=a.mp4";
        assert_detail(get(&app, upload, token).await, 401, expected).await;
        assert_detail(get(&app, "/video/my/", token).await, 401, expected).await;
        let path = format!("/video/my/{hash}");
        assert_detail(
            put_json(&app, &path, token, &json!({})).await,
            401,
            expected,
        )
        .await;
        assert_detail(delete(&app, &path, token).await, 401, expected).await;
    }
    // Anonymous reads still refuse a token that was sent but is not valid.
    let explore = get(&app, "/video/explore/", Some("not-a-token")).await;
    assert_eq!(explore.status(), 401);
    assert_eq!(explore.headers()["www-authenticate"], "Bearer");

    let revoke = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_detail(
        get(&app, "/video/my/", Some(&user.token)).await,
        401,
        "Invalid authentication credentials",
    )
    .await;
}

#[tokio::test]
async fn upload_instructions_refuse_bad_content_types_and_unsafe_file_names() {
    let app = spawn_app().await;
    let user = app.create_user("erin").await;
    let token = Some(user.token.as_str());
    let path = |content_type: &str, name: &str| {
        format!(
            "/video/upload/?file_content_type={}&file_name={}",
            query_escape(content_type),
            query_escape(name)
        )
    };
    let text = get(&app, &path("text/plain", "a.mp4"), token).await;
    assert_error(
        text,
        400,
        "invalid file content type::text/plain, supported types: \
         ['video/mp4', 'video/webm', 'video/ogg', 'video/mpeg']",
    )
    .await;
    for name in [
        "../evil.mp4",
        "a/b.mp4",
        "a\\b.mp4",
        "a\nb.mp4",
        "a\u{7}.mp4",
        "..",
        &"x".repeat(256),
    ] {
        let response = get(&app, &path("video/mp4", name), token).await;
        assert_eq!(response.status(), 400, "{name:?}");
        assert!(json(response).await["error"].is_string());
    }
    let missing = get(&app, "/video/upload/", token).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(
        json(missing).await,
        json!({"detail": [
            {"loc": ["query", "file_content_type"], "msg": "Field required", "type": "missing"},
            {"loc": ["query", "file_name"], "msg": "Field required", "type": "missing"},
        ]})
    );
    // A good request: a form for reelshare's own upload endpoint, carrying a 60 s policy.
    let ok = instructions(&app, &user.token, "video/webm", "holiday_clip.webm").await;
    assert_eq!(ok["url"], app.url("/media/uploads"));
    let signatures = ok["signatures"].as_object().unwrap();
    let mut names: Vec<&str> = signatures.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["Content-Type", "key", "policy", "signature"]);
    assert_eq!(signatures["Content-Type"], "video/webm");
}

#[tokio::test]
async fn a_form_post_is_verified_before_any_byte_is_kept() {
    let app = app_without_workers().await;
    let user = app.create_user("frank").await;
    let form = instructions(&app, &user.token, "video/mp4", "clip.mp4").await;
    let bytes = || fixture("h264-main.mp4");
    let signature = form["signatures"]["signature"].as_str().unwrap().to_owned();
    let mut tampered = signature.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    // (fields replaced or left out, expected status)
    type Case<'a> = (Vec<(&'a str, Option<&'a str>)>, u16);
    let cases: Vec<Case> = vec![
        (vec![("signature", Some(tampered.as_str()))], 403),
        (vec![("key", Some("bbbbbbbbbbbbbbbb"))], 403),
        (vec![("Content-Type", Some("video/ogg"))], 403),
        (vec![("policy", Some("e30"))], 403),
        (vec![("signature", None)], 400),
        (vec![("policy", None)], 400),
        (vec![("x-extra", Some("1"))], 400),
    ];
    for (overrides, status) in cases {
        let response = post_form_with(&app, &form, &overrides, bytes()).await;
        assert_eq!(response.status(), status, "{overrides:?}");
        let shape = if status == 400 { "error" } else { "detail" };
        assert!(json(response).await[shape].is_string());
    }
    // A body that is not a form, and a form without a file.
    let not_form = app
        .client
        .post(app.url("/media/uploads"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(not_form.status(), 400);
    let no_file = reqwest::multipart::Form::new().text("key", "x");
    let response = app
        .client
        .post(app.url("/media/uploads"))
        .multipart(no_file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(app.video_count().await, 0);
    assert!(
        app.stored_files().await.is_empty(),
        "{:?}",
        app.stored_files().await
    );

    // The real form works once; a replay is refused without touching the stored upload.
    assert_eq!(
        post_form_with(&app, &form, &[], bytes()).await.status(),
        204
    );
    let replay = post_form_with(&app, &form, &[], b"other bytes".to_vec()).await;
    assert_detail(replay, 409, "this upload form was already used").await;
    assert_eq!(app.video_count().await, 1);
    run_jobs(&app).await;
    let hash_id = form["signatures"]["key"].as_str().unwrap();
    let video = my_video(&app, &user.token, hash_id).await.unwrap();
    assert_eq!(video["size_in_bytes"], fixture("h264-main.mp4").len());

    // An expired form is refused.
    let late = instructions(&app, &user.token, "video/mp4", "late.mp4").await;
    app.clock.advance(std::time::Duration::from_secs(61));
    let response = post_form_with(&app, &late, &[], bytes()).await;
    assert_detail(response, 403, "the upload policy has expired").await;
    assert_eq!(app.video_count().await, 1);
}

#[tokio::test]
async fn an_upload_over_the_size_limit_is_refused_and_recorded_as_failed() {
    let original = fixture(CLIP);
    // Declared too large (refused before reading the file), and just over (while streaming).
    for limit in [original.len() as u64 / 4, original.len() as u64 - 10] {
        let app = spawn_app_with(|settings| {
            settings.processing_workers = 0;
            settings.max_upload_bytes = limit;
        })
        .await;
        let user = app.create_user("gina").await;
        let form = instructions(&app, &user.token, "video/mp4", "big.mp4").await;
        let response = post_form_with(&app, &form, &[], original.clone()).await;
        assert_detail(response, 413, "Maximum file size exceeded").await;
        let hash_id = form["signatures"]["key"].as_str().unwrap();
        assert_eq!(
            my_video(&app, &user.token, hash_id).await,
            Err(json!("Maximum file size exceeded")),
            "limit {limit}"
        );
        assert!(
            app.stored_files().await.is_empty(),
            "{:?}",
            app.stored_files().await
        );
        // A failed upload is simply removed.
        let path = format!("/video/my/{hash_id}");
        assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
        assert_eq!(app.video_count().await, 0);
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_video_fails_as_corrupted_and_keeps_no_bytes() {
    let app = app_without_workers().await;
    let user = app.create_user("hank").await;
    let text = b"just some text, not a video at all".repeat(100);
    let hash_id = upload(&app, &user.token, "notes.mp4", "video/mp4", text).await;
    run_jobs(&app).await;
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await,
        Err(json!("Corrupted/Invalid file"))
    );
    assert!(
        app.stored_files().await.is_empty(),
        "{:?}",
        app.stored_files().await
    );
    let path = format!("/video/my/{hash_id}");
    let body = json!({"title": "t", "description": "d"});
    let put = put_json(&app, &path, Some(&user.token), &body);
    assert_error(put.await, 400, "video failed processing").await;
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
}

#[tokio::test]
async fn a_webm_without_ffmpeg_fails_as_an_unsupported_video_type() {
    let app = app_without_workers().await;
    let user = app.create_user("iris").await;
    let hash_id = upload(&app, &user.token, "a.webm", "video/webm", webm_header()).await;
    run_jobs(&app).await;
    assert_eq!(
        my_video(&app, &user.token, &hash_id).await,
        Err(json!("Unsupported video type"))
    );
    assert!(app.stored_files().await.is_empty());
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_webm_upload_is_processed_through_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let webm = dir.path().join("clip.webm");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=25",
        ])
        .args(["-c:v", "libvpx-vp9", "-b:v", "200k"])
        .arg(&webm)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    let app = spawn_app_with(|settings| {
        settings.processing_workers = 0;
        settings.media.ffmpeg = media::FfmpegMode::Auto;
    })
    .await;
    let user = app.create_user("jack").await;
    let bytes = std::fs::read(&webm).unwrap();
    let hash_id = upload(&app, &user.token, "clip.webm", "video/webm", bytes).await;
    run_jobs(&app).await;
    let video = my_video(&app, &user.token, &hash_id)
        .await
        .expect("processed");
    assert_eq!(video["video_type"], "video/webm");
    assert_eq!(video["duration_seconds"], 2);
    assert_eq!(
        get_url(&app, video["thumbnail_url"].as_str().unwrap(), None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn updates_and_deletes_of_other_users_or_unknown_videos_are_not_found() {
    let app = spawn_app().await;
    let owner = app.create_user("kate").await;
    let other = app.create_user("liam").await;
    let video = insert_video(&app, &owner.account, None, false).await;
    let path = format!("/video/my/{}", video.hash_id);
    let body = json!({"title": "mine now", "description": "d"});
    for path in [
        path.as_str(),
        "/video/my/unknownunknown123",
        "/video/my/short",
    ] {
        assert_detail(
            put_json(&app, path, Some(&other.token), &body).await,
            404,
            "Not Found",
        )
        .await;
        assert_detail(
            delete(&app, path, Some(&other.token)).await,
            404,
            "Not Found",
        )
        .await;
    }
    assert!(my_video(&app, &owner.token, &video.hash_id).await.is_ok());
}

#[tokio::test]
async fn malformed_update_bodies_are_validation_errors() {
    let app = spawn_app().await;
    let owner = app.create_user("mona").await;
    let video = insert_video(&app, &owner.account, None, false).await;
    let path = format!("/video/my/{}", video.hash_id);
    let token = Some(owner.token.as_str());

    let wrong_types = put_json(
        &app,
        &path,
        token,
        &json!({"title": 5, "is_private": "yes"}),
    )
    .await;
    assert_eq!(wrong_types.status(), 422);
    assert_eq!(
        json(wrong_types).await,
        json!({"detail": [
            {"loc": ["body", "title"], "msg": "Input should be a valid string", "type": "string_type"},
            {"loc": ["body", "is_private"], "msg": "Input should be a valid boolean", "type": "bool_type"},
        ]})
    );
    let not_object = put_json(&app, &path, token, &json!(["title"])).await;
    assert_eq!(not_object.status(), 422);
    assert_eq!(
        json(not_object).await["detail"][0]["type"],
        "model_attributes_type"
    );
    let too_long = put_json(
        &app,
        &path,
        token,
        &json!({"title": "x".repeat(151), "description": ""}),
    )
    .await;
    assert_eq!(too_long.status(), 422);
    assert_eq!(
        json(too_long).await["detail"][0]["loc"],
        json!(["body", "title"])
    );
    let not_json = app
        .client
        .put(app.url(&path))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 422);
    assert_eq!(json(not_json).await["detail"][0]["type"], "json_invalid");
    // Nothing was listed by the refused updates.
    let draft = my_video(&app, &owner.token, &video.hash_id).await.unwrap();
    assert_eq!(draft["listing_time"], Value::Null);
}

#[tokio::test]
async fn feeds_and_watch_refuse_bad_queries() {
    let app = spawn_app().await;
    let next = get(&app, "/video/explore/?next=garbage", None).await;
    assert_eq!(next.status(), 400);
    assert_eq!(json(next).await, json!({"error": "invalid next page"}));
    let include = get(&app, "/video/explore/?include_my=maybe", None).await;
    assert_eq!(include.status(), 422);
    assert_eq!(
        json(include).await["detail"][0],
        json!({"loc": ["query", "include_my"], "msg": "Input should be a valid boolean, unable to interpret input", "type": "bool_parsing"})
    );
    assert_detail(
        get(&app, "/video/user/nosuchuser000000", None).await,
        404,
        "Not Found",
    )
    .await;
    assert_detail(get(&app, "/video/user/x", None).await, 404, "Not Found").await;
    let watch = get(&app, "/video/watch/?user_id=abc", None).await;
    assert_eq!(watch.status(), 422);
    assert_eq!(
        json(watch).await,
        json!({"detail": [{"loc": ["query", "hash_id"], "msg": "Field required", "type": "missing"}]})
    );
    let unknown = "/video/watch/?user_id=aaaaaaaaaaaaaaaa&hash_id=bbbbbbbbbbbbbbbb";
    assert_detail(get(&app, unknown, None).await, 404, "Not Found").await;
}

#[tokio::test]
async fn a_watch_link_is_refused_when_its_path_id_expiry_or_signature_changes_or_it_expires() {
    let app = spawn_app().await;
    let owner = app.create_user("nina").await;
    let public = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let other = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let watch = format!(
        "/video/watch/?user_id={}&hash_id={}",
        owner.account.public_id, public.hash_id
    );
    let link = json(get(&app, &watch, None).await).await["watchable_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_url(&app, &link, None).await.status(), 200);

    let (path, query) = link.split_once('?').unwrap();
    let (exp, sig) = query.split_once('&').unwrap();
    let exp_value: i64 = exp.trim_start_matches("exp=").parse().unwrap();
    let sig_value = sig.trim_start_matches("sig=");
    let mut flipped = sig_value.to_owned().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let tampered = [
        format!("{}?{query}", path.replace("/original", "/thumbnail.jpg")),
        format!("{}?{query}", path.replace(&public.hash_id, &other.hash_id)),
        format!("{path}?exp={}&{sig}", exp_value + 3600),
        format!("{path}?{exp}&sig={flipped}"),
        format!("{path}?{exp}"),
        path.to_owned(),
    ];
    for url in &tampered {
        let response = get_url(&app, url, None).await;
        assert_eq!(response.status(), 403, "{url}");
        assert!(json(response).await["detail"].is_string());
    }
    // Past its expiry (6 h by default) the untouched link is refused too.
    app.clock.advance(std::time::Duration::from_secs(6 * 3600));
    assert_detail(
        get_url(&app, &link, None).await,
        403,
        "the link has expired",
    )
    .await;
}

#[tokio::test]
async fn the_openapi_document_covers_both_surfaces_and_the_auth_endpoints() {
    let app = spawn_app().await;
    let response = get(&app, "/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let doc = json(response).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/health_check",
        "/",
        "/video/explore/",
        "/video/upload/",
        "/video/upload/config",
        "/video/my/",
        "/video/my/{hash_id}",
        "/video/user/{user_id}",
        "/video/watch/",
        "/media/uploads",
        "/auth/register",
        "/auth/login",
        "/auth/logout",
        "/upload-video",
        "/get-creator-data",
        "/get-video",
        "/get-video-thumbnail",
        "/get-video-data",
        "/get-all-videos-data",
        "/get-all-videos-thumbnails",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    assert!(paths["/video/my/{hash_id}"]["put"].is_object());
    assert!(paths["/video/my/{hash_id}"]["delete"].is_object());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Video",
        "UnprocessedVideo",
        "VideosPage",
        "UserVideosList",
        "WatchVideoRecord",
    ] {
        assert!(schemas.contains_key(schema), "{schema} is missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let page = get(&app, "/docs/", None).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
}
