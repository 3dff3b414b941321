//! Links never follow a `Host` header that is not allowed, and responses carry protective
//! headers: `nosniff` everywhere, a CSP and frame protection on HTML pages, and
//! `Content-Disposition: inline` with a safe filename on media.

use serde_json::Value;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_with};
use crate::video_api_support::*;

/// The upload form's URL, asked for with `Host: host`.
async fn upload_url_with_host(app: &TestApp, host: &str) -> String {
    let user = app.create_user(&format!("u{}", host.len())).await;
    let response = app
        .client
        .get(app.url("/video/upload/?file_content_type=video/mp4&file_name=a.mp4"))
        .bearer_auth(&user.token)
        .header("Host", host)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_host_header_that_is_not_allowed_never_reaches_a_link() {
    let app = spawn_app().await;
    let url = upload_url_with_host(&app, "evil.example").await;
    // The default: built from the bind address.
    assert_eq!(url, app.url("/media/uploads"));
    assert!(!url.contains("evil"));
}

#[tokio::test]
async fn an_allowed_host_is_used_and_public_url_wins_over_any_host() {
    let app = spawn_app_with(|s| s.allowed_hosts = vec!["videos.test".into()]).await;
    assert_eq!(
        upload_url_with_host(&app, "videos.test:8443").await,
        "http://videos.test:8443/media/uploads"
    );
    assert_eq!(
        upload_url_with_host(&app, "evil.example").await,
        app.url("/media/uploads")
    );

    let app = spawn_app_with(|s| {
        s.public_url = Some("https://videos.example.org".into());
        s.allowed_hosts = vec!["videos.test".into()];
    })
    .await;
    assert_eq!(
        upload_url_with_host(&app, "videos.test").await,
        "https://videos.example.org/media/uploads"
    );
}

#[tokio::test]
async fn watch_links_ignore_a_host_that_is_not_allowed() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let video = insert_video(&app, &owner.account, Some(app.clock_now()), false).await;
    let path = format!(
        "/video/watch/?user_id={}&hash_id={}",
        owner.account.public_id, video.hash_id
    );
    let response = app
        .client
        .get(app.url(&path))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let link = body["watchable_url"].as_str().unwrap();
    assert!(link.starts_with(&app.address), "{link}");
    assert!(
        body["video"]["thumbnail_url"]
            .as_str()
            .unwrap()
            .starts_with(&app.address)
    );
}

#[tokio::test]
async fn every_response_is_nosniff_and_html_pages_have_a_csp_and_refuse_framing() {
    let app = spawn_app().await;
    for path in [
        "/health_check",
        "/nowhere",
        "/get-video?video_id=x",
        "/openapi.json",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
        assert!(response.headers().get("content-security-policy").is_none());
    }
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
}

fn disposition(response: &reqwest::Response) -> String {
    crate::helpers::media_header(response, "content-disposition")
}

#[tokio::test]
async fn media_is_served_inline_with_a_safe_file_name() {
    let app = spawn_app().await;
    let response = app
        .upload_video("clip", "my clip (1);é.mp4", fixture(CLIP))
        .await;
    assert_eq!(response.status(), 201);
    let id = json(response).await["video_id"].as_i64().unwrap();

    let video = app.get(&format!("/get-video?video_id={id}")).await;
    assert_eq!(video.status(), 200);
    assert_eq!(
        disposition(&video),
        "inline; filename=\"my_clip__1___.mp4\""
    );
    if !crate::helpers::came_from_bucket(&video) {
        // S3 sends no `nosniff`; its `Content-Type` is the one reelshare signed in.
        assert_eq!(video.headers()["x-content-type-options"], "nosniff");
    }
    let thumbnail = app
        .get(&format!("/get-video-thumbnail?video_id={id}"))
        .await;
    assert_eq!(
        disposition(&thumbnail),
        format!("inline; filename=\"video-{id}.jpg\"")
    );

    // The Video API's links to the same video.
    let owner = store::accounts::find_account(app.state.pool(), domain::ids::AccountId::new(1))
        .await
        .unwrap();
    let hash_id = store::videos::find_video(app.state.pool(), domain::ids::VideoId::new(id))
        .await
        .unwrap()
        .hash_id;
    let watch = json(
        get(
            &app,
            &format!(
                "/video/watch/?user_id={}&hash_id={hash_id}",
                owner.public_id
            ),
            None,
        )
        .await,
    )
    .await;
    let original = get_url(&app, watch["watchable_url"].as_str().unwrap(), None).await;
    assert_eq!(original.status(), 200);
    assert_eq!(
        disposition(&original),
        "inline; filename=\"my_clip__1___.mp4\""
    );
    let small = get_url(
        &app,
        watch["video"]["thumbnail_url"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(small.status(), 200);
    assert_eq!(
        disposition(&small),
        format!("inline; filename=\"{hash_id}.jpg\"")
    );
}
