//! The web app over HTTP: sign-up and sign-in set an `HttpOnly`, `SameSite=Lax` session cookie
//! backed by a real token; the JSON APIs accept that cookie, but unsafe requests only with the
//! session's CSRF token; signing out revokes the session server-side; `GET /` sends browsers
//! to `/app/` and everyone else where it always did; assets are embedded and cacheable.

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::helpers::{CLIP, TestApp, fixture, spawn_app};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A signed-in browser: its cookie and the CSRF token its pages carry.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn sign_up(app: &TestApp, username: &str) -> (reqwest::Response, Option<Browser>) {
    let response = no_redirects()
        .post(app.url("/app/signup"))
        .form(&[
            ("username", username),
            ("display_name", "Web Person"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let Some(set_cookie) = cookie else {
        return (response, None);
    };
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let csrf = csrf_of(app, &cookie).await;
    (response, Some(Browser { cookie, csrf }))
}

/// The CSRF token in the studio page's `<meta>`.
async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let page = no_redirects()
        .get(app.url("/app/studio"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("csrf meta") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn signing_up_sets_an_http_only_lax_session_cookie_and_opens_the_studio() {
    let app = spawn_app().await;
    let (response, browser) = sign_up(&app, "webperson").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/app/studio");
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.starts_with("reelshare_session="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let browser = browser.unwrap();
    let studio = no_redirects()
        .get(app.url("/app/studio"))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(studio.status(), 200);
    assert!(
        studio.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = studio.text().await.unwrap();
    assert!(
        html.contains("Web Person") && html.contains("Upload a video"),
        "{html}"
    );
    // Without the cookie, the studio sends the browser to sign in.
    let anonymous = no_redirects()
        .get(app.url("/app/studio"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()[LOCATION], "/app/signin");
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_public_url_is_https() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.public_url = Some("https://videos.example.org".into())
    })
    .await;
    let (response, _) = sign_up(&app, "secureperson").await;
    assert!(
        response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn a_refused_sign_up_shows_why_and_sets_no_cookie() {
    let app = spawn_app().await;
    let (response, browser) = sign_up(&app, "x!").await;
    assert_eq!(response.status(), 422);
    assert!(browser.is_none());
    let html = response.text().await.unwrap();
    assert!(
        html.contains("username must be 3 to 32 characters"),
        "{html}"
    );
}

#[tokio::test]
async fn the_json_apis_accept_the_cookie_but_unsafe_requests_only_with_the_csrf_token() {
    let app = spawn_app().await;
    let (_, browser) = sign_up(&app, "liker").await;
    let browser = browser.unwrap();
    app.upload_clip(CLIP, "Liked clip").await;
    let my = app
        .creator_request(app.client.get(app.url("/video/my/")))
        .send()
        .await
        .unwrap();
    let my: serde_json::Value = my.json().await.unwrap();
    let hash_id = my["videos"][0]["hash_id"].as_str().unwrap().to_owned();
    let like = format!("/video/{hash_id}/like");

    // A safe request: the cookie identifies the caller.
    let mine = no_redirects()
        .get(app.url("/video/my/"))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);

    // An unsafe one without the token (what a forged cross-site request looks like): the
    // cookie does not count, so the caller is anonymous.
    let forged = no_redirects()
        .put(app.url(&like))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let wrong = no_redirects()
        .put(app.url(&like))
        .header(COOKIE, &browser.cookie)
        .header("X-CSRF-Token", "not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let liked = no_redirects()
        .put(app.url(&like))
        .header(COOKIE, &browser.cookie)
        .header("X-CSRF-Token", &browser.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(liked.status(), 200);
    let liked: serde_json::Value = liked.json().await.unwrap();
    assert_eq!(liked["likes"], 1);

    // The feed's counts agree.
    let social: serde_json::Value = no_redirects()
        .get(app.url(&format!("/app/api/videos/{hash_id}/social")))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(social["likes"], 1);
    assert_eq!(social["liked"], true);
    assert_eq!(social["creator_name"], "John Doe");
}

#[tokio::test]
async fn signing_out_revokes_the_session_on_the_server() {
    let app = spawn_app().await;
    let (_, browser) = sign_up(&app, "leaver").await;
    let browser = browser.unwrap();
    // The sign-out form needs the CSRF field too.
    let forged = no_redirects()
        .post(app.url("/app/signout"))
        .header(COOKIE, &browser.cookie)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let out = no_redirects()
        .post(app.url("/app/signout"))
        .header(COOKIE, &browser.cookie)
        .form(&[("csrf_token", browser.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie, replayed, no longer signs anyone in.
    let replayed = no_redirects()
        .get(app.url("/video/my/"))
        .header(COOKIE, &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 401);
}

#[tokio::test]
async fn signing_in_with_the_right_password_opens_a_session_and_a_wrong_one_does_not() {
    let app = spawn_app().await;
    sign_up(&app, "returner").await;
    let wrong = no_redirects()
        .post(app.url("/app/signin"))
        .form(&[("username", "returner"), ("password", "wrong password!")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Incorrect username or password")
    );
    let right = no_redirects()
        .post(app.url("/app/signin"))
        .form(&[
            ("username", "returner"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 303);
    assert!(
        right.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("reelshare_session=")
    );
}

#[tokio::test]
async fn the_root_sends_browsers_to_the_app_and_api_clients_to_the_health_check() {
    let app = spawn_app().await;
    let browser = no_redirects()
        .get(app.url("/"))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 307);
    assert_eq!(browser.headers()[LOCATION], "/app/");
    let api = no_redirects().get(app.url("/")).send().await.unwrap();
    assert_eq!(api.status(), 307);
    assert_eq!(api.headers()[LOCATION], "/health_check");
    let json = no_redirects()
        .get(app.url("/"))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()[LOCATION], "/health_check");
}

#[tokio::test]
async fn the_feed_page_links_its_embedded_scripts_which_are_cached_for_a_year() {
    let app = spawn_app().await;
    let page = app.get("/app/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let start = html
        .find("/app/assets/feed.js?v=")
        .expect("feed script link");
    let link = &html[start..start + html[start..].find('"').unwrap()];
    let script = app.get(link).await;
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.headers()[CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        script.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(script.text().await.unwrap().contains("/video/explore/"));
    // Without the current version the browser must revalidate.
    let unversioned = app.get("/app/assets/feed.js").await;
    assert_eq!(unversioned.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(app.get("/app/assets/nope.js").await.status(), 404);
    // The tests' clip exists (the browser test uploads it).
    assert!(!fixture(CLIP).is_empty());
}

#[tokio::test]
async fn moderators_see_reported_videos_in_the_queue_and_decide_by_form_and_others_see_nothing() {
    moderation_and_follows(spawn_app().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn the_web_pages_queries_work_on_postgresql() {
    moderation_and_follows(crate::helpers::spawn_app_on_postgres(|_| {}).await).await;
}

/// A report reaches the moderators' queue and a form decides it; a follow shows on the
/// creator's profile page.
async fn moderation_and_follows(app: TestApp) {
    app.upload_clip(CLIP, "Reported clip").await;
    let my: serde_json::Value = app
        .creator_request(app.client.get(app.url("/video/my/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hash_id = my["videos"][0]["hash_id"].as_str().unwrap().to_owned();
    let (_, reporter) = sign_up(&app, "reporter").await;
    let reporter = reporter.unwrap();
    let reported = no_redirects()
        .post(app.url(&format!("/video/{hash_id}/reports")))
        .header(COOKIE, &reporter.cookie)
        .header("X-CSRF-Token", &reporter.csrf)
        .json(&serde_json::json!({ "reason": "looks like spam" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 201);

    // The reporter follows the creator; the profile page shows it.
    let creator_id = my["videos"][0]["user_id"].as_str().unwrap().to_owned();
    let profile = |cookie: String| {
        let url = app.url(&format!("/app/u/{creator_id}"));
        async move {
            let page = no_redirects()
                .get(url)
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200);
            page.text().await.unwrap()
        }
    };
    assert!(
        profile(reporter.cookie.clone())
            .await
            .contains("aria-pressed=\"false\"")
    );
    let followed = no_redirects()
        .put(app.url(&format!("/users/{creator_id}/follow")))
        .header(COOKIE, &reporter.cookie)
        .header("X-CSRF-Token", &reporter.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), 200);
    let html = profile(reporter.cookie.clone()).await;
    assert!(
        html.contains("aria-pressed=\"true\"") && html.contains("Following"),
        "{html}"
    );
    assert!(html.contains("<span id=\"followers\">1</span>"), "{html}");

    // A plain user: no such page.
    let denied = no_redirects()
        .get(app.url("/app/moderation"))
        .header(COOKIE, &reporter.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 404);

    let (_, moderator) = sign_up(&app, "moderator").await;
    let moderator = moderator.unwrap();
    let account = store::accounts::find_account_by_username(app.state.pool(), "moderator")
        .await
        .unwrap();
    store::accounts::set_role(
        app.state.pool(),
        account.id,
        domain::account::Role::Moderator,
    )
    .await
    .unwrap();
    let queue = no_redirects()
        .get(app.url("/app/moderation"))
        .header(COOKIE, &moderator.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200);
    let html = queue.text().await.unwrap();
    assert!(
        html.contains("Reported clip") && html.contains("looks like spam"),
        "{html}"
    );

    // A forged decision (no CSRF field) changes nothing; the real form marks it non-compliant.
    let forged = no_redirects()
        .post(app.url(&format!("/app/moderation/{hash_id}")))
        .header(COOKIE, &moderator.cookie)
        .form(&[
            ("csrf_token", "forged"),
            ("compliance", "0"),
            ("note", "spam"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let decided = no_redirects()
        .post(app.url(&format!("/app/moderation/{hash_id}")))
        .header(COOKIE, &moderator.cookie)
        .form(&[
            ("csrf_token", moderator.csrf.as_str()),
            ("compliance", "0"),
            ("note", "spam, confirmed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    let state: serde_json::Value = no_redirects()
        .get(app.url(&format!("/moderation/videos/{hash_id}")))
        .header(COOKIE, &moderator.cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["compliance"], 0.0);
    assert_eq!(state["pending_reports"], 0);
    let after = no_redirects()
        .get(app.url("/app/moderation"))
        .header(COOKIE, &moderator.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("Nothing waits for a decision."), "{after}");
}

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    sign_up(&app, "victim").await;
    let foreign = no_redirects()
        .post(app.url("/app/signin"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("username", "victim"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.headers().get(SET_COOKIE).is_none());
    let own = no_redirects()
        .post(app.url("/app/signin"))
        .header("Origin", app.address.as_str())
        .form(&[
            ("username", "victim"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303);
}

#[tokio::test]
async fn a_private_video_shows_on_no_page_and_in_no_count_for_anyone_else() {
    let app = spawn_app().await;
    app.upload_clip(CLIP, "Secret clip").await;
    let my: serde_json::Value = app
        .creator_request(app.client.get(app.url("/video/my/")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hash_id = my["videos"][0]["hash_id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/app/v/{hash_id}")).await.status(), 200);
    let hidden = app
        .creator_request(app.client.put(app.url(&format!("/video/my/{hash_id}"))))
        .json(&serde_json::json!({ "is_private": true }))
        .send()
        .await
        .unwrap();
    assert!(hidden.status().is_success(), "{}", hidden.status());

    let (_, other) = sign_up(&app, "curious").await;
    let other = other.unwrap();
    for path in [
        format!("/app/v/{hash_id}"),
        format!("/app/api/videos/{hash_id}/social"),
    ] {
        for cookie in [None, Some(other.cookie.as_str())] {
            let mut request = no_redirects().get(app.url(&path));
            if let Some(cookie) = cookie {
                request = request.header(COOKIE, cookie);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{path}");
            assert!(
                !response.text().await.unwrap().contains("Secret clip"),
                "{path}"
            );
        }
    }
    assert_eq!(app.get("/app/v/nonexistent0000").await.status(), 404);
}
