//! The test harness: `spawn_app()` starts the real router on a random port with a fresh SQLite
//! database and media directory in a temporary folder (or a fresh PostgreSQL schema with
//! `spawn_app_on_postgres()`), a manual clock, and request helpers. Its settings' `bind` is the
//! real address, so the links it hands out work; Creator API uploads go as creator 1 with its
//! token.
//!
//! One suite, three configurations, chosen by `REELSHARE_TEST_CONFIG`: `sqlite-local` (the
//! default), `postgres-local` (a fresh schema per test in `DATABASE_URL`), `postgres-s3` (also
//! a fresh bucket per test on the S3 server in `REELSHARE_TEST_S3_ENDPOINT`, started by
//! `bench/s3/start.sh`).

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use server::clock::ManualClock;
use server::settings::Settings;
use server::state::AppState;
use tempfile::TempDir;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub data_dir: TempDir,
    /// A live token of creator 1 (the seeded default creator), when there is one.
    pub creator_token: Option<String>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The fixture most tests upload: H.264 High with B-frames and AAC, 360×640, 10 s at 30 fps,
/// moov first; the closest of the fixtures to a phone clip (`testdata/README.md`).
pub const CLIP: &str = "h264-high-bframes.mp4";
/// Its duration in seconds.
pub const CLIP_SECONDS: f64 = 10.0;

/// A committed fixture from `testdata/` at the repository root, as bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {}: {e} (testdata/make.sh makes it)",
            path.display()
        )
    })
}

/// The directory of the real phone clips (`clip-a.mp4`, …): `shared/media/` beside the
/// repository, or `REELSHARE_SAMPLE_MEDIA`. Not part of the repository, so only `#[ignore]`d
/// tests use it.
pub fn phone_clip_dir() -> PathBuf {
    let dir = std::env::var_os("REELSHARE_SAMPLE_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media"));
    assert!(
        dir.join("clip-a.mp4").is_file(),
        "the phone clips are not in {} (set REELSHARE_SAMPLE_MEDIA)",
        dir.display()
    );
    dir
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let config = TestConfig::from_env();
    spawn_configured(config.postgres, config.s3, configure).await
}

/// The configuration the suite runs under (`REELSHARE_TEST_CONFIG`).
#[derive(Debug, Clone, Copy)]
pub struct TestConfig {
    pub postgres: bool,
    pub s3: bool,
}

impl TestConfig {
    pub fn from_env() -> Self {
        let name = std::env::var("REELSHARE_TEST_CONFIG").unwrap_or_default();
        match name.as_str() {
            "" | "sqlite-local" => Self {
                postgres: false,
                s3: false,
            },
            "postgres-local" => Self {
                postgres: true,
                s3: false,
            },
            "postgres-s3" => Self {
                postgres: true,
                s3: true,
            },
            other => panic!(
                "REELSHARE_TEST_CONFIG={other:?}: expected sqlite-local, postgres-local or postgres-s3"
            ),
        }
    }
}

async fn spawn_configured(
    postgres: bool,
    s3: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = Settings::for_data_dir(data_dir.path());
    settings.media.ffmpeg = media::FfmpegMode::Disabled;
    if postgres {
        settings.database_url = fresh_postgres_schema().await;
    }
    if s3 {
        settings.storage = server::settings::Storage::S3(fresh_bucket().await);
    }
    configure(&mut settings);
    start(settings, data_dir, None).await
}

/// The S3 server the tests use (`bench/s3/start.sh` prints these variables), on no bucket.
pub fn test_s3_server() -> store::s3::S3Settings {
    let var = |name: &str| {
        std::env::var(format!("REELSHARE_TEST_S3_{name}")).unwrap_or_else(|_| {
            panic!("REELSHARE_TEST_S3_{name} must be set (eval \"$(bench/s3/start.sh)\")")
        })
    };
    store::s3::S3Settings {
        endpoint: Some(var("ENDPOINT")),
        bucket: String::new(),
        region: std::env::var("REELSHARE_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".into()),
        access_key_id: Some(var("ACCESS_KEY_ID")),
        secret_access_key: Some(store::s3::Secret::new(var("SECRET_ACCESS_KEY"))),
        path_style: true,
    }
}

/// A new, empty bucket on the test S3 server (made with a signed `CreateBucket`).
pub async fn fresh_bucket() -> store::s3::S3Settings {
    use object_store::signer::Signer;
    let mut s3 = test_s3_server();
    s3.bucket = format!("test-{}", uuid::Uuid::new_v4().simple());
    let client = s3.connect().expect("an S3 client");
    let url = client
        .signed_url(
            reqwest::Method::PUT,
            &object_store::path::Path::from(""),
            std::time::Duration::from_secs(60),
        )
        .await
        .expect("signing CreateBucket");
    let response = reqwest::Client::new()
        .put(url.as_str())
        .send()
        .await
        .expect("CreateBucket");
    assert!(
        response.status().is_success(),
        "CreateBucket {}: {:?}",
        s3.bucket,
        response.text().await
    );
    s3
}

/// A fresh schema of the PostgreSQL database in `DATABASE_URL`; the URL that uses it.
async fn fresh_postgres_schema() -> String {
    let admin_url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL database for this test");
    let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&admin_url)
        .await
        .expect("connecting to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("creating a test schema");
    admin.close().await;
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    format!("{admin_url}{separator}options=-c%20search_path%3D{schema}")
}

/// Like [`spawn_app_with`], with the media bytes in the object store `objects` makes (given
/// the media directory, e.g. to root a `LocalFileSystem` there), through
/// `MediaStore::remote`: the way a deployment on S3 stores them.
pub async fn spawn_app_with_objects(
    configure: impl FnOnce(&mut Settings),
    objects: impl FnOnce(&std::path::Path) -> Arc<dyn object_store::ObjectStore>,
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = Settings::for_data_dir(data_dir.path());
    settings.media.ffmpeg = media::FfmpegMode::Disabled;
    // The database follows `REELSHARE_TEST_CONFIG`; the media store is `objects`.
    if TestConfig::from_env().postgres {
        settings.database_url = fresh_postgres_schema().await;
    }
    configure(&mut settings);
    std::fs::create_dir_all(settings.media_dir()).expect("media directory");
    let objects = objects(&settings.media_dir());
    start(settings, data_dir, Some(objects)).await
}

/// Like [`spawn_app_with`], with media in a local directory whatever `REELSHARE_TEST_CONFIG`
/// says (the database follows it): for tests that break or inspect the directory itself.
pub async fn spawn_app_on_local_disk(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_configured(TestConfig::from_env().postgres, false, configure).await
}

/// Like [`spawn_app_with`], on a fresh schema of the PostgreSQL database in `DATABASE_URL`.
/// Media storage follows `REELSHARE_TEST_CONFIG`.
pub async fn spawn_app_on_postgres(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_configured(true, TestConfig::from_env().s3, configure).await
}

async fn start(
    mut settings: Settings,
    data_dir: TempDir,
    objects: Option<Arc<dyn object_store::ObjectStore>>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Without a public_url, links are built from the bind address.
    settings.bind = listener.local_addr().unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let mut state = server::build_state(settings, clock.clone())
        .await
        .expect("building the app state");
    if let Some(objects) = objects {
        state.media =
            store::media_store::MediaStore::remote(objects, &state.settings.staging_dir())
                .expect("the object store");
    }
    let creator_token = default_creator_token(&state, clock.as_ref()).await;
    let address = format!("http://{}", listener.local_addr().unwrap());
    let serving = state.clone();
    let server = tokio::spawn(async move {
        server::run(listener, serving, std::future::pending())
            .await
            .expect("server runs");
    });
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        state,
        data_dir,
        creator_token,
        server,
    }
}

/// A token for creator 1 valid for ten years of the test's clock, if creator 1 exists.
async fn default_creator_token(state: &AppState, clock: &ManualClock) -> Option<String> {
    use server::clock::Clock;
    let creator = domain::ids::AccountId::new(1);
    store::accounts::find_account(state.pool(), creator)
        .await
        .ok()?;
    let (token, hash) = server::http::auth::new_token();
    let now = clock.now().as_micros();
    let ten_years = 10 * 366 * 24 * 3_600_000_000;
    store::accounts::insert_token(state.pool(), &hash, creator, now, now + ten_years)
        .await
        .expect("inserting a token");
    Some(token)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// `POST /upload-video` with the given form fields and creator 1's token; `file` is
    /// (file name, bytes).
    pub async fn upload_form(
        &self,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> reqwest::Response {
        let mut form = Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        if let Some((file_name, bytes)) = file {
            form = form.part("file", Part::bytes(bytes).file_name(file_name.to_string()));
        }
        self.creator_request(self.client.post(self.url("/upload-video")))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// `request` with creator 1's token, when there is one.
    pub fn creator_request(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.creator_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Uploads `bytes` as creator 1 through the Creator API; returns the response.
    pub async fn upload_video(
        &self,
        title: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.upload_form(
            &[("creator_id", "1"), ("title", title)],
            Some((file_name, bytes)),
        )
        .await
    }

    /// Uploads a fixture as creator 1 and returns its `video_id`.
    pub async fn upload_clip(&self, fixture_name: &str, title: &str) -> i64 {
        let response = self
            .upload_video(title, fixture_name, fixture(fixture_name))
            .await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        let body: serde_json::Value = response.json().await.unwrap();
        body["video_id"].as_i64().unwrap()
    }

    /// Stored media objects (on whichever storage) and files in the staging directory (to
    /// prove nothing was left behind); objects as `videos/<hash_id>/<name>`.
    pub async fn stored_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out)
                } else {
                    out.push(path)
                }
            }
        }
        let mut files: Vec<PathBuf> = self
            .state
            .media
            .keys()
            .await
            .expect("listing stored objects")
            .into_iter()
            .map(PathBuf::from)
            .collect();
        walk(&self.data_dir.path().join("staging"), &mut files);
        files
    }

    pub async fn video_count(&self) -> i64 {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM videos")
            .fetch_one(self.state.pool())
            .await
            .unwrap();
        row.0
    }
}

/// A user made directly in the store (no HTTP), with a live bearer token.
pub struct TestUser {
    pub account: domain::account::Account,
    pub token: String,
}

impl TestApp {
    /// Creates an account `username` (display name = username) and a token for it.
    pub async fn create_user(&self, username: &str) -> TestUser {
        let public_id = server::upload::publishing::new_user_id();
        let now = self.clock_now();
        let id = store::accounts::insert_account(
            self.state.pool(),
            store::accounts::NewAccount {
                public_id: &public_id,
                username: Some(username),
                password_hash: Some("not-a-login"),
                display_name: username,
                role: domain::account::Role::User,
                created_at: now,
            },
        )
        .await
        .expect("inserting a test account");
        let (token, hash) = server::http::auth::new_token();
        store::accounts::insert_token(self.state.pool(), &hash, id, now, now + 3_600_000_000)
            .await
            .expect("inserting a token");
        let account = store::accounts::find_account(self.state.pool(), id)
            .await
            .unwrap();
        TestUser { account, token }
    }

    pub fn clock_now(&self) -> i64 {
        use server::clock::Clock;
        self.clock.now().as_micros()
    }

    /// For a test that moves the clock by up to `span` and expects one payout period
    /// throughout: when the open period (a calendar month) ends within `span`, the clock first
    /// moves to an hour into the next one. Without this such a test fails in the last hours of
    /// every month.
    pub fn stay_in_one_period_for(&self, span: std::time::Duration) {
        let now = self.clock_now();
        let period = domain::allocation::Period::containing(now);
        let span_micros = i64::try_from(span.as_micros()).unwrap_or(i64::MAX);
        if now.saturating_add(span_micros) >= period.end_micros() {
            let into_next = period.end_micros() - now + 3_600_000_000;
            self.clock.advance(std::time::Duration::from_micros(
                u64::try_from(into_next).unwrap_or(0),
            ));
        }
    }
}

impl TestApp {
    /// Stops this app and starts a new one on the same data directory (database, media,
    /// signing key), with its settings changed by `configure`: a restart.
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir = std::mem::replace(
            &mut self.data_dir,
            tempfile::tempdir().expect("temporary directory"),
        );
        let mut settings = (*self.state.settings).clone();
        self.server.abort();
        drop(self);
        configure(&mut settings);
        start(settings, data_dir, None).await
    }
}

impl TestApp {
    /// A fresh live token for an existing account (e.g. after a restart on a new clock).
    pub async fn create_token_for(&self, account: &domain::account::Account) -> String {
        let (token, hash) = server::http::auth::new_token();
        let now = self.clock_now();
        store::accounts::insert_token(
            self.state.pool(),
            &hash,
            account.id,
            now,
            now + 24 * 3_600_000_000,
        )
        .await
        .expect("inserting a token");
        token
    }
}

/// Whether `response` was answered by the bucket, through a redirect to a presigned GET.
pub fn came_from_bucket(response: &reqwest::Response) -> bool {
    response
        .url()
        .query_pairs()
        .any(|(key, _)| key == "X-Amz-Signature")
}

/// A media header as the viewer gets it: reelshare's own on local storage; on S3, the value
/// reelshare signed into the presigned link (`response-content-type`,
/// `response-content-disposition`), which S3 answers with. (s3s-fs, the CI server, ignores
/// those parameters, so its own headers would prove nothing.)
pub fn media_header(response: &reqwest::Response, name: &str) -> String {
    if came_from_bucket(response) {
        let parameter = format!("response-{name}");
        if let Some((_, value)) = response.url().query_pairs().find(|(k, _)| *k == parameter) {
            return value.into_owned();
        }
        panic!("the presigned link {} sets no {name}", response.url());
    }
    response.headers()[name].to_str().unwrap().to_owned()
}
