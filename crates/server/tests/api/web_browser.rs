//! The web app in a real browser: headless Chromium (Debian's `chromium`) driven through
//! `chromedriver` (started here on a free port) with `fantoccini`, against the real server.
//! Each test saves a screenshot of every page it visits under `target/screenshots/`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{CLIP, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver and one browser session; the driver dies with it.
struct Browser {
    client: Client,
    driver: Child,
    shots: PathBuf,
    test: &'static str,
    taken: u32,
}

/// chromedriver runs in its own process group, which the browsers it starts inherit, so a test
/// that ends early (a failed assertion) still leaves no browser behind: the whole group is
/// killed.
impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A phone-sized (412×915) headless Chromium.
    async fn start(test: &'static str) -> Self {
        Self::start_with(test, json!({})).await
    }

    /// A headless Chromium with `extra` merged into its `goog:chromeOptions` (whose `args` it
    /// extends).
    async fn start_with(test: &'static str, extra: Value) -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let mut options = json!({ "args": [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--window-size=412,915", "--autoplay-policy=no-user-gesture-required",
            "--mute-audio",
        ]});
        for (key, value) in extra.as_object().unwrap() {
            match (key.as_str(), value) {
                ("args", Value::Array(args)) => options["args"]
                    .as_array_mut()
                    .unwrap()
                    .extend(args.iter().cloned()),
                _ => options[key] = value.clone(),
            }
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not start: {e}"),
            }
        };
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Self {
            client,
            driver,
            shots,
            test,
            taken: 0,
        }
    }

    /// Ends the WebDriver session (the browser quits and its profile directory is removed).
    async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    async fn goto(&mut self, url: &str, name: &str) {
        self.client.goto(url).await.unwrap();
        self.screenshot(name).await;
    }

    async fn screenshot(&mut self, name: &str) {
        self.taken += 1;
        let png = self.client.screenshot().await.unwrap();
        let path = self
            .shots
            .join(format!("{}-{:02}-{name}.png", self.test, self.taken));
        std::fs::write(path, png).unwrap();
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Waits (up to `seconds`) until `script` returns true.
    async fn wait_for(&self, what: &str, seconds: u64, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if self.js(script).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn sign_in(&mut self, base: &str, username: &str) {
        self.goto(&format!("{base}/app/signin"), "signin").await;
        self.fill("#username", username).await;
        self.fill("#password", "correct horse battery").await;
        self.click("#signin-form button[type=submit]").await;
        self.wait_for("the feed", 10, "return location.pathname === '/app/'")
            .await;
    }

    async fn sign_out(&mut self) {
        self.click("header form button[type=submit]").await;
        self.wait_for(
            "signed out",
            10,
            "return !!document.querySelector('a[href=\"/app/signin\"]')",
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn sign_up(&mut self, base: &str, username: &str, display_name: &str) {
        self.goto(&format!("{base}/app/signup"), "signup").await;
        self.fill("#username", username).await;
        self.fill("#display_name", display_name).await;
        self.fill("#password", "correct horse battery").await;
        self.click("#signup-form button[type=submit]").await;
        self.wait_for(
            "the studio",
            10,
            "return location.pathname === '/app/studio'",
        )
        .await;
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_creator_uploads_and_publishes_and_a_viewer_watches_likes_and_comments_in_the_browser() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let mut browser = Browser::start("creator_and_viewer").await;

    // The creator signs up and uploads the clip through the studio page.
    browser.sign_up(&base, "maker", "Maker Person").await;
    browser.screenshot("studio-empty").await;
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(CLIP);
    browser.fill("#upload-title", "Browser clip").await;
    browser
        .client
        .find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(clip.canonicalize().unwrap().to_str().unwrap())
        .await
        .unwrap();
    browser
        .wait_for(
            "the progress bar at 100 %",
            30,
            "return document.getElementById('progress-bar').value === 100 \
             && document.getElementById('progress-text').textContent === '100 %'",
        )
        .await;
    browser.screenshot("uploaded").await;
    let via = browser
        .js("return document.getElementById('progress').dataset.via")
        .await;
    assert_eq!(via, "tus", "the studio uploads through the tus endpoint");
    browser
        .wait_for(
            "the video to be ready",
            90,
            "return !!document.querySelector('#my-videos li[data-state=draft]')",
        )
        .await;
    browser.screenshot("ready-draft").await;

    // Publish it.
    browser
        .click("#my-videos li[data-state=draft] .edit-button")
        .await;
    browser
        .click("#my-videos li[data-state=draft] .publish")
        .await;
    browser
        .wait_for(
            "the video to be listed",
            10,
            "return !!document.querySelector('#my-videos li[data-state=ready]')",
        )
        .await;
    browser.screenshot("studio").await;
    let title = browser
        .js("return document.querySelector('#my-videos li .title').textContent")
        .await;
    assert_eq!(title, "Browser clip");
    let hash_id = browser
        .js("return document.querySelector('#my-videos li[data-state=ready]').dataset.hashId")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    // Its analytics before anyone watched.
    browser
        .goto(
            &format!("{base}/app/studio/v/{hash_id}"),
            "analytics-before",
        )
        .await;
    assert_eq!(browser.text("#qualified-views").await, "0");
    browser.sign_out().await;

    // Another user finds it in the feed and sees it play.
    browser.sign_up(&base, "watcher", "Watcher Person").await;
    browser.goto(&format!("{base}/app/"), "feed-loading").await;
    browser
        .wait_for("the video in the feed", 20,
            "const v = document.querySelector('article.slide video'); return !!v && v.currentTime > 0.5")
        .await;
    let first = browser
        .js("return document.querySelector('article.slide video').currentTime")
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = browser
        .js("return document.querySelector('article.slide video').currentTime")
        .await;
    assert!(
        later.as_f64().unwrap() > first.as_f64().unwrap(),
        "{first} then {later}: not playing"
    );
    let shown = browser
        .js("return document.querySelector('article.slide .title').textContent")
        .await;
    assert_eq!(shown, "Browser clip");
    browser
        .wait_for("the creator's name", 10,
            "return document.querySelector('article.slide .creator').textContent === '@Maker Person'")
        .await;
    browser.screenshot("feed").await;

    // Like it; the count changes.
    let likes = "document.querySelector('article.slide .like .count').textContent";
    browser
        .wait_for("counts", 10, &format!("return {likes} === '0'"))
        .await;
    browser.click("article.slide .like").await;
    browser
        .wait_for("one like", 10, &format!("return {likes} === '1'"))
        .await;

    // Comment on it; the count changes.
    let comments = "document.querySelector('article.slide .comment .count').textContent";
    browser.click("article.slide .comment").await;
    browser.fill("#comment-text", "Lovely clip!").await;
    browser.click("#comment-form button[type=submit]").await;
    browser
        .wait_for(
            "the comment in the list",
            10,
            "return document.getElementById('comment-list').textContent.includes('Lovely clip!')",
        )
        .await;
    browser.screenshot("comment").await;
    browser
        .wait_for("one comment", 10, &format!("return {comments} === '1'"))
        .await;

    // The watch is reported when the viewer leaves; it counts as a view for the creator.
    browser
        .js("document.getElementById('comments').close(); return true")
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The video's page: the comment is there; then the creator's profile, followed.
    browser
        .goto(&format!("{base}/app/v/{hash_id}"), "video-page")
        .await;
    browser
        .wait_for(
            "the comment on the video page",
            10,
            "return document.getElementById('comment-list').textContent.includes('Lovely clip!')",
        )
        .await;
    assert_eq!(browser.text("#likes").await, "1");
    browser.click("#creator").await;
    browser
        .wait_for(
            "the profile",
            10,
            "return !!document.getElementById('follow')",
        )
        .await;
    browser.click("#follow").await;
    browser
        .wait_for(
            "one follower",
            10,
            "return document.getElementById('followers').textContent === '1'",
        )
        .await;
    browser
        .wait_for(
            "the creator's video listed",
            10,
            "return document.getElementById('user-videos').textContent.includes('Browser clip')",
        )
        .await;
    browser.screenshot("profile").await;
    browser.sign_out().await;

    // The creator's analytics changed: one qualified view, engagement above zero.
    browser.sign_in(&base, "maker").await;
    let analytics = format!("{base}/app/studio/v/{hash_id}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        browser.goto(&analytics, "analytics").await;
        if browser.text("#qualified-views").await == "1" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the view never reached the creator's analytics"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let engagement = browser.text("[data-metric=E] .value").await;
    assert_ne!(engagement, "0.00", "likes and comments count as engagement");
    browser
        .goto(&format!("{base}/app/studio/earnings"), "earnings")
        .await;

    // The same pages at desktop width.
    browser.client.set_window_size(1280, 900).await.unwrap();
    browser
        .goto(&format!("{base}/app/studio"), "studio-desktop")
        .await;
    browser.goto(&format!("{base}/app/"), "feed-desktop").await;
    browser
        .wait_for("the video playing", 20,
            "const v = document.querySelector('article.slide video'); return !!v && v.currentTime > 0.5")
        .await;
    browser.screenshot("feed-desktop-playing").await;
    browser.close().await;
}

/// Cuts the page's second tus `PATCH` off just after it starts, and never sends the fourth
/// (the page then sits as if the network had gone); chunks of 64 KiB.
const FLAKY_NETWORK: &str = r#"
    document.getElementById('upload').dataset.chunkBytes = '65536';
    let patches = 0;
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function (method) {
        this.reelshareMethod = method;
        return open.apply(this, arguments);
    };
    XMLHttpRequest.prototype.send = function (body) {
        if (this.reelshareMethod === 'PATCH') {
            patches += 1;
            if (patches === 2) { send.call(this, body); setTimeout(() => this.abort(), 0); return; }
            if (patches >= 4) { window.reelshareStalled = true; return; }
        }
        return send.call(this, body);
    };
    return true;
"#;

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn an_upload_resumes_after_a_dropped_connection_and_after_a_reload_with_the_exact_bytes() {
    let app = spawn_app().await;
    let base = app.address.clone();
    let mut browser = Browser::start("resumable_upload").await;
    browser.sign_up(&base, "resumer", "Resuming Person").await;
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(CLIP)
        .canonicalize()
        .unwrap();
    let pick = |browser: &Browser| {
        let path = clip.to_str().unwrap().to_owned();
        let client = browser.client.clone();
        async move {
            client
                .find(Locator::Css("#file"))
                .await
                .unwrap()
                .send_keys(&path)
                .await
                .unwrap();
        }
    };

    browser.js(FLAKY_NETWORK).await;
    browser.fill("#upload-title", "Resumed clip").await;
    pick(&browser).await;
    browser
        .wait_for(
            "the stalled upload",
            30,
            "return window.reelshareStalled === true",
        )
        .await;
    browser.screenshot("stalled").await;
    let retries = browser
        .js("return Number(document.getElementById('progress').dataset.retries || 0)")
        .await;
    assert!(
        retries.as_i64().unwrap() >= 1,
        "the dropped PATCH was retried"
    );
    let remembered = browser
        .js("return Object.keys(localStorage).filter(k => k.startsWith('reelshare.tus:')).length")
        .await;
    assert_eq!(remembered, 1, "the upload's URL is remembered");

    // Reload and pick the same file: the upload goes on from the server's offset.
    browser.client.refresh().await.unwrap();
    browser.screenshot("reloaded").await;
    browser.fill("#upload-title", "Resumed clip").await;
    pick(&browser).await;
    browser
        .wait_for(
            "the progress bar at 100 %",
            30,
            "return document.getElementById('progress-text').textContent === '100 %'",
        )
        .await;
    let resumed_at = browser
        .js("return Number(document.getElementById('progress').dataset.resumedAt || 0)")
        .await;
    assert!(
        resumed_at.as_i64().unwrap() >= 65536,
        "resumed at {resumed_at}"
    );
    let via = browser
        .js("return document.getElementById('progress').dataset.via")
        .await;
    assert_eq!(via, "tus");
    browser
        .wait_for(
            "the video to be ready",
            90,
            "return !!document.querySelector('#my-videos li[data-state=draft]')",
        )
        .await;
    browser
        .click("#my-videos li[data-state=draft] .edit-button")
        .await;
    browser
        .click("#my-videos li[data-state=draft] .publish")
        .await;
    browser
        .wait_for(
            "the video to be listed",
            10,
            "return !!document.querySelector('#my-videos li[data-state=ready]')",
        )
        .await;
    browser.screenshot("resumed-and-published").await;

    // The stored video is byte for byte the file.
    let explore: Value = app.get("/video/explore/").await.json().await.unwrap();
    let video = &explore["videos"][0];
    assert_eq!(video["title"], "Resumed clip");
    let watch: Value = app
        .get(&format!(
            "/video/watch/?user_id={}&hash_id={}",
            video["user_id"].as_str().unwrap(),
            video["hash_id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    let bytes = app
        .client
        .get(watch["watchable_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        bytes.as_ref() == crate::helpers::fixture(CLIP).as_slice(),
        "the bytes differ"
    );
    browser.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_feed_plays_one_video_at_a_time_moves_on_with_the_arrow_keys_and_loads_ahead() {
    let app = spawn_app().await;
    for (fixture, title) in [
        ("h264-baseline.mp4", "Third"),
        ("h264-main.mp4", "Second"),
        (CLIP, "First"),
    ] {
        app.upload_clip(fixture, title).await;
    }
    let mut browser = Browser::start("feed_keys").await;
    browser.goto(&format!("{}/app/", app.address), "feed").await;
    let playing = |i: usize| {
        format!(
            "const v = document.querySelectorAll('article.slide video')[{i}]; \
             return !!v && !v.paused && v.currentTime > 0.3"
        )
    };
    browser
        .wait_for("the first video playing", 20, &playing(0))
        .await;
    let titles = browser
        .js("return [...document.querySelectorAll('article.slide .title')].map(t => t.textContent)")
        .await;
    assert_eq!(titles, json!(["First", "Second", "Third"]));
    // Muted autoplay, looping; the next one is already loading (these have HLS, so through
    // hls.js, which starts for the next video only).
    let state = browser
        .js("const v = [...document.querySelectorAll('article.slide video')]; \
             return [v[0].muted, v[0].loop, v[1].preload === 'auto' && v[1].dataset.playback === 'hls.js']")
        .await;
    assert_eq!(state, json!([true, true, true]));

    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E015}")
        .await
        .unwrap(); // ArrowDown
    browser
        .wait_for("the second video playing", 20, &playing(1))
        .await;
    let first_paused = browser
        .js("return document.querySelectorAll('article.slide video')[0].paused")
        .await;
    assert_eq!(first_paused, true, "one video at a time");
    browser.screenshot("second").await;

    // A tap unmutes.
    browser.click("article.slide:nth-of-type(2) .unmute").await;
    let muted = browser
        .js("return document.querySelectorAll('article.slide video')[1].muted")
        .await;
    assert_eq!(muted, false);
    browser.close().await;
}

/// The sum of the process's request counters for `route` answered 200 or 206.
async fn served(app: &crate::helpers::TestApp, route: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .filter(|line| {
            line.starts_with("reelshare_http_requests_total{")
                && line.contains(&format!("route=\"{route}\""))
                && (line.contains("status=\"200\"") || line.contains("status=\"206\""))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Starts the page's player (muted) and waits until it has played `seconds`.
async fn play_until(browser: &Browser, seconds: f64) {
    browser
        .wait_for(
            "the player chose how to play",
            20,
            "return !!document.getElementById('player').dataset.playback",
        )
        .await;
    browser
        .js("const v = document.getElementById('player'); v.muted = true; v.play(); return true")
        .await;
    browser
        .wait_for(
            "the video playing",
            30,
            &format!(
                "const v = document.getElementById('player'); \
                 return !v.paused && v.currentTime > {seconds}"
            ),
        )
        .await;
}

const HLS_ROUTE: &str = "/media/{hash_id}/hls/{rendition}/{file}";

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_video_page_plays_hls_through_hls_js_and_a_video_without_hls_plays_the_mp4() {
    let app = spawn_app().await;
    let with_hls = app.hash_of(app.upload_clip(CLIP, "With HLS").await).await;
    let without_hls = app
        .hash_of(app.upload_clip("h264-main.mp4", "Without HLS").await)
        .await;
    // Its HLS index made unreadable (on any storage): the server then offers no HLS for it,
    // as for a video packaged before HLS existed.
    app.state
        .media
        .put_bytes(
            &domain::ids::HashId::parse(&without_hls).unwrap(),
            store::media_store::MediaObject::HlsIndex,
            b"not an index".to_vec(),
        )
        .await
        .unwrap();

    let mut browser = Browser::start("video_hls").await;
    let before = served(&app, HLS_ROUTE).await;
    browser
        .goto(&format!("{}/app/v/{with_hls}", app.address), "hls")
        .await;
    play_until(&browser, 2.0).await;
    browser.screenshot("hls-playing").await;
    let how = browser
        .js("const v = document.getElementById('player'); \
             return [v.dataset.playback, typeof Hls, v.currentSrc.startsWith('blob:')]")
        .await;
    // Chromium 141 and later answers "maybe" for HLS, but is not trusted with it (player.js).
    assert_eq!(how, json!(["hls.js", "function", true]));
    // What the browser fetched: this video's signed segments, each answered.
    let segments = browser
        .js("return performance.getEntriesByType('resource') \
               .filter(e => /\\/hls\\/\\d+\\/\\d+\\.m4s\\?/.test(e.name)) \
               .map(e => [e.name.includes('/media/' + document.getElementById('watch').dataset.hashId + '/hls/'), e.responseStatus])")
        .await;
    let segments = segments.as_array().unwrap().clone();
    assert!(!segments.is_empty(), "hls.js fetched no segment");
    for segment in &segments {
        assert_eq!(segment[0], true, "{segments:?}");
        assert!(
            matches!(segment[1].as_u64(), Some(200 | 206)),
            "{segments:?}"
        );
    }
    // And the server served them (and the init segment): the process's counter grew at least
    // by as many.
    let after = served(&app, HLS_ROUTE).await;
    assert!(
        after - before >= segments.len() as f64 + 1.0,
        "the server served {} HLS files, the browser saw {} segments",
        after - before,
        segments.len()
    );

    browser
        .goto(&format!("{}/app/v/{without_hls}", app.address), "mp4")
        .await;
    play_until(&browser, 1.0).await;
    browser.screenshot("mp4-playing").await;
    let how = browser
        .js("const v = document.getElementById('player'); \
             return [v.dataset.playback, v.currentSrc.includes('/media/' + document.getElementById('watch').dataset.hashId + '/original?')]")
        .await;
    assert_eq!(how, json!(["mp4", true]));
    browser.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_feed_starts_hls_js_for_the_video_in_view_and_the_next_one_only() {
    let app = spawn_app().await;
    for title in ["Fourth", "Third", "Second", "First"] {
        app.upload_clip(CLIP, title).await;
    }
    let mut browser = Browser::start("feed_hls").await;
    browser.goto(&format!("{}/app/", app.address), "feed").await;
    let playing = |i: usize| {
        format!(
            "const v = document.querySelectorAll('article.slide video')[{i}]; \
             return !!v && !v.paused && v.currentTime > 0.5"
        )
    };
    browser
        .wait_for("the first video playing", 20, &playing(0))
        .await;
    let modes = "return [...document.querySelectorAll('article.slide video')] \
                 .map(v => v.dataset.playback || null)";
    assert_eq!(
        browser.js(modes).await,
        json!(["hls.js", "hls.js", null, null])
    );
    // The next one buffers a few seconds only (hls.js capped at 4 s, in whole segments):
    // by the time the video in view has buffered to its end, the next has not.
    browser
        .wait_for(
            "the video in view buffered to its end and the next started",
            20,
            "const [v, n] = document.querySelectorAll('article.slide video'); \
             return v.buffered.length > 0 && n.buffered.length > 0 && \
                    v.buffered.end(v.buffered.length - 1) >= v.duration - 0.1",
        )
        .await;
    let next = browser
        .js(
            "const v = document.querySelectorAll('article.slide video')[1]; \
             return [v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0, v.duration]",
        )
        .await;
    let (buffered, duration) = (next[0].as_f64().unwrap(), next[1].as_f64().unwrap());
    assert!(
        buffered > 0.0 && buffered < duration - 1.0,
        "the next video buffered {buffered} s of {duration} s"
    );
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E015}")
        .await
        .unwrap(); // ArrowDown
    browser
        .wait_for("the second video playing", 20, &playing(1))
        .await;
    browser.screenshot("second").await;
    assert_eq!(
        browser.js(modes).await,
        json!(["hls.js", "hls.js", "hls.js", null])
    );
    browser.close().await;
}

/// Whether the page at `url` is laid out 360 px wide with nothing wider than that.
async fn fits_360(browser: &mut Browser, url: &str, name: &str) {
    browser.goto(url, name).await;
    browser
        .wait_for(
            "the page's content",
            20,
            "return document.readyState === 'complete' && \
             !!document.querySelector('article.slide, #watch, #upload, form')",
        )
        .await;
    browser.screenshot(&format!("{name}-loaded")).await;
    let widths = browser
        .js("const d = document.documentElement; \
             return [d.clientWidth, d.scrollWidth, document.body.scrollWidth, window.innerWidth]")
        .await;
    assert_eq!(
        widths,
        json!([360, 360, 360, 360]),
        "{name}: [client, scroll, body, inner]"
    );
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn feed_studio_and_video_page_fit_a_360_px_phone_without_horizontal_scrolling() {
    let app = spawn_app().await;
    let hash = app
        .hash_of(
            app.upload_clip(
                CLIP,
                "A rather long title for a phone screen that has to wrap somewhere",
            )
            .await,
        )
        .await;
    let mut browser = Browser::start_with(
        "phone_360",
        json!({
            "args": ["--window-size=360,740"],
            "mobileEmulation": {
                "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
            }
        }),
    )
    .await;
    fits_360(&mut browser, &format!("{}/app/", app.address), "feed").await;
    fits_360(
        &mut browser,
        &format!("{}/app/v/{hash}", app.address),
        "video",
    )
    .await;
    browser
        .sign_up(&app.address, "narrow", "Narrow Screen")
        .await;
    fits_360(
        &mut browser,
        &format!("{}/app/studio", app.address),
        "studio",
    )
    .await;
    browser.close().await;
}
