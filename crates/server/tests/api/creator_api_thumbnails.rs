//! `/get-all-videos-thumbnails`: the original's whole list by default, optional paging with
//! `limit` and `after`, and thumbnails kept as encoded data URIs so a repeated listing reads
//! neither storage nor the encoder again.

use serde_json::Value;

use crate::helpers::{CLIP, spawn_app};

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn video_ids(body: &Value) -> Vec<i64> {
    body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["video_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn thumbnails_page_with_limit_and_after_and_the_whole_list_keeps_its_shape() {
    let app = spawn_app().await;
    for title in ["one", "two", "three"] {
        app.upload_clip(CLIP, title).await;
    }
    let (status, whole) = json(app.get("/get-all-videos-thumbnails?creator_id=1").await).await;
    assert_eq!(status, 200);
    assert_eq!(video_ids(&whole), [1, 2, 3]);
    let keys: Vec<&String> = whole.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["images", "ok"],
        "the original's shape without paging"
    );

    let (_, first) = json(
        app.get("/get-all-videos-thumbnails?creator_id=1&limit=2")
            .await,
    )
    .await;
    assert_eq!(video_ids(&first), [1, 2]);
    assert_eq!(first["next_after"], 2);
    let (_, rest) = json(
        app.get("/get-all-videos-thumbnails?creator_id=1&limit=2&after=2")
            .await,
    )
    .await;
    assert_eq!(video_ids(&rest), [3]);
    assert_eq!(rest["next_after"], Value::Null);
    assert_eq!(rest["images"][0], whole["images"][2]);

    for bad in ["limit=0", "limit=101", "limit=x", "after=-1"] {
        let (status, body) = json(
            app.get(&format!("/get-all-videos-thumbnails?creator_id=1&{bad}"))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_listed_thumbnail_is_served_from_its_cached_data_uri_afterwards() {
    let app = spawn_app().await;
    let id = app.upload_clip(CLIP, "cached").await;
    let (_, before) = json(app.get("/get-all-videos-thumbnails?creator_id=1").await).await;
    // With the stored thumbnail gone, only the cache can still answer.
    let video = store::videos::find_video(app.state.pool(), domain::ids::VideoId::new(id))
        .await
        .unwrap();
    app.state.media.delete_all(&video.hash_id).await.unwrap();
    let (status, after) = json(app.get("/get-all-videos-thumbnails?creator_id=1").await).await;
    assert_eq!(status, 200);
    assert_eq!(after, before);
}
