//! The engagement endpoints over HTTP: watches (qualification, dedup window, daily cap,
//! idempotency, validation), likes, comments, shares, follows, and who may engage with what.
//! Metrics are checked against hand-computed values through the Creator API.

use std::time::Duration;

use domain::ids::{AccountId, HashId, VideoId};
use domain::video::Timestamp;
use serde_json::{Value, json};
use server::clock::Clock;

use crate::helpers::{CLIP, CLIP_SECONDS, TestApp, TestUser, spawn_app};

/// Request helpers for these endpoints.
impl TestApp {
    pub async fn hash_of(&self, video_id: i64) -> String {
        store::videos::find_video(self.state.pool(), VideoId::new(video_id))
            .await
            .unwrap()
            .hash_id
            .as_str()
            .to_owned()
    }

    /// Sends `method path` with an optional bearer token, `X-Viewer-Id` and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        viewer: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(viewer) = viewer {
            request = request.header("X-Viewer-Id", viewer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// An anonymous watch report; returns (status, body).
    pub async fn watch(
        &self,
        hash: &str,
        viewer: &str,
        session: &str,
        seconds: f64,
    ) -> (u16, Value) {
        let response = self
            .send(
                reqwest::Method::POST,
                &format!("/video/{hash}/views"),
                None,
                Some(viewer),
                Some(json!({"watched_seconds": seconds, "session_id": session})),
            )
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn video_data(&self, video_id: i64) -> Value {
        let response = self
            .get(&format!("/get-video-data?video_id={video_id}"))
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Like `create_user`, with a token that outlives clock jumps of days and months.
    pub async fn create_lasting_user(&self, username: &str) -> TestUser {
        let mut user = self.create_user(username).await;
        let (token, hash) = server::http::auth::new_token();
        let now = self.clock_now();
        store::accounts::insert_token(
            self.state.pool(),
            &hash,
            user.account.id,
            now,
            now + 400 * 86_400_000_000,
        )
        .await
        .unwrap();
        user.token = token;
        user
    }

    pub async fn refresh_projection(&self) {
        self.state.refresh_projection().await.unwrap();
    }

    /// A ready video row without media (for visibility cases the Creator API cannot make).
    pub async fn insert_bare_video(
        &self,
        owner: AccountId,
        title: &str,
        listed: bool,
        private: bool,
    ) -> (VideoId, HashId) {
        let hash = server::upload::publishing::new_hash_id();
        let now = self.clock.now();
        let facts = store::videos::MediaFacts {
            content_type: "video/mp4".into(),
            duration_seconds: 30.0,
            width: 576,
            height: 1024,
        };
        let id = store::videos::insert_video(
            self.state.pool(),
            store::videos::NewVideo {
                hash_id: &hash,
                owner,
                file_name: &domain::text::FileName::parse("bare.mp4").unwrap(),
                title: &domain::text::Title::parse(title).unwrap(),
                description: &domain::text::Description::parse("A video row made by a test")
                    .unwrap(),
                content_type: "video/mp4",
                size_in_bytes: 1,
                facts: Some(&facts),
                uploaded_at: now,
                listed_at: listed.then_some(now),
            },
        )
        .await
        .unwrap();
        if private {
            store::videos::update_video(
                self.state.pool(),
                id,
                store::videos::VideoEdit {
                    title: None,
                    description: None,
                    is_private: Some(true),
                    list_at: None,
                },
            )
            .await
            .unwrap();
        }
        (id, hash)
    }
}

fn token(user: &TestUser) -> Option<&str> {
    Some(user.token.as_str())
}

#[tokio::test]
async fn a_watch_of_three_seconds_counts_and_a_shorter_one_is_logged_but_not_counted() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset over the bay").await;
    let hash = app.hash_of(id).await;

    let (status, body) = app.watch(&hash, "viewer-1", "s1", 2.5).await;
    assert_eq!(status, 201);
    assert_eq!(body["counted"], false);
    assert_eq!(body["reason"], "too_short");
    let (status, body) = app.watch(&hash, "viewer-2", "s1", 3.0).await;
    assert_eq!(status, 201);
    assert_eq!(body["counted"], true);
    assert_eq!(body["reason"], Value::Null);

    let data = app.video_data(id).await;
    assert_eq!(data["views"], 1);
}

#[tokio::test]
async fn one_viewer_counts_once_per_thirty_minutes_and_at_most_five_times_a_utc_day() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset over the bay").await;
    let hash = app.hash_of(id).await;
    // Start right after a UTC midnight so the whole script stays within one day.
    let now = app.clock_now();
    let day = 86_400_000_000i64;
    let to_midnight = day - now.rem_euclid(day) + 1_000_000;
    app.clock.advance(Duration::from_micros(to_midnight as u64));

    let mut counted = Vec::new();
    for i in 0..20 {
        let (status, body) = app.watch(&hash, "looper", &format!("s{i}"), 5.0).await;
        assert_eq!(status, 201);
        counted.push(body["counted"].as_bool().unwrap());
        if i % 2 == 0 {
            // Within the window: 29 minutes later.
            app.clock.advance(Duration::from_secs(29 * 60));
        } else {
            app.clock.advance(Duration::from_secs(60));
        }
    }
    // Every 30 minutes one counts: watches 0, 2, 4, 6, 8; then the daily cap of five.
    let expected: Vec<bool> = (0..20).map(|i| i % 2 == 0 && i < 10).collect();
    assert_eq!(counted, expected);
    let (_, body) = app.watch(&hash, "looper", "capped", 5.0).await;
    assert_eq!(body["reason"], "daily_cap");
    let (_, body) = app.watch(&hash, "looper", "soon", 5.0).await;
    assert!(body["reason"] == "daily_cap" || body["reason"] == "within_window");

    // The next UTC day the viewer counts again.
    let now = app.clock_now();
    app.clock.advance(Duration::from_micros(
        (day - now.rem_euclid(day) + 1) as u64,
    ));
    let (_, body) = app.watch(&hash, "looper", "tomorrow", 5.0).await;
    assert_eq!(body["counted"], true);
    assert_eq!(app.video_data(id).await["views"], 6);
}

#[tokio::test]
async fn repeating_a_session_id_returns_the_first_outcome_and_changes_nothing() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset over the bay").await;
    let hash = app.hash_of(id).await;
    let first = app.watch(&hash, "v", "session-1", 4.0).await;
    assert_eq!(first.0, 201);
    app.clock.advance(Duration::from_secs(3600));
    let again = app.watch(&hash, "v", "session-1", 9.0).await;
    assert_eq!(again.0, 200);
    assert_eq!(again.1, first.1);
    let data = app.video_data(id).await;
    assert_eq!(data["views"], 1);
    assert!((data["watch_completion"].as_f64().unwrap() - 4.0 / CLIP_SECONDS).abs() < 1e-3);
}

#[tokio::test]
async fn malformed_watch_reports_are_refused_with_422_and_record_nothing() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset over the bay").await;
    let hash = app.hash_of(id).await;
    let path = format!("/video/{hash}/views");
    let post = |viewer: Option<&'static str>, body: Value| {
        let app = &app;
        let path = path.clone();
        async move {
            app.send(reqwest::Method::POST, &path, None, viewer, Some(body))
                .await
        }
    };
    let cases = [
        (
            json!({"watched_seconds": -1.0, "session_id": "a"}),
            "watched_seconds",
        ),
        (
            json!({"watched_seconds": 60.0, "session_id": "a"}),
            "watched_seconds",
        ),
        (
            json!({"watched_seconds": "NaN", "session_id": "a"}),
            "watched_seconds",
        ),
        (
            json!({"watched_seconds": null, "session_id": "a"}),
            "watched_seconds",
        ),
        (json!({"session_id": "a"}), "watched_seconds"),
        (json!({"watched_seconds": 5.0}), "session_id"),
        (
            json!({"watched_seconds": 5.0, "session_id": ""}),
            "session_id",
        ),
        (
            json!({"watched_seconds": 5.0, "session_id": "x".repeat(65)}),
            "session_id",
        ),
    ];
    for (body, field) in cases {
        let response = post(Some("v"), body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let detail: Value = response.json().await.unwrap();
        assert_eq!(detail["detail"][0]["loc"], json!(["body", field]), "{body}");
    }
    // Not JSON at all.
    let response = app
        .client
        .post(app.url(&path))
        .header("X-Viewer-Id", "v")
        .body("watched_seconds=5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // No viewer: neither a token nor an X-Viewer-Id; and a malformed viewer id.
    let response = post(None, json!({"watched_seconds": 5.0, "session_id": "a"})).await;
    assert_eq!(response.status(), 422);
    let detail: Value = response.json().await.unwrap();
    assert_eq!(detail["detail"][0]["loc"], json!(["header", "x-viewer-id"]));
    let response = post(
        Some("has spaces"),
        json!({"watched_seconds": 5.0, "session_id": "a"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    // A bad token is 401, not anonymity.
    let response = app
        .send(
            reqwest::Method::POST,
            &path,
            Some("nonsense"),
            Some("v"),
            Some(json!({"watched_seconds": 5.0, "session_id": "a"})),
        )
        .await;
    assert_eq!(response.status(), 401);

    assert_eq!(app.video_data(id).await["views"], 0);
    let events: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM view_events")
        .fetch_one(app.state.pool())
        .await
        .unwrap();
    assert_eq!(events.0, 0);
}

#[tokio::test]
async fn metrics_in_get_video_data_match_hand_computed_values_after_a_scripted_day() {
    let app = spawn_app().await;
    // The script spans an hour and its projection is the open period's.
    app.stay_in_one_period_for(Duration::from_secs(2 * 3600));
    let id = app
        .upload_clip(CLIP, "Sunset over the bay at golden hour")
        .await;
    let hash = app.hash_of(id).await;
    let users = [
        app.create_lasting_user("ana").await,
        app.create_lasting_user("ben").await,
        app.create_lasting_user("cai").await,
    ];
    // Ana watches twice (an hour apart), Ben once, anonymous "zed" once fully and once too
    // short.
    let d = store::videos::find_video(app.state.pool(), VideoId::new(id))
        .await
        .unwrap()
        .duration_seconds
        .unwrap();
    assert!((d - CLIP_SECONDS).abs() < 0.05);
    let watch_as = |user: &TestUser, session: &str, seconds: f64| {
        let app = &app;
        let token = user.token.clone();
        let path = format!("/video/{hash}/views");
        let session = session.to_owned();
        async move {
            let response = app
                .send(
                    reqwest::Method::POST,
                    &path,
                    Some(&token),
                    None,
                    Some(json!({"watched_seconds": seconds, "session_id": session})),
                )
                .await;
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            body["counted"].as_bool().unwrap()
        }
    };
    assert!(watch_as(&users[0], "a1", 5.0).await);
    assert!(watch_as(&users[1], "b1", 9.0).await);
    assert_eq!(app.watch(&hash, "zed", "z1", d).await.1["counted"], true);
    assert_eq!(app.watch(&hash, "zed", "z2", 1.0).await.1["counted"], false);
    app.clock.advance(Duration::from_secs(3600));
    assert!(watch_as(&users[0], "a2", 2.0 * d / 3.0).await);
    // Two likes, one comment, one share.
    for user in &users[..2] {
        let r = app
            .send(
                reqwest::Method::PUT,
                &format!("/video/{hash}/like"),
                token(user),
                None,
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{hash}/comments"),
            token(&users[2]),
            None,
            Some(json!({"text": "Lovely colours"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{hash}/shares"),
            token(&users[1]),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 201);

    let data = app.video_data(id).await;
    // 4 qualified views: 5 s, 9 s, full, 2/3.
    assert_eq!(data["views"], 4);
    assert_eq!(data["likes"], 2);
    assert_eq!(data["comments"], 1);
    assert_eq!(data["shares"], 1);
    let w = (5.0 / d + 9.0 / d + 1.0 + 2.0 / 3.0) / 4.0;
    let e: f64 = 4.0 / 4.0;
    let (p1, p2, p3) = (0.5f64, 0.25f64, 0.25f64);
    let dv = -(p1 * p1.ln() + p2 * p2.ln() + p3 * p3.ln()) / 3f64.ln();
    // Three distinct viewers (ana, ben, zed), one of them (ana) with two views.
    let r = 1.0 / 3.0;
    let close = |field: &str, expected: f64| {
        let got = data[field].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-4,
            "{field}: {got} vs {expected}"
        );
    };
    close("watch_completion", w);
    close("engagement_rate", e);
    close("engagement_diversity", dv);
    close("rewatch", r);
    let s = domain::text_quality::text_quality("Sunset over the bay at golden hour", "");
    close("nlp_quality", s);
    assert_eq!(data["compliance"], 1);
    let q = w.powf(0.35) * e.powf(0.25) * dv.powf(0.15) * r.powf(0.10) * s.powf(0.15);
    close("quality_score", q.min(1.0));

    // The only earning video gets the whole pool once the projection is refreshed.
    app.refresh_projection().await;
    let data = app.video_data(id).await;
    assert_eq!(data["rev_prop"], 1.0);
    assert_eq!(data["proj_earnings"], 10_000.0);
}

#[tokio::test]
async fn likes_are_one_per_user_and_creator_data_counts_likes_and_follows() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset").await;
    let hash = app.hash_of(id).await;
    let ana = app.create_user("ana").await;
    let ben = app.create_user("ben").await;
    let like = |user: &TestUser, method: reqwest::Method| {
        let app = &app;
        let path = format!("/video/{hash}/like");
        let token = user.token.clone();
        async move {
            let r = app.send(method, &path, Some(&token), None, None).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        like(&ana, reqwest::Method::PUT).await,
        json!({"liked": true, "likes": 1})
    );
    assert_eq!(
        like(&ana, reqwest::Method::PUT).await,
        json!({"liked": true, "likes": 1})
    );
    assert_eq!(like(&ben, reqwest::Method::PUT).await["likes"], 2);
    assert_eq!(
        like(&ben, reqwest::Method::DELETE).await,
        json!({"liked": false, "likes": 1})
    );
    assert_eq!(like(&ben, reqwest::Method::DELETE).await["likes"], 1);
    // Without a token: 401 in FastAPI's shape.
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/video/{hash}/like"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Not authenticated"})
    );

    // John Doe (creator 1) is followed by ana and ben; ana follows ben.
    let creator = store::accounts::find_account(app.state.pool(), AccountId::new(1))
        .await
        .unwrap();
    let follow = |user: &TestUser, whom: &str, method: reqwest::Method| {
        let app = &app;
        let path = format!("/users/{whom}/follow");
        let token = user.token.clone();
        async move { app.send(method, &path, Some(&token), None, None).await }
    };
    let john = creator.public_id.as_str().to_owned();
    let r = follow(&ana, &john, reqwest::Method::PUT).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"following": true, "followers": 1})
    );
    follow(&ana, &john, reqwest::Method::PUT).await;
    follow(&ben, &john, reqwest::Method::PUT).await;
    follow(&ana, ben.account.public_id.as_str(), reqwest::Method::PUT).await;
    let r = follow(&ana, ana.account.public_id.as_str(), reqwest::Method::PUT).await;
    assert_eq!(r.status(), 422);
    let r = follow(&ana, "AAAAAAAAAAAAAAAA", reqwest::Method::PUT).await;
    assert_eq!(r.status(), 404);
    let data: Value = app
        .get("/get-creator-data?creator_id=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["followers"], 2);
    assert_eq!(data["following"], 0);
    assert_eq!(data["likes"], 1);
    let ana_data: Value = app
        .get(&format!("/get-creator-data?creator_id={}", ana.account.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ana_data["following"], 2);
    let r = follow(&ben, &john, reqwest::Method::DELETE).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"following": false, "followers": 1})
    );
}

#[tokio::test]
async fn comments_are_bounded_and_paged_newest_first() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset").await;
    let hash = app.hash_of(id).await;
    let ana = app.create_user("ana").await;
    let path = format!("/video/{hash}/comments");
    for i in 0..5 {
        let r = app
            .send(
                reqwest::Method::POST,
                &path,
                token(&ana),
                None,
                Some(json!({"text": format!("  comment {i} ")})),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["text"], format!("comment {i}"));
        assert_eq!(body["username"], "ana");
        assert_eq!(body["user_id"], ana.account.public_id.as_str());
    }
    for bad in [
        json!({"text": "   "}),
        json!({"text": "x".repeat(2001)}),
        json!({"text": 5}),
        json!({}),
    ] {
        let r = app
            .send(reqwest::Method::POST, &path, token(&ana), None, Some(bad))
            .await;
        assert_eq!(r.status(), 422);
    }
    let r = app
        .send(
            reqwest::Method::POST,
            &path,
            None,
            None,
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(r.status(), 401);

    let page: Value = app
        .get(&format!("{path}?limit=2"))
        .await
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = page["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["comment 4", "comment 3"]);
    let next = page["next_before"].as_i64().unwrap();
    let page: Value = app
        .get(&format!("{path}?limit=2&before={next}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["comments"][0]["text"], "comment 2");
    let page: Value = app
        .get(&format!("{path}?limit=100"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["comments"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_before"], Value::Null);
    assert_eq!(app.get(&format!("{path}?limit=101")).await.status(), 422);
    assert_eq!(app.get(&format!("{path}?limit=0")).await.status(), 422);
    assert_eq!(app.get(&format!("{path}?before=x")).await.status(), 422);
    assert_eq!(app.video_data(id).await["comments"], 5);
}

#[tokio::test]
async fn a_users_shares_of_a_video_count_once_per_utc_day() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset").await;
    let hash = app.hash_of(id).await;
    let ana = app.create_lasting_user("ana").await;
    let path = format!("/video/{hash}/shares");
    let r = app
        .send(reqwest::Method::POST, &path, token(&ana), None, None)
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .send(reqwest::Method::POST, &path, token(&ana), None, None)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"counted": false, "shares": 1})
    );
    app.clock.advance(Duration::from_secs(86_400));
    let r = app
        .send(reqwest::Method::POST, &path, token(&ana), None, None)
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.video_data(id).await["shares"], 2);
}

#[tokio::test]
async fn drafts_private_videos_and_unknown_ids_cannot_be_engaged_with() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let ana = app.create_user("ana").await;
    let (_, draft) = app
        .insert_bare_video(owner.account.id, "Draft", false, false)
        .await;
    let (_, private) = app
        .insert_bare_video(owner.account.id, "Private", true, true)
        .await;
    let draft = draft.as_str().to_owned();
    let private = private.as_str().to_owned();
    let attempts = |hash: String| {
        let app = &app;
        let token = ana.token.clone();
        async move {
            let mut statuses = Vec::new();
            let watch = json!({"watched_seconds": 5.0, "session_id": "s"});
            for (method, path, body) in [
                (
                    reqwest::Method::POST,
                    format!("/video/{hash}/views"),
                    Some(watch),
                ),
                (reqwest::Method::PUT, format!("/video/{hash}/like"), None),
                (
                    reqwest::Method::POST,
                    format!("/video/{hash}/comments"),
                    Some(json!({"text": "hi"})),
                ),
                (
                    reqwest::Method::GET,
                    format!("/video/{hash}/comments"),
                    None,
                ),
                (reqwest::Method::POST, format!("/video/{hash}/shares"), None),
                (
                    reqwest::Method::POST,
                    format!("/video/{hash}/reports"),
                    Some(json!({"reason": "spam"})),
                ),
            ] {
                let r = app.send(method, &path, Some(&token), None, body).await;
                statuses.push(r.status().as_u16());
            }
            statuses
        }
    };
    assert_eq!(attempts(draft.clone()).await, [404; 6]);
    assert_eq!(attempts(private.clone()).await, [403; 6]);
    assert_eq!(attempts("AAAAAAAAAAAAAAAA".into()).await, [404; 6]);
    assert_eq!(attempts("not-an-id".into()).await, [404; 6]);
    // Even the owner cannot engage with a draft (it is not listed).
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/video/{draft}/like"),
            token(&owner),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
    // The owner may like their own private, listed video; their watches never count.
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/video/{private}/like"),
            token(&owner),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{private}/views"),
            token(&owner),
            None,
            Some(json!({"watched_seconds": 20.0, "session_id": "own"})),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["counted"], false);
    assert_eq!(body["reason"], "own_video");
}

#[tokio::test]
async fn writes_keep_period_and_daily_aggregates_beside_the_all_time_ones() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "Sunset").await;
    let hash = app.hash_of(id).await;
    app.watch(&hash, "v1", "s", 5.0).await;
    app.watch(&hash, "v2", "s", 5.0).await;
    let now = app.clock_now();
    let period = domain::allocation::Period::containing(now);
    let stats = store::periods::period_stats(app.state.pool(), VideoId::new(id), period)
        .await
        .unwrap();
    assert_eq!(stats.qualified_views, 2);
    assert_eq!(stats.distinct_viewers, 2);
    let day = domain::allocation::utc_day(now);
    let daily = store::periods::daily_views(app.state.pool(), VideoId::new(id), day, day + 1)
        .await
        .unwrap();
    assert_eq!(daily, [(day, 2)]);
    let _ = Timestamp::from_micros(now);
}

/// Many watch reports at once, so the writer commits them in batches: 100 viewers each send
/// two sessions that would both qualify (the second falls in the first one's 30-minute
/// window) and repeat one of them. Every report gets its own answer, exactly one view per
/// viewer counts, a repeat gets the first outcome, and the aggregates agree with the log.
async fn concurrent_reports_are_batched_and_each_counted_once(app: &TestApp) {
    let owner = app.create_user("owner").await;
    let (video, hash) = app
        .insert_bare_video(owner.account.id, "Busy video", true, false)
        .await;
    let mut requests = tokio::task::JoinSet::new();
    for viewer in 0..100 {
        for session in ["first", "second", "first"] {
            let client = app.client.clone();
            let url = format!("{}/video/{hash}/views", app.address);
            requests.spawn(async move {
                let response = client
                    .post(url)
                    .header("X-Viewer-Id", format!("crowd-{viewer}"))
                    .json(&json!({"watched_seconds": 20.0, "session_id": session}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (viewer, session, status, body)
            });
        }
    }
    let mut by_viewer = vec![Vec::new(); 100];
    while let Some(answer) = requests.join_next().await {
        let (viewer, session, status, body) = answer.unwrap();
        by_viewer[viewer].push((session, status, body));
    }
    for (viewer, answers) in by_viewer.iter().enumerate() {
        let counted = answers
            .iter()
            .filter(|(_, s, b)| *s == 201 && b["counted"] == true);
        assert_eq!(counted.count(), 1, "viewer {viewer}: {answers:?}");
        let statuses: Vec<u16> = answers.iter().map(|(_, s, _)| *s).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            2,
            "{answers:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{answers:?}"
        );
        let firsts: Vec<&Value> = answers
            .iter()
            .filter(|(session, _, _)| *session == "first")
            .map(|(_, _, body)| &body["counted"])
            .collect();
        assert_eq!(firsts[0], firsts[1], "a repeat returns the first outcome");
    }
    let data = app.video_data(video.get()).await;
    assert_eq!(data["views"], 100);
    let stats = store::periods::period_stats(
        app.state.pool(),
        video,
        domain::allocation::Period::containing(app.clock_now()),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            stats.qualified_views,
            stats.distinct_viewers,
            stats.repeat_viewers
        ),
        (100, 100, 0)
    );
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM view_events WHERE video_id = $1")
        .bind(video.get())
        .fetch_one(app.state.pool())
        .await
        .unwrap();
    assert_eq!(
        events, 200,
        "two sessions per viewer are logged; repeats are not"
    );
}

#[tokio::test]
async fn concurrent_watch_reports_are_batched_and_each_counted_once() {
    concurrent_reports_are_batched_and_each_counted_once(&spawn_app().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn concurrent_watch_reports_are_batched_and_each_counted_once_on_postgresql() {
    let app = crate::helpers::spawn_app_on_postgres(|_| {}).await;
    concurrent_reports_are_batched_and_each_counted_once(&app).await;
}

/// A report that cannot be stored (its video was deleted while it waited) fails alone: the
/// batch it arrived in is retried one report at a time, and the others are stored.
#[tokio::test]
async fn a_failing_report_does_not_take_its_batch_down_with_it() {
    use server::engagement::view_writer::{ViewWriter, WatchReport};
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let (video, _) = app
        .insert_bare_video(owner.account.id, "Still here", true, false)
        .await;
    let writer = ViewWriter::start(app.state.pool().clone());
    let report = |video: VideoId, viewer: usize| WatchReport {
        video,
        duration_seconds: 30.0,
        viewer: format!("a:batch-{viewer}"),
        session_id: "s".into(),
        watched_seconds: 20.0,
        by_owner: false,
        at: Timestamp::from_micros(app.clock_now()),
    };
    // Handed over together, before the writer runs: one batch.
    let mut reports = tokio::task::JoinSet::new();
    for viewer in 0..20 {
        let target = if viewer == 7 {
            VideoId::new(i64::MAX)
        } else {
            video
        };
        let writer = writer.clone();
        let report = report(target, viewer);
        reports.spawn(async move { (viewer, writer.record(report).await) });
    }
    while let Some(done) = reports.join_next().await {
        let (viewer, outcome) = done.unwrap();
        if viewer == 7 {
            assert!(outcome.is_err(), "a report for a video that is gone fails");
        } else {
            assert!(outcome.unwrap().counted, "viewer {viewer}");
        }
    }
    assert_eq!(app.video_data(video.get()).await["views"], 19);
}

/// The live aggregates agree with the event log: rebuilding the open period from the events
/// after a mix of watches (repeats, replays, short ones, two days), likes (one taken back),
/// comments and shares changes nothing; after the stored numbers are damaged, it finds the
/// video and restores them.
async fn rebuilt_aggregates_match_the_live_ones(app: &TestApp) {
    let owner = app.create_lasting_user("owner").await;
    let fans = [
        app.create_lasting_user("ana").await,
        app.create_lasting_user("ben").await,
    ];
    let (video, hash) = app
        .insert_bare_video(owner.account.id, "Audited video", true, false)
        .await;
    let hash = hash.as_str().to_owned();
    let period = domain::allocation::Period::containing(app.clock_now());
    for (viewer, session, seconds) in [
        ("v1", "a", 20.0),
        ("v1", "a", 20.0),
        ("v2", "a", 2.0),
        ("v2", "b", 9.5),
        ("v3", "a", 30.0),
    ] {
        app.watch(&hash, viewer, session, seconds).await;
    }
    // Later the same day (past the 30-minute window), unless that leaves the period.
    if domain::allocation::Period::containing(app.clock_now() + 3_600_000_000) == period {
        app.clock.advance(Duration::from_secs(3_600));
        app.watch(&hash, "v1", "c", 12.0).await;
    }
    for fan in &fans {
        let like = format!("/video/{hash}/like");
        app.send(reqwest::Method::PUT, &like, Some(&fan.token), None, None)
            .await;
        let path = format!("/video/{hash}/comments");
        let body = json!({"text": "Nice"});
        app.send(
            reqwest::Method::POST,
            &path,
            Some(&fan.token),
            None,
            Some(body),
        )
        .await;
        let path = format!("/video/{hash}/shares");
        app.send(reqwest::Method::POST, &path, Some(&fan.token), None, None)
            .await;
    }
    let like = format!("/video/{hash}/like");
    app.send(
        reqwest::Method::DELETE,
        &like,
        Some(&fans[0].token),
        None,
        None,
    )
    .await;

    let pool = app.state.pool();
    let live = store::periods::period_stats(pool, video, period)
        .await
        .unwrap();
    assert!(live.qualified_views >= 3 && live.likes == 1 && live.shares == 2);
    let rebuilt = store::rebuild::rebuild_period(pool, period).await.unwrap();
    assert_eq!(
        rebuilt.differed,
        Vec::<i64>::new(),
        "live aggregates match the log"
    );
    assert_eq!(rebuilt.videos, 1);
    let after = store::periods::period_stats(pool, video, period)
        .await
        .unwrap();
    assert_eq!(after.qualified_views, live.qualified_views);
    assert_eq!(after.repeat_viewers, live.repeat_viewers);
    assert!((after.completion_sum - live.completion_sum).abs() < 1e-5);

    sqlx::query("UPDATE video_period_stats SET qualified_views = 999, likes = 0")
        .execute(pool)
        .await
        .unwrap();
    let rebuilt = store::rebuild::rebuild_period(pool, period).await.unwrap();
    assert_eq!(rebuilt.differed, vec![video.get()]);
    let repaired = store::periods::period_stats(pool, video, period)
        .await
        .unwrap();
    assert_eq!(
        (repaired.qualified_views, repaired.likes),
        (live.qualified_views, 1)
    );
}

#[tokio::test]
async fn rebuilding_a_period_from_the_event_log_matches_the_live_aggregates() {
    rebuilt_aggregates_match_the_live_ones(&spawn_app().await).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn rebuilding_a_period_from_the_event_log_matches_the_live_aggregates_on_postgresql() {
    let app = crate::helpers::spawn_app_on_postgres(|_| {}).await;
    rebuilt_aggregates_match_the_live_ones(&app).await;
}
