//! reelshare as several processes of the real binary on one PostgreSQL schema and one media
//! store: API nodes (`serve --no-workers`) and separate `reelshare worker`s. A job queued
//! through an API node wakes a worker in another process at once (`LISTEN`/`NOTIFY`, with the
//! poll set far longer than the test); uploads through node A are listed and streamed through
//! node B with a session made on A; a worker killed with `kill -9` in the middle of a job
//! loses it to another worker once its lease expires, and every upload still ends ready or
//! failed, processed to completion once, with one set of thumbnails; and `reelshare gc` then
//! finds nothing to remove.
//!
//! The media store is a [`SharedStorage`]: a local directory every process shares, or one
//! bucket on the S3 server `bench/s3/start.sh` starts, with each process on its own data
//! directory and the shared `REELSHARE_SIGNING_KEY`, as separate machines would run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

mod common;

use common::{Server, free_port, reelshare, wait_until_up};

const CLIP: &str = "h264-high-bframes.mp4";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(name),
    )
    .unwrap()
}

/// A new, empty bucket on the S3 server in `REELSHARE_TEST_S3_*` (a signed `CreateBucket`).
async fn fresh_bucket() -> store::s3::S3Settings {
    use object_store::signer::Signer;
    let var = |name: &str| {
        std::env::var(format!("REELSHARE_TEST_S3_{name}")).unwrap_or_else(|_| {
            panic!("REELSHARE_TEST_S3_{name} must be set (eval \"$(bench/s3/start.sh)\")")
        })
    };
    let s3 = store::s3::S3Settings {
        endpoint: Some(var("ENDPOINT")),
        bucket: format!("multi-{}", uuid::Uuid::new_v4().simple()),
        region: std::env::var("REELSHARE_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".into()),
        access_key_id: Some(var("ACCESS_KEY_ID")),
        secret_access_key: Some(store::s3::Secret::new(var("SECRET_ACCESS_KEY"))),
        path_style: true,
    };
    let url = s3
        .connect()
        .unwrap()
        .signed_url(
            reqwest::Method::PUT,
            &object_store::path::Path::from(""),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .put(url.as_str())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "CreateBucket {}: {:?}",
        s3.bucket,
        response.text().await
    );
    s3
}

/// Where every process of the cluster keeps media.
enum SharedStorage {
    /// One directory every process uses as its data directory (media, staging, the link
    /// signing key).
    LocalDir(tempfile::TempDir),
    /// One fresh bucket on the test S3 server; every process gets a data directory of its
    /// own (kept here until the test ends) and the same signing key.
    S3 {
        bucket: store::s3::S3Settings,
        signing_key: String,
        data_dirs: Mutex<Vec<tempfile::TempDir>>,
    },
}

impl SharedStorage {
    fn local() -> Self {
        Self::LocalDir(tempfile::tempdir().unwrap())
    }

    /// A new bucket on the S3 server in `REELSHARE_TEST_S3_*` (`bench/s3/start.sh`).
    async fn s3() -> Self {
        Self::S3 {
            bucket: fresh_bucket().await,
            signing_key: format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            data_dirs: Mutex::new(Vec::new()),
        }
    }

    fn configure(&self, command: &mut Command) {
        match self {
            Self::LocalDir(dir) => {
                command.arg("--data-dir").arg(dir.path());
            }
            Self::S3 {
                bucket,
                signing_key,
                data_dirs,
            } => {
                let own = tempfile::tempdir().unwrap();
                command.arg("--data-dir").arg(own.path());
                data_dirs.lock().unwrap().push(own);
                let secret = bucket.secret_access_key.as_ref().unwrap();
                command
                    .env("REELSHARE_STORAGE", "s3")
                    .env("REELSHARE_S3_ENDPOINT", bucket.endpoint.as_ref().unwrap())
                    .env("REELSHARE_S3_BUCKET", &bucket.bucket)
                    .env("REELSHARE_S3_REGION", &bucket.region)
                    .env(
                        "REELSHARE_S3_ACCESS_KEY_ID",
                        bucket.access_key_id.as_ref().unwrap(),
                    )
                    .env("REELSHARE_S3_SECRET_ACCESS_KEY", secret.expose())
                    .env("REELSHARE_S3_PATH_STYLE", "true")
                    .env("REELSHARE_SIGNING_KEY", signing_key);
            }
        }
    }

    /// Every stored object, by video hash id: the names of its objects.
    async fn objects(&self) -> BTreeMap<String, BTreeSet<String>> {
        match self {
            Self::S3 { bucket, .. } => {
                use futures_util::TryStreamExt;
                use object_store::ObjectStore;
                let client = bucket.connect().unwrap();
                let listed: Vec<_> = client
                    .list(Some(&object_store::path::Path::from("videos")))
                    .try_collect()
                    .await
                    .unwrap();
                let mut found = BTreeMap::<String, BTreeSet<String>>::new();
                for meta in listed {
                    let parts: Vec<String> = meta
                        .location
                        .parts()
                        .map(|p| p.as_ref().to_owned())
                        .collect();
                    assert!(parts.len() >= 3, "unexpected object {}", meta.location);
                    found
                        .entry(parts[1].clone())
                        .or_default()
                        .insert(parts[2..].join("/"));
                }
                found
            }
            Self::LocalDir(dir) => {
                let mut found = BTreeMap::new();
                let videos = dir.path().join("media/videos");
                for video in std::fs::read_dir(videos).into_iter().flatten().flatten() {
                    let mut names = BTreeSet::new();
                    files_under(&video.path(), "", &mut names);
                    found.insert(video.file_name().to_string_lossy().into_owned(), names);
                }
                found
            }
        }
    }
}

/// The files under `dir`, as `/`-separated paths below it, into `names`.
fn files_under(dir: &Path, prefix: &str, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            files_under(&entry.path(), &format!("{name}/"), names);
        } else {
            names.insert(name);
        }
    }
}

/// A fresh schema of the PostgreSQL database in `DATABASE_URL`, the shared storage, and the
/// settings every process gets.
struct Cluster {
    url: String,
    db: sqlx::AnyPool,
    storage: SharedStorage,
    env: Vec<(&'static str, &'static str)>,
}

impl Cluster {
    async fn new(storage: SharedStorage, env: &[(&'static str, &'static str)]) -> Self {
        let admin_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must point at a PostgreSQL database for this test");
        let schema = format!("multi_{}", uuid::Uuid::new_v4().simple());
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
        let db = sqlx::AnyPool::connect(&url).await.unwrap();
        Self {
            url,
            db,
            storage,
            env: env.to_vec(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = reelshare();
        command.args(args);
        self.storage.configure(&mut command);
        command
            .env("REELSHARE_DATABASE_URL", &self.url)
            .env("REELSHARE_FFMPEG", "disabled")
            .env("REELSHARE_LOG_FORMAT", "json")
            .envs(self.env.iter().copied());
        command
    }

    /// `serve --no-workers` on a free port, once it answers.
    async fn api_node(&self) -> (Server, String) {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let server = Server(
            self.command(&["serve", "--no-workers", "--bind", &bind])
                .spawn()
                .unwrap(),
        );
        let base = format!("http://{bind}");
        wait_until_up(&base).await;
        (server, base)
    }

    /// `reelshare worker` with one in-process worker, once it listens for jobs; its metrics
    /// on `metrics_port`.
    async fn worker_with_metrics(&self, metrics_port: u16) -> Worker {
        let bind = format!("127.0.0.1:{metrics_port}");
        self.start_worker(&["worker", "--metrics-bind", &bind])
            .await
    }

    /// `reelshare worker` with one in-process worker, once it listens for jobs.
    async fn worker(&self) -> Worker {
        self.start_worker(&["worker"]).await
    }

    async fn start_worker(&self, args: &[&str]) -> Worker {
        let mut child = self
            .command(args)
            .env("REELSHARE_PROCESSING_WORKERS", "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::<Value>::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let entry = serde_json::from_str(&line).unwrap_or(Value::String(line));
                sink.lock().unwrap().push(entry);
            }
        });
        let mut worker = Worker { child, lines };
        let started = Instant::now();
        while worker.messages("listening for queued jobs").is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "worker not listening ({:?}): {:?}",
                worker.child.try_wait(),
                worker.lines.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker
    }

    async fn jobs(&self) -> Vec<(i64, String, i64)> {
        sqlx::query_as("SELECT video_id, state, attempts FROM jobs ORDER BY video_id")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }

    /// `reelshare gc` (without `--apply`) with every process's settings: what it printed.
    fn gc(&self) -> String {
        let output = self
            .command(&["gc"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "gc: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    async fn videos(&self) -> Vec<(i64, String, String)> {
        sqlx::query_as("SELECT id, hash_id, status FROM videos ORDER BY id")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }
}

/// A worker process and its JSON log lines (logs go to standard output); killed (SIGKILL) when dropped.
struct Worker {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Worker {
    /// Log entries whose message is `message`.
    fn messages(&self, message: &str) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| entry["fields"]["message"] == message)
            .cloned()
            .collect()
    }

    /// `kill -9`.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn register(base: &str, username: &str) -> String {
    let body = json!({"username": username, "password": "correct horse battery", "display_name": username});
    let response = reqwest::Client::new()
        .post(format!("{base}/auth/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let session: Value = response.json().await.unwrap();
    session["token"].as_str().unwrap().to_owned()
}

/// Uploads `bytes` through the Video API of the node at `base`; the new `hash_id`.
async fn upload(base: &str, token: &str, bytes: Vec<u8>) -> String {
    let client = reqwest::Client::new();
    let instructions: Value = client
        .get(format!(
            "{base}/video/upload/?file_content_type=video%2Fmp4&file_name=clip.mp4"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut form = Form::new();
    for (name, value) in instructions["signatures"].as_object().unwrap() {
        form = form.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    form = form.part("file", Part::bytes(bytes).file_name("clip.mp4"));
    let url = instructions["url"].as_str().unwrap();
    assert!(url.starts_with(base), "{url} is not on {base}");
    let response = client.post(url).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
    instructions["signatures"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `hash_id` in the caller's `/video/my/` on `base`: `Some(true)` ready, `Some(false)`
/// failed, `None` still processing.
async fn outcome(base: &str, token: &str, hash_id: &str) -> Option<bool> {
    let my: Value = reqwest::Client::new()
        .get(format!("{base}/video/my/"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let has = |list: &str| {
        my[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["hash_id"] == hash_id)
            .cloned()
    };
    if has("videos").is_some() {
        return Some(true);
    }
    let unprocessed = has("unprocessed_videos").expect("the upload is listed");
    (!unprocessed["failure_reason"].is_null()).then_some(false)
}

async fn wait_for_outcome(base: &str, token: &str, hash_id: &str, within: Duration) -> bool {
    let started = Instant::now();
    loop {
        if let Some(done) = outcome(base, token, hash_id).await {
            return done;
        }
        assert!(
            started.elapsed() < within,
            "{hash_id} not processed within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn a_job_queued_by_an_api_node_wakes_a_worker_in_another_process_at_once() {
    // Workers poll once a minute: only the notification can explain a pickup within seconds.
    let cluster = Cluster::new(
        SharedStorage::local(),
        &[("REELSHARE_JOB_POLL_SECONDS", "60")],
    )
    .await;
    let (_api, base) = cluster.api_node().await;
    let metrics_port = free_port();
    let worker = cluster.worker_with_metrics(metrics_port).await;
    let worker_started = Instant::now();
    let token = register(&base, "nora").await;
    let hash_id = upload(&base, &token, fixture(CLIP)).await;
    let queued = Instant::now();
    assert!(wait_for_outcome(&base, &token, &hash_id, Duration::from_secs(15)).await);
    let took = queued.elapsed();
    assert!(
        worker_started.elapsed() < Duration::from_secs(55),
        "the worker's poll could explain the pickup"
    );
    println!("queued → ready through another process: {took:?}");
    assert_eq!(worker.messages("upload processed: draft ready").len(), 1);

    // The worker's own series, scraped from its metrics-only listener.
    let scraped = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| {
        scraped.lines().find_map(|line| {
            line.strip_prefix(series)?
                .strip_prefix(' ')?
                .parse::<f64>()
                .ok()
        })
    };
    assert_eq!(
        value(r#"reelshare_jobs_finished_total{outcome="ready"}"#),
        Some(1.0),
        "{scraped}"
    );
    assert_eq!(
        value(r#"reelshare_job_processing_duration_seconds_count{outcome="ready"}"#),
        Some(1.0)
    );
    assert_eq!(value(r#"reelshare_jobs{state="queued"}"#), Some(0.0));
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn two_api_nodes_and_workers_share_one_database_and_a_local_media_dir() {
    two_api_nodes_and_workers_survive_a_killed_worker(SharedStorage::local()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL) and an S3 server (REELSHARE_TEST_S3_ENDPOINT)"]
async fn two_api_nodes_and_workers_on_their_own_disks_share_one_database_and_a_bucket() {
    two_api_nodes_and_workers_survive_a_killed_worker(SharedStorage::s3().await).await;
}

/// The multi-node scenario on `storage` (one test per storage: add a variant, then a test).
async fn two_api_nodes_and_workers_survive_a_killed_worker(storage: SharedStorage) {
    let cluster = Cluster::new(
        storage,
        &[
            ("REELSHARE_JOB_LEASE_SECONDS", "3"),
            ("REELSHARE_JOB_POLL_SECONDS", "1"),
            ("REELSHARE_LEADER_LEASE_SECONDS", "3"),
        ],
    )
    .await;
    // Node A first (it migrates the schema), then node B.
    let (_a, node_a) = cluster.api_node().await;
    let (_b, node_b) = cluster.api_node().await;

    // A session made on A works on B.
    let token = register(&node_a, "mona").await;
    let me = reqwest::Client::new()
        .get(format!("{node_b}/video/my/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Uploads through A while one worker runs; it is killed in the middle of a job.
    let mut first = cluster.worker().await;
    let mut uploads = Vec::new();
    for _ in 0..4 {
        uploads.push(upload(&node_a, &token, fixture(CLIP)).await);
    }
    let started = Instant::now();
    while !cluster
        .jobs()
        .await
        .iter()
        .any(|(_, state, _)| state == "running")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no job started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    let killed_with = cluster.jobs().await;
    let second = cluster.worker().await;
    let third = cluster.worker().await;

    // Every upload ends, listed through B.
    let mut ready = Vec::new();
    for hash_id in &uploads {
        if wait_for_outcome(&node_b, &token, hash_id, Duration::from_secs(90)).await {
            ready.push(hash_id.clone());
        }
    }
    assert_eq!(ready.len(), uploads.len(), "a valid clip failed");

    // The killed worker's job was taken again (a second attempt) and finished once.
    let jobs = cluster.jobs().await;
    assert_eq!(jobs.len(), uploads.len(), "one job per upload: {jobs:?}");
    assert!(jobs.iter().all(|(_, state, _)| state == "done"), "{jobs:?}");
    let retaken: Vec<_> = killed_with
        .iter()
        .filter(|(_, state, _)| state == "running")
        .map(|(video, _, _)| *video)
        .collect();
    assert_eq!(
        retaken.len(),
        1,
        "the killed worker held one job: {killed_with:?}"
    );
    for video in &retaken {
        let (_, _, attempts) = jobs.iter().find(|(v, _, _)| v == video).unwrap();
        assert!(
            *attempts >= 2,
            "job of video {video} was running on the killed worker"
        );
    }
    // Processed to completion once per video, across every worker's log.
    let mut completions = BTreeMap::<String, usize>::new();
    for worker in [&first, &second, &third] {
        for entry in worker.messages("upload processed: draft ready") {
            *completions
                .entry(entry["fields"]["video_id"].to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(completions.len(), uploads.len(), "{completions:?}");
    assert!(completions.values().all(|&n| n == 1), "{completions:?}");

    // One original, one pair of thumbnails and one HLS rendition set per ready video, the
    // same for every upload of the same clip; nothing else stored.
    let videos = cluster.videos().await;
    assert!(
        videos.iter().all(|(_, _, status)| status == "ready"),
        "{videos:?}"
    );
    let objects = cluster.storage.objects().await;
    assert_eq!(
        objects.keys().cloned().collect::<BTreeSet<_>>(),
        ready.iter().cloned().collect::<BTreeSet<_>>()
    );
    let names = objects.values().next().unwrap();
    assert!(objects.values().all(|n| n == names), "{objects:?}");
    for fixed in [
        "original",
        "thumbnail-large.jpg",
        "thumbnail-small.jpg",
        "hls/index.json",
    ] {
        assert!(names.contains(fixed), "no {fixed}: {names:?}");
    }
    let hls_part = |name: &str| {
        let mut parts = name.split('/');
        let (Some("hls"), Some(rendition), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let segment = file
            .strip_suffix(".m4s")
            .is_some_and(|n| n.parse::<u32>().is_ok());
        rendition.parse::<u32>().is_ok() && (file == "init.mp4" || file == "heads.bin" || segment)
    };
    let others: Vec<_> = names
        .iter()
        .filter(|n| {
            !n.starts_with("thumbnail-")
                && !["original", "hls/index.json"].contains(&n.as_str())
                && !hls_part(n)
        })
        .collect();
    assert!(others.is_empty(), "unexpected objects {others:?}");
    assert_eq!(
        names.iter().filter(|n| n.starts_with("thumbnail-")).count(),
        2,
        "{names:?}"
    );

    // Published through B, streamed through B, byte for byte.
    let hash_id = &ready[0];
    let client = reqwest::Client::new();
    let published = client
        .put(format!("{node_b}/video/my/{hash_id}"))
        .bearer_auth(&token)
        .json(&json!({"title": "Across nodes", "description": "uploaded on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 204);
    let explore: Value = client
        .get(format!("{node_b}/video/explore/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = &explore["videos"][0];
    assert_eq!(listed["hash_id"], hash_id.as_str());
    let user_id = listed["user_id"]
        .as_str()
        .expect("the listing names its owner");
    let watch: Value = client
        .get(format!(
            "{node_b}/video/watch/?user_id={user_id}&hash_id={hash_id}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = watch["watchable_url"].as_str().unwrap();
    assert!(link.starts_with(&node_b), "{link}");
    let bytes = client
        .get(link)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), fixture(CLIP).as_slice());

    // Nothing out of step between the database and the media store.
    let found = cluster.gc();
    assert_eq!(
        found.trim(),
        "0 orphaned video(s) in storage, 0 ready video(s) missing their original",
        "{found}"
    );
}
