//! The visibility matrix: a private video, a draft, an upload still processing and a failed
//! one are never returned to, nor streamable by, another user or an anonymous caller, through
//! any endpoint of either API. Their owner still sees what the rules give them.

use serde_json::{Value, json};

use crate::helpers::{CLIP, TestApp, TestUser, fixture, spawn_app_with};
use crate::video_api_support::*;

struct Hidden {
    label: &'static str,
    id: i64,
    hash_id: String,
}

/// Video API upload of a fixture, processed; listed (and made private) when asked.
async fn processed_clip(app: &TestApp, token: &str, listed: bool, private: bool) -> String {
    let hash_id = upload(
        app,
        token,
        "h264-baseline.mp4",
        "video/mp4",
        fixture("h264-baseline.mp4"),
    )
    .await;
    run_jobs(app).await;
    if listed {
        publish(app, token, &hash_id, "shown").await;
    }
    if private && listed {
        let path = format!("/video/my/{hash_id}");
        let response = put_json(app, &path, Some(token), &json!({"is_private": true})).await;
        assert_eq!(response.status(), 204);
    }
    if private && !listed {
        // The API cannot make a draft private (its first update lists it); the store can.
        let id = domain::ids::VideoId::new(video_id(app, &hash_id).await);
        let edit = store::videos::VideoEdit {
            title: None,
            description: None,
            is_private: Some(true),
            list_at: None,
        };
        store::videos::update_video(app.state.pool(), id, edit)
            .await
            .unwrap();
    }
    hash_id
}

async fn video_id(app: &TestApp, hash_id: &str) -> i64 {
    let hash_id = domain::ids::HashId::parse(hash_id).unwrap();
    store::videos::find_video_by_hash(app.state.pool(), &hash_id)
        .await
        .unwrap()
        .id
        .get()
}

fn hashes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["hash_id"].as_str().unwrap().to_owned())
        .collect()
}

fn video_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["video_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn private_videos_drafts_and_unfinished_uploads_are_visible_to_their_owner_only() {
    let app = spawn_app_with(|settings| settings.processing_workers = 0).await;
    let alice = app.create_user("alice").await;
    let bob = app.create_user("bob").await;
    let a = alice.token.as_str();

    let public = processed_clip(&app, a, true, false).await;
    let private = processed_clip(&app, a, true, true).await;
    let draft = processed_clip(&app, a, false, false).await;
    let private_draft = processed_clip(&app, a, false, true).await;
    let processing = upload(&app, a, "later.mp4", "video/mp4", fixture(CLIP)).await;
    let failed = upload(&app, a, "bad.mp4", "video/mp4", b"not a video".repeat(50)).await;
    let processing_id = video_id(&app, &processing).await;
    let failed_id = video_id(&app, &failed).await;

    let mut hidden = vec![
        Hidden {
            label: "private",
            id: video_id(&app, &private).await,
            hash_id: private.clone(),
        },
        Hidden {
            label: "draft",
            id: video_id(&app, &draft).await,
            hash_id: draft.clone(),
        },
        Hidden {
            label: "private draft",
            id: video_id(&app, &private_draft).await,
            hash_id: private_draft.clone(),
        },
        Hidden {
            label: "processing",
            id: processing_id,
            hash_id: processing.clone(),
        },
        Hidden {
            label: "failed",
            id: failed_id,
            hash_id: failed.clone(),
        },
    ];
    let public_id = video_id(&app, &public).await;

    let world = World {
        app: &app,
        alice: &alice,
        bob: &bob,
        public: public.clone(),
        public_id,
    };
    world.check("before processing", &hidden).await;

    run_jobs(&app).await;
    // The upload that was processing is now a draft; the failed one failed.
    assert!(my_video(&app, a, &processing).await.is_ok());
    assert_eq!(
        my_video(&app, a, &failed).await,
        Err(json!("Corrupted/Invalid file"))
    );
    hidden[3].label = "processed draft";
    world.check("after processing", &hidden).await;

    // The owner: every own video in /video/my/, private ones in their own feed, drafts
    // through the Creator API with the token, and signed links that work.
    let my = my_videos(&app, a).await;
    assert_eq!(my["videos"].as_array().unwrap().len(), 5);
    assert_eq!(hashes(&my["unprocessed_videos"]), vec![failed.clone()]);
    for video in my["videos"].as_array().unwrap() {
        let url = video["thumbnail_url"].as_str().unwrap();
        assert_eq!(get_url(&app, url, None).await.status(), 200, "{url}");
    }
    let own_feed = json(
        get(
            &app,
            &format!("/video/user/{}", alice.account.public_id),
            Some(a),
        )
        .await,
    )
    .await;
    let mut feed = hashes(&own_feed["videos"]);
    feed.sort();
    let mut listed = vec![public.clone(), private.clone()];
    listed.sort();
    assert_eq!(feed, listed);
    let watch = format!(
        "/video/watch/?user_id={}&hash_id={private}",
        alice.account.public_id
    );
    let record = json(get(&app, &watch, Some(a)).await).await;
    assert!(
        record["video"]["thumbnail_url"]
            .as_str()
            .unwrap()
            .contains("sig=")
    );
    let link = record["watchable_url"].as_str().unwrap();
    assert_eq!(get_url(&app, link, Some("bytes=0-9")).await.status(), 206);
    let data = get(
        &app,
        &format!("/get-all-videos-data?creator_id={}", alice.account.id.get()),
        Some(a),
    )
    .await;
    assert_eq!(video_ids(&json(data).await).len(), 5);
    let own_draft = format!("/get-video?video_id={}", hidden[1].id);
    assert_eq!(get(&app, &own_draft, Some(a)).await.status(), 200);
}

struct World<'a> {
    app: &'a TestApp,
    alice: &'a TestUser,
    bob: &'a TestUser,
    public: String,
    public_id: i64,
}

impl World<'_> {
    /// Every endpoint of both APIs, as an anonymous caller and as bob.
    async fn check(&self, phase: &str, hidden: &[Hidden]) {
        let (app, alice, public, public_id) = (self.app, self.alice, &self.public, self.public_id);
        for (who, token) in [("anonymous", None), ("bob", Some(self.bob.token.as_str()))] {
            let context = format!("{phase}, {who}");
            // Video API lists.
            let explore = json(get(app, "/video/explore/", token).await).await;
            assert_eq!(
                hashes(&explore["videos"]),
                vec![public.clone()],
                "{context}: explore"
            );
            let user_path = format!("/video/user/{}", alice.account.public_id);
            let feed = json(get(app, &user_path, token).await).await;
            assert_eq!(
                hashes(&feed["videos"]),
                vec![public.clone()],
                "{context}: user feed"
            );
            if let Some(token) = token {
                let my = my_videos(app, token).await;
                assert_eq!(
                    my,
                    json!({"unprocessed_videos": [], "videos": []}),
                    "{context}"
                );
            }
            // Creator API lists.
            let creator = alice.account.id.get();
            let data = get(
                app,
                &format!("/get-all-videos-data?creator_id={creator}"),
                token,
            )
            .await;
            assert_eq!(
                video_ids(&json(data).await),
                vec![public_id],
                "{context}: all data"
            );
            let thumbs = get(
                app,
                &format!("/get-all-videos-thumbnails?creator_id={creator}"),
                token,
            )
            .await;
            assert_eq!(
                video_ids(&json(thumbs).await["images"]),
                vec![public_id],
                "{context}"
            );

            for video in hidden {
                let context = format!("{context}: {}", video.label);
                // Video API single reads and links.
                let watch = format!(
                    "/video/watch/?user_id={}&hash_id={}",
                    alice.account.public_id, video.hash_id
                );
                let expected = if video.label == "private" { 403 } else { 404 };
                assert_eq!(
                    get(app, &watch, token).await.status(),
                    expected,
                    "{context}: watch"
                );
                let thumb = format!("/media/{}/thumbnail.jpg", video.hash_id);
                assert_eq!(
                    get(app, &thumb, token).await.status(),
                    404,
                    "{context}: thumbnail"
                );
                let original = format!("/media/{}/original", video.hash_id);
                assert_eq!(
                    get(app, &original, token).await.status(),
                    403,
                    "{context}: original"
                );
                if let Some(token) = token {
                    let path = format!("/video/my/{}", video.hash_id);
                    let body = json!({"title": "x", "description": "y"});
                    let put = put_json(app, &path, Some(token), &body).await;
                    assert_eq!(put.status(), 404, "{context}: put");
                    let deleted = delete(app, &path, Some(token)).await;
                    assert_eq!(deleted.status(), 404, "{context}: delete");
                }
                // Creator API single reads.
                for endpoint in ["/get-video", "/get-video-data", "/get-video-thumbnail"] {
                    let path = format!("{endpoint}?video_id={}", video.id);
                    let status = get(app, &path, token).await.status();
                    assert_eq!(status, 404, "{context}: {endpoint}");
                }
            }
        }
    }
}
