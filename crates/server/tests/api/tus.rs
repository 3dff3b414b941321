//! Resumable uploads over tus 1.0 at `/tus/`, through the real router: discovery, creation
//! (with and without first bytes), offsets, the 409 / 415 / 460 / 413 / 423 refusals,
//! termination, expiry and its sweep, auth, the per-account bound, a connection cut
//! mid-request, and a full upload that becomes a ready video with exactly the uploaded bytes
//! (on local storage, on an object store, on PostgreSQL).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::Method;
use tokio::io::AsyncWriteExt;

use crate::helpers::spawn_app_with_objects;
use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_on_postgres, spawn_app_with};
use crate::video_api_support::*;

const OCTETS: &str = "application/offset+octet-stream";

fn metadata(file_name: &str, title: Option<&str>) -> String {
    let mut pairs = vec![format!("filename {}", STANDARD.encode(file_name))];
    if let Some(title) = title {
        pairs.push(format!("title {}", STANDARD.encode(title)));
    }
    pairs.join(",")
}

/// A tus client speaking for one account.
struct Tus<'a> {
    app: &'a TestApp,
    token: String,
    account: domain::account::Account,
}

impl Tus<'_> {
    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, url)
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    async fn create(&self, length: u64, file_name: &str) -> reqwest::Response {
        self.request(Method::POST, &self.app.url("/tus/"))
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata(file_name, None))
            .send()
            .await
            .unwrap()
    }

    /// Creates an upload; returns its absolute URL.
    async fn created(&self, length: u64) -> String {
        let response = self.create(length, CLIP).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn head(&self, url: &str) -> reqwest::Response {
        self.request(Method::HEAD, url).send().await.unwrap()
    }

    async fn offset(&self, url: &str) -> u64 {
        let response = self.head(url).await;
        assert_eq!(response.status(), 200);
        response.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn patch(&self, url: &str, offset: u64, bytes: &[u8]) -> reqwest::Response {
        self.request(Method::PATCH, url)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", OCTETS)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Uploads `bytes` in `piece`-byte PATCHes; returns the last response.
    async fn upload_in_pieces(&self, url: &str, bytes: &[u8], piece: usize) -> reqwest::Response {
        let mut offset = 0;
        loop {
            let end = (offset + piece).min(bytes.len());
            let response = self.patch(url, offset as u64, &bytes[offset..end]).await;
            assert_eq!(response.status(), 204, "{:?}", response.text().await);
            assert_eq!(
                response.headers()["upload-offset"],
                end.to_string().as_str()
            );
            offset = end;
            if offset == bytes.len() {
                return response;
            }
            assert_eq!(self.offset(url).await, offset as u64);
        }
    }
}

async fn client<'a>(app: &'a TestApp, name: &str) -> Tus<'a> {
    let user = app.create_user(name).await;
    Tus {
        app,
        token: user.token,
        account: user.account,
    }
}

/// Files under the data directory's staging/resumable (partial uploads).
fn partial_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let dir = app.data_dir.path().join("staging/resumable");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect()
}

async fn upload_rows(app: &TestApp) -> i64 {
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tus_uploads")
        .fetch_one(app.state.pool())
        .await
        .unwrap();
    row.0
}

/// Uploads the clip in pieces as `tus`'s account; checks it becomes a ready video whose
/// watchable bytes are exactly the clip's.
async fn a_full_upload_becomes_a_ready_video_with_the_same_bytes(app: &TestApp, tus: &Tus<'_>) {
    let clip = fixture(CLIP);
    let url = tus.created(clip.len() as u64).await;
    assert!(url.starts_with(&app.address), "absolute: {url}");
    assert_eq!(tus.offset(&url).await, 0);
    let last = tus.upload_in_pieces(&url, &clip, 300 * 1024).await;
    let hash_id = last.headers()["reelshare-video-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // The upload is over: it no longer exists as an upload.
    assert_eq!(tus.head(&url).await.status(), 404);
    assert!(partial_files(app).is_empty());

    let video = wait_until_done(app, &tus.token, &hash_id)
        .await
        .expect("processed");
    assert_eq!(video["title"], CLIP);
    publish(app, &tus.token, &hash_id, "Resumed").await;
    let user_id = &tus.account.public_id;
    let watch = json(
        get(
            app,
            &format!("/video/watch/?user_id={user_id}&hash_id={hash_id}"),
            None,
        )
        .await,
    )
    .await;
    let link = watch["watchable_url"].as_str().unwrap().to_owned();
    let bytes = get_url(app, &link, None).await.bytes().await.unwrap();
    assert!(bytes.as_ref() == clip.as_slice(), "the exact bytes");
}

#[tokio::test]
async fn options_names_the_version_extensions_size_limit_and_checksums() {
    let app = spawn_app_with(|settings| settings.max_upload_bytes = 12345).await;
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/tus/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(headers["tus-version"], "1.0.0");
    assert_eq!(headers["tus-max-size"], "12345");
    let extensions = headers["tus-extension"].to_str().unwrap();
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(extensions.split(',').any(|e| e == extension), "{extension}");
    }
    assert!(
        headers["tus-checksum-algorithm"]
            .to_str()
            .unwrap()
            .contains("sha1")
    );

    // A browser's preflight for a PATCH gets the same answer, allowing the tus headers, and
    // responses expose the tus headers to scripts.
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/tus/abcdabcdabcdabcd"))
        .header("Origin", "https://studio.example.org")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "tus-resumable,upload-offset",
        )
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allowed.contains("PATCH"), "{allowed}");
    let tus = client(&app, "cors").await;
    let created = tus
        .request(Method::POST, &app.url("/tus/"))
        .header("Origin", "https://studio.example.org")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata("a.mp4", None))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let exposed = created.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "location",
        "upload-offset",
        "upload-length",
        "upload-expires",
        "tus-resumable",
    ] {
        assert!(exposed.contains(header), "{header} in {exposed}");
    }
}

#[tokio::test]
async fn a_created_upload_reports_its_offset_length_metadata_and_expiry() {
    let app = spawn_app().await;
    let tus = client(&app, "ada").await;
    let url = tus.created(1000).await;
    let head = tus.head(&url).await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["tus-resumable"], "1.0.0");
    assert_eq!(head.headers()["upload-offset"], "0");
    assert_eq!(head.headers()["upload-length"], "1000");
    assert_eq!(
        head.headers()["upload-metadata"],
        metadata(CLIP, None).as_str()
    );
    assert_eq!(head.headers()["cache-control"], "no-store");
    assert!(
        head.headers()["upload-expires"]
            .to_str()
            .unwrap()
            .ends_with(" GMT")
    );

    let response = tus.patch(&url, 0, &[7u8; 400]).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["upload-offset"], "400");
    assert!(response.headers().contains_key("upload-expires"));
    assert_eq!(tus.offset(&url).await, 400);
    assert_eq!(upload_rows(&app).await, 1);
}

#[tokio::test]
async fn creation_with_upload_stores_the_first_bytes() {
    let app = spawn_app().await;
    let tus = client(&app, "bea").await;
    let response = tus
        .request(Method::POST, &app.url("/tus/"))
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(CLIP, Some("First bytes")))
        .header("Content-Type", OCTETS)
        .body(vec![1u8; 600])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["upload-offset"], "600");
    let url = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(tus.offset(&url).await, 600);

    // First bytes that do not match their checksum: the upload exists, with none of them.
    let response = tus
        .request(Method::POST, &app.url("/tus/"))
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(CLIP, None))
        .header("Content-Type", OCTETS)
        .header("Upload-Checksum", "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
        .body(vec![1u8; 600])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["upload-offset"], "0");
    let url = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(tus.offset(&url).await, 0);
    // A body declared longer than the upload is refused before anything is created.
    let response = tus
        .request(Method::POST, &app.url("/tus/"))
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata(CLIP, None))
        .header("Content-Type", OCTETS)
        .body(vec![1u8; 11])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(upload_rows(&app).await, 2);
}

#[tokio::test]
async fn a_patch_at_the_wrong_offset_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let tus = client(&app, "cyd").await;
    let url = tus.created(1000).await;
    assert_eq!(tus.patch(&url, 0, &[1u8; 100]).await.status(), 204);
    assert_eq!(tus.patch(&url, 0, &[2u8; 100]).await.status(), 409);
    assert_eq!(tus.patch(&url, 200, &[2u8; 100]).await.status(), 409);
    assert_eq!(tus.offset(&url).await, 100);
}

#[tokio::test]
async fn a_patch_that_is_not_an_offset_octet_stream_is_refused() {
    let app = spawn_app().await;
    let tus = client(&app, "dan").await;
    let url = tus.created(1000).await;
    let response = tus
        .request(Method::PATCH, &url)
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/octet-stream")
        .body(vec![1u8; 100])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(tus.offset(&url).await, 0);
}

#[tokio::test]
async fn a_checksum_mismatch_is_460_and_keeps_none_of_that_request() {
    let app = spawn_app().await;
    let tus = client(&app, "eve").await;
    let url = tus.created(6).await;
    let patch_with = |bytes: &'static [u8], checksum: &str| {
        tus.request(Method::PATCH, &url)
            .header("Upload-Offset", "0")
            .header("Content-Type", OCTETS)
            .header("Upload-Checksum", checksum.to_owned())
            .body(bytes)
            .send()
    };
    // sha1("abc") is qZk+NkcGgWq6PiVxeFDCbJzQ2J0=
    let wrong = patch_with(b"abd", "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 460);
    assert_eq!(tus.offset(&url).await, 0);
    let unknown = patch_with(b"abc", "crc32 AAAAAA==").await.unwrap();
    assert_eq!(unknown.status(), 400);
    let right = patch_with(b"abc", "sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
        .await
        .unwrap();
    assert_eq!(right.status(), 204);
    assert_eq!(tus.offset(&url).await, 3);
}

#[tokio::test]
async fn termination_leaves_no_row_and_no_file() {
    let app = spawn_app().await;
    let tus = client(&app, "fay").await;
    let url = tus.created(1000).await;
    assert_eq!(tus.patch(&url, 0, &[1u8; 500]).await.status(), 204);
    assert_eq!(partial_files(&app).len(), 1);
    let deleted = tus.request(Method::DELETE, &url).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(tus.head(&url).await.status(), 404);
    assert_eq!(tus.patch(&url, 500, &[1u8; 10]).await.status(), 404);
    assert!(partial_files(&app).is_empty());
    assert_eq!(upload_rows(&app).await, 0);
}

#[tokio::test]
async fn an_expired_upload_is_gone_then_swept_leaving_nothing() {
    let app = spawn_app_with(|settings| {
        settings.tus_expiry = std::time::Duration::from_secs(24 * 3600);
    })
    .await;
    let tus = client(&app, "gus").await;
    let url = tus.created(1000).await;
    assert_eq!(tus.patch(&url, 0, &[1u8; 500]).await.status(), 204);
    // A PATCH moves the expiry on: an hour before it, the upload is alive.
    app.clock.advance(std::time::Duration::from_secs(23 * 3600));
    // (The test user's token lasts an hour of the test clock: a fresh one.)
    let tus = Tus {
        token: app.create_token_for(&tus.account).await,
        ..tus
    };
    assert_eq!(
        server::tus::sweep::sweep_expired(&app.state).await.unwrap(),
        0
    );
    assert_eq!(tus.offset(&url).await, 500);

    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    assert_eq!(tus.head(&url).await.status(), 410);
    assert_eq!(tus.patch(&url, 500, &[1u8; 10]).await.status(), 410);
    assert_eq!(
        server::tus::sweep::sweep_expired(&app.state).await.unwrap(),
        1
    );
    assert_eq!(tus.head(&url).await.status(), 404);
    assert!(partial_files(&app).is_empty());
    assert_eq!(upload_rows(&app).await, 0);
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}

#[tokio::test]
async fn uploads_need_a_token_the_protocol_version_and_their_owner() {
    let app = spawn_app().await;
    let tus = client(&app, "hal").await;
    let url = tus.created(1000).await;

    let anonymous = app
        .client
        .post(app.url("/tus/"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", metadata("a.mp4", None))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let bad_token = app
        .client
        .head(&url)
        .bearer_auth("not-a-token")
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 401);

    let no_version = app
        .client
        .head(&url)
        .bearer_auth(&tus.token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 412);
    assert_eq!(no_version.headers()["tus-version"], "1.0.0");

    // Someone else's upload does not exist for them.
    let other = client(&app, "ida").await;
    assert_eq!(other.head(&url).await.status(), 404);
    assert_eq!(other.patch(&url, 0, &[1u8; 10]).await.status(), 404);
    let delete = other.request(Method::DELETE, &url).send().await.unwrap();
    assert_eq!(delete.status(), 404);
    assert_eq!(tus.offset(&url).await, 0);

    // Metadata must name the file.
    let unnamed = tus
        .request(Method::POST, &app.url("/tus/"))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(unnamed.status(), 400);
}

#[tokio::test]
async fn the_size_limit_holds_at_creation_and_as_bytes_arrive() {
    let app = spawn_app_with(|settings| settings.max_upload_bytes = 1000).await;
    let tus = client(&app, "jo").await;
    assert_eq!(tus.create(1001, CLIP).await.status(), 413);
    assert_eq!(upload_rows(&app).await, 0);

    let url = tus.created(1000).await;
    assert_eq!(tus.patch(&url, 0, &[1u8; 600]).await.status(), 204);
    // Declared too long…
    assert_eq!(tus.patch(&url, 600, &[1u8; 401]).await.status(), 413);
    // …or found too long while streaming (no Content-Length).
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(vec![1u8; 300])),
        Ok(Bytes::from(vec![1u8; 300])),
    ];
    let streamed = tus
        .request(Method::PATCH, &url)
        .header("Upload-Offset", "600")
        .header("Content-Type", OCTETS)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
    assert_eq!(tus.offset(&url).await, 600);
}

#[tokio::test]
async fn an_account_may_have_only_so_many_unfinished_uploads() {
    let app = spawn_app_with(|settings| settings.tus_max_open_uploads = 2).await;
    let tus = client(&app, "kim").await;
    let first = tus.created(100).await;
    tus.created(100).await;
    assert_eq!(tus.create(100, CLIP).await.status(), 429);
    // Another account has its own allowance; a terminated upload frees one.
    client(&app, "lou").await.created(100).await;
    let deleted = tus.request(Method::DELETE, &first).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    tus.created(100).await;
}

#[tokio::test]
async fn a_second_patch_while_one_is_writing_is_locked_out() {
    let app = spawn_app().await;
    let tus = client(&app, "max").await;
    let checkpoint = 4 << 20;
    let url = tus.created(2 * checkpoint).await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(tokio_stream_of(receiver));
    let first = tus
        .request(Method::PATCH, &url)
        .header("Upload-Offset", "0")
        .header("Content-Type", OCTETS)
        .body(body)
        .send();
    let first = tokio::spawn(first);
    sender
        .send(Ok(Bytes::from(vec![1u8; checkpoint as usize])))
        .await
        .unwrap();
    // A checkpoint's worth of bytes is recorded while the first request is still open…
    let mut offset = 0;
    for _ in 0..1000 {
        offset = tus.offset(&url).await;
        if offset == checkpoint {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(offset, checkpoint);
    // …so it holds the upload, and a second request is refused at once.
    assert_eq!(tus.patch(&url, checkpoint, &[2u8; 10]).await.status(), 423);
    sender.send(Ok(Bytes::from(vec![1u8; 100]))).await.unwrap();
    drop(sender);
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), 204);
    let expected = (checkpoint + 100).to_string();
    assert_eq!(first.headers()["upload-offset"], expected.as_str());
}

/// A stream of what `receiver` gets, ending when its sender is dropped.
fn tokio_stream_of(
    receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

#[tokio::test]
async fn a_connection_cut_mid_patch_keeps_the_bytes_that_arrived() {
    let app = spawn_app().await;
    let tus = client(&app, "ned").await;
    let url = tus.created(100_000).await;
    let path = url.strip_prefix(&app.address).unwrap().to_owned();
    let address = app.address.strip_prefix("http://").unwrap().to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: {OCTETS}\r\n\
         Content-Length: 100000\r\n\r\n",
        tus.token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&[9u8; 30_000]).await.unwrap();
    socket.flush().await.unwrap();
    drop(socket);
    // The server notices the cut and records what arrived.
    let mut offset = 0;
    for _ in 0..500 {
        offset = tus.offset(&url).await;
        if offset == 30_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(offset, 30_000);
    assert_eq!(tus.patch(&url, 30_000, &[9u8; 70_000]).await.status(), 204);
}

#[tokio::test]
async fn a_full_upload_in_pieces_becomes_a_ready_video_with_the_same_bytes() {
    let app = spawn_app().await;
    let tus = client(&app, "ola").await;
    a_full_upload_becomes_a_ready_video_with_the_same_bytes(&app, &tus).await;
}

#[tokio::test]
async fn a_full_upload_on_an_object_store_becomes_a_ready_video() {
    let app = spawn_app_with_objects(
        |_| {},
        |root| {
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(root).unwrap())
                as Arc<dyn object_store::ObjectStore>
        },
    )
    .await;
    let tus = client(&app, "pam").await;
    a_full_upload_becomes_a_ready_video_with_the_same_bytes(&app, &tus).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn a_full_upload_on_postgres_becomes_a_ready_video() {
    let app = spawn_app_on_postgres(|_| {}).await;
    let tus = client(&app, "quy").await;
    a_full_upload_becomes_a_ready_video_with_the_same_bytes(&app, &tus).await;
}
