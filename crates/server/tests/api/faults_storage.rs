//! Faults of the backing services, seen by a client: media storage failing in the middle of a
//! write (an object store that fails after N bytes, through `MediaStore::remote`) and a
//! database that is gone. Each surface answers 503 with `Retry-After` and a clear message in
//! its own shape, and a failed upload leaves nothing behind: no row, no object (partial or
//! whole) and no staging file.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};

use crate::helpers::{CLIP, TestApp, fixture, spawn_app, spawn_app_with_objects};
use crate::video_api_support::{instructions, post_form_with};

/// A `LocalFileSystem` whose writes fail once `budget` bytes have been written: a `put` that
/// would cross it writes nothing (puts are atomic), a multipart part that crosses it writes
/// what fits, then fails, as a store going away mid-upload does. Where it failed is recorded
/// in `failures`.
#[derive(Debug)]
struct FailingStore {
    inner: Arc<LocalFileSystem>,
    budget: Arc<AtomicU64>,
    failures: Failures,
}

type Failures = Arc<Mutex<Vec<String>>>;

fn injected(failures: &Failures, location: &Path) -> object_store::Error {
    failures.lock().unwrap().push(location.to_string());
    object_store::Error::Generic {
        store: "FailingStore",
        source: format!("injected failure writing {location}").into(),
    }
}

impl FailingStore {
    fn build(root: &std::path::Path, budget: u64, failures: &Failures) -> Arc<dyn ObjectStore> {
        Arc::new(Self {
            inner: Arc::new(LocalFileSystem::new_with_prefix(root).unwrap()),
            budget: Arc::new(AtomicU64::new(budget)),
            failures: Arc::clone(failures),
        })
    }
}

/// Takes up to `wanted` bytes of `budget`; how many were granted.
fn take(budget: &AtomicU64, wanted: u64) -> u64 {
    let mut granted = 0;
    budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            granted = left.min(wanted);
            Some(left - granted)
        })
        .unwrap();
    granted
}

impl std::fmt::Display for FailingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FailingStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FailingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let size = payload.content_length() as u64;
        if take(&self.budget, size) < size {
            return Err(injected(&self.failures, location));
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(FailingUpload {
            inner,
            budget: Arc::clone(&self.budget),
            location: location.clone(),
            failures: Arc::clone(&self.failures),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[derive(Debug)]
struct FailingUpload {
    inner: Box<dyn MultipartUpload>,
    budget: Arc<AtomicU64>,
    location: Path,
    failures: Failures,
}

#[async_trait]
impl MultipartUpload for FailingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let size = data.content_length() as u64;
        let granted = take(&self.budget, size);
        if granted == size {
            return self.inner.put_part(data);
        }
        // What fits is written, then the store fails.
        let bytes: Bytes = data.into();
        let written = self
            .inner
            .put_part(PutPayload::from(bytes.slice(..granted as usize)));
        let error = injected(&self.failures, &self.location);
        Box::pin(async move {
            let _ = written.await;
            Err(error)
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}

async fn assert_nothing_left(app: &TestApp) {
    assert_eq!(app.video_count().await, 0, "a row was created");
    assert!(
        app.stored_files().await.is_empty(),
        "files left behind: {:?}",
        app.stored_files().await
    );
}

/// The store failed once, part-way through writing a video's original.
fn assert_failed_on_the_original(failures: &Failures) {
    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].ends_with("/original"), "{failures:?}");
}

/// 503, `Retry-After`, and the body.
async fn unavailable(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    response.json().await.unwrap()
}

#[tokio::test]
async fn storage_failing_mid_way_through_a_creator_upload_is_a_503_that_leaves_nothing() {
    // Enough for both thumbnails and the HLS segments (their heads, a few KB: the media data
    // is served from the original), then the original fails part-way through.
    let clip = fixture(CLIP);
    let failures = Failures::default();
    let app = spawn_app_with_objects(
        |_| {},
        |root| FailingStore::build(root, 200_000 + clip.len() as u64 / 2, &failures),
    )
    .await;
    let response = app.upload_video("Doomed", CLIP, clip).await;
    let body = unavailable(response).await;
    assert_eq!(
        body,
        serde_json::json!({"error": "media storage is unavailable, try again shortly"})
    );
    assert_failed_on_the_original(&failures);
    assert_nothing_left(&app).await;
}

#[tokio::test]
async fn storage_refusing_the_first_write_of_a_creator_upload_is_a_503_that_leaves_nothing() {
    let failures = Failures::default();
    let app = spawn_app_with_objects(|_| {}, |root| FailingStore::build(root, 0, &failures)).await;
    let response = app.upload_video("Doomed", CLIP, fixture(CLIP)).await;
    let body = unavailable(response).await;
    assert_eq!(
        body["error"],
        "media storage is unavailable, try again shortly"
    );
    assert_eq!(failures.lock().unwrap().len(), 1, "the first write failed");
    assert_nothing_left(&app).await;
}

#[tokio::test]
async fn storage_failing_mid_way_through_a_video_api_upload_is_a_503_that_leaves_nothing() {
    let clip = fixture(CLIP);
    let failures = Failures::default();
    let app = spawn_app_with_objects(
        |settings| settings.processing_workers = 0,
        |root| FailingStore::build(root, clip.len() as u64 / 2, &failures),
    )
    .await;
    let user = app.create_user("stella").await;
    let form = instructions(&app, &user.token, "video/mp4", CLIP).await;
    let response = post_form_with(&app, &form, &[], clip).await;
    let body = unavailable(response).await;
    assert_eq!(
        body,
        serde_json::json!({"detail": "media storage is unavailable, try again shortly"})
    );
    assert_failed_on_the_original(&failures);
    assert_nothing_left(&app).await;
    let jobs: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs")
        .fetch_one(app.state.pool())
        .await
        .unwrap();
    assert_eq!(jobs.0, 0, "no job was queued");
}

#[tokio::test]
async fn a_database_that_is_gone_is_a_503_on_both_surfaces() {
    let app = spawn_app().await;
    let user = app.create_user("dora").await;
    app.state.db.close().await;

    let creator = unavailable(app.get("/get-creator-data?creator_id=1").await).await;
    assert_eq!(
        creator,
        serde_json::json!({"error": "the database is unavailable, try again shortly"})
    );
    let response = app
        .client
        .get(app.url("/video/my/"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let video = unavailable(response).await;
    assert_eq!(
        video,
        serde_json::json!({"detail": "the database is unavailable, try again shortly"})
    );
    let explore = unavailable(app.get("/video/explore/").await).await;
    assert_eq!(
        explore["detail"],
        "the database is unavailable, try again shortly"
    );
}
