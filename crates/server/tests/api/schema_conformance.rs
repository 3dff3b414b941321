//! Status codes found by the schema fuzzer (`bench/schemathesis/run.sh`) that the server
//! answered but `/openapi.json` did not document. Each case sends the request and checks that
//! the status it gets is one the document lists for that operation.

use serde_json::Value;

use crate::helpers::spawn_app;
use crate::video_api_support::{get, json};

/// The status codes `/openapi.json` documents for `method path`.
fn documented(document: &Value, path: &str, method: &str) -> Vec<String> {
    let responses = document["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is in /openapi.json"));
    responses.keys().cloned().collect()
}

#[tokio::test]
async fn fuzzer_found_status_codes_are_documented() {
    let app = spawn_app().await;
    let document = json(get(&app, "/openapi.json", None).await).await;

    // (documented path, request, token, expected status)
    let cases: [(&str, &str, Option<&str>, u16); 7] = [
        // Creator API: a missing or invalid id is a 400 `{"error": …}`.
        ("/get-video", "/get-video", None, 400),
        ("/get-video-thumbnail", "/get-video-thumbnail", None, 400),
        ("/get-video-data", "/get-video-data", None, 400),
        (
            "/get-all-videos-data",
            "/get-all-videos-data?creator_id=0",
            None,
            400,
        ),
        (
            "/get-all-videos-thumbnails",
            "/get-all-videos-thumbnails",
            None,
            400,
        ),
        // Video API, optional authentication: a token that is not valid is a 401.
        (
            "/video/user/{user_id}",
            "/video/user/0",
            Some("not-a-token"),
            401,
        ),
        (
            "/video/watch/",
            "/video/watch/?user_id=x&hash_id=y",
            Some("not-a-token"),
            401,
        ),
    ];
    for (path, request, token, expected) in cases {
        let status = get(&app, request, token).await.status().as_u16();
        assert_eq!(status, expected, "GET {request}");
        assert!(
            documented(&document, path, "get").contains(&status.to_string()),
            "GET {path} answers {status}, which /openapi.json does not list"
        );
    }
}
