//! Helpers for the Video API tests: authenticated requests, the signed upload round trip,
//! driving the processing queue, and inserting listed videos straight into the store.

use domain::account::Account;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use store::media_store::MediaObject;
use store::videos::{MediaFacts, NewVideo};

use crate::helpers::TestApp;

/// The exact fields of a processed video, as the seed lists them.
pub const VIDEO_FIELDS: [&str; 12] = [
    "hash_id",
    "user_id",
    "file_name",
    "upload_time",
    "title",
    "description",
    "size_in_bytes",
    "duration_seconds",
    "video_type",
    "thumbnail_url",
    "is_private",
    "listing_time",
];

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

fn with_token(request: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    with_token(app.client.get(app.url(path)), token)
        .send()
        .await
        .expect("request")
}

/// GET of an absolute URL (a link the server handed out), with optional extra headers.
pub async fn get_url(app: &TestApp, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(range) = range {
        request = request.header("Range", range);
    }
    request.send().await.expect("request")
}

pub async fn put_json(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    with_token(app.client.put(app.url(path)), token)
        .json(body)
        .send()
        .await
        .expect("request")
}

pub async fn delete(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    with_token(app.client.delete(app.url(path)), token)
        .send()
        .await
        .expect("request")
}

/// `{"detail": message}` with `status`.
pub async fn assert_detail(response: reqwest::Response, status: u16, message: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        json(response).await,
        serde_json::json!({ "detail": message })
    );
}

/// `{"error": message}` with `status`: the original service's shape of its 400s.
pub async fn assert_error(response: reqwest::Response, status: u16, message: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        json(response).await,
        serde_json::json!({ "error": message })
    );
}

pub fn query_escape(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET /video/upload/` for a file; the instructions as JSON (asserts 200).
pub async fn instructions(
    app: &TestApp,
    token: &str,
    content_type: &str,
    file_name: &str,
) -> Value {
    let path = format!(
        "/video/upload/?file_content_type={}&file_name={}",
        query_escape(content_type),
        query_escape(file_name)
    );
    let response = get(app, &path, Some(token)).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    json(response).await
}

/// Posts the form the instructions describe: every `signatures` field (`overrides` replace or
/// add some; a `None` value leaves one out), then `file`.
pub async fn post_form_with(
    app: &TestApp,
    instructions: &Value,
    overrides: &[(&str, Option<&str>)],
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut fields: Vec<(String, String)> = instructions["signatures"]
        .as_object()
        .expect("signatures")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    for (name, value) in overrides {
        fields.retain(|(k, _)| k != name);
        if let Some(value) = value {
            fields.push((name.to_string(), value.to_string()));
        }
    }
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    form = form.part("file", Part::bytes(bytes).file_name("ignored.bin"));
    app.client
        .post(instructions["url"].as_str().expect("url"))
        .multipart(form)
        .send()
        .await
        .expect("request")
}

/// Uploads `bytes` through the Video API as the token's user; returns the new `hash_id`.
pub async fn upload(
    app: &TestApp,
    token: &str,
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> String {
    let instructions = instructions(app, token, content_type, file_name).await;
    let response = post_form_with(app, &instructions, &[], bytes).await;
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
    instructions["signatures"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs queued jobs in the test's task until none is due (for apps started without workers).
pub async fn run_jobs(app: &TestApp) {
    while server::upload::worker::run_next(&app.state)
        .await
        .expect("running a job")
    {}
}

/// The caller's `/video/my/`.
pub async fn my_videos(app: &TestApp, token: &str) -> Value {
    let response = get(app, "/video/my/", Some(token)).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// Where `hash_id` is in the owner's `/video/my/`: `Ok(video)` once processed,
/// `Err(failure_reason)` while unprocessed (`Value::Null` while processing).
pub async fn my_video(app: &TestApp, token: &str, hash_id: &str) -> Result<Value, Value> {
    let my = my_videos(app, token).await;
    let find = |list: &str| {
        my[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["hash_id"] == hash_id)
            .cloned()
    };
    if let Some(video) = find("videos") {
        return Ok(video);
    }
    let unprocessed = find("unprocessed_videos").expect("the upload is listed somewhere");
    Err(unprocessed["failure_reason"].clone())
}

/// Waits (up to a minute) for the background workers to finish `hash_id`.
pub async fn wait_until_done(app: &TestApp, token: &str, hash_id: &str) -> Result<Value, Value> {
    for _ in 0..600 {
        match my_video(app, token, hash_id).await {
            Err(Value::Null) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            done => return done,
        }
    }
    panic!("{hash_id} was not processed within a minute");
}

/// Lists a processed draft through `PUT /video/my/{hash_id}` (asserts 204).
pub async fn publish(app: &TestApp, token: &str, hash_id: &str, title: &str) {
    let body = serde_json::json!({ "title": title, "description": "a test video" });
    let response = put_json(app, &format!("/video/my/{hash_id}"), Some(token), &body).await;
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
}

/// A video row straight in the store, ready, with tiny stand-in bytes for the original and
/// both thumbnails: for tests about lists and links, where real media adds nothing.
pub struct Inserted {
    pub hash_id: String,
}

pub async fn insert_video(
    app: &TestApp,
    owner: &Account,
    listed_at: Option<i64>,
    private: bool,
) -> Inserted {
    let hash_id = server::upload::publishing::new_hash_id();
    let facts = MediaFacts {
        content_type: "video/mp4".into(),
        duration_seconds: 2.4,
        width: 64,
        height: 48,
    };
    for object in MediaObject::ALL {
        app.state
            .media
            .put_bytes(&hash_id, object, b"stand-in bytes".to_vec())
            .await
            .unwrap();
    }
    let id = store::videos::insert_video(
        app.state.pool(),
        NewVideo {
            hash_id: &hash_id,
            owner: owner.id,
            file_name: &domain::text::FileName::parse("inserted.mp4").unwrap(),
            title: &domain::text::Title::parse("inserted").unwrap(),
            description: &domain::text::Description::parse("").unwrap(),
            content_type: "video/mp4",
            size_in_bytes: 14,
            facts: Some(&facts),
            uploaded_at: domain::video::Timestamp::from_micros(app.clock_now()),
            listed_at: listed_at.map(domain::video::Timestamp::from_micros),
        },
    )
    .await
    .unwrap();
    if private {
        store::videos::update_video(
            app.state.pool(),
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
    Inserted {
        hash_id: hash_id.to_string(),
    }
}

/// Bytes the built-in pipeline recognises as WebM (its EBML magic) and hands to ffmpeg.
pub fn webm_header() -> Vec<u8> {
    let mut bytes = vec![0x1A, 0x45, 0xDF, 0xA3];
    bytes.extend_from_slice(&[0u8; 256]);
    bytes
}
