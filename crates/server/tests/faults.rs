//! Faults against the real `reelshare` binary, killed with SIGKILL at the worst moments:
//! - in the middle of a Creator API upload: after a restart on the same data directory the
//!   staging file is gone, there is no video row and no stored media, and a new upload works;
//! - while a worker holds a processing job: after a restart the job is taken again once its
//!   lease runs out and finishes, the video is ready once, with exactly its three objects;
//! - while a worker encodes a rendition ladder (with ffmpeg): after a restart the ladder job is
//!   taken again once its lease runs out and completes once, each rung stored once;
//! - during `reelshare payout close`, again and again: the ledger is either empty or one
//!   complete set of lines summing to the pool, and once closed a period is refused;
//! - in the middle of a resumable (tus) PATCH: after a restart the upload resumes from the last
//!   recorded offset, and the finished original holds exactly the bytes sent.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use common::{Server, free_port, reelshare, serve, wait_until_up};

fn token(data: &Path) -> String {
    let output = reelshare()
        .args(["token", "--creator-id", "1", "--data-dir"])
        .arg(data)
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn clip() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join("h264-high-bframes.mp4");
    std::fs::read(path).unwrap()
}

/// Every regular file under `dir` (none if it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn staged_parts(data: &Path) -> Vec<PathBuf> {
    files_under(&data.join("staging"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "part"))
        .collect()
}

async fn videos_of_creator_1(base: &str) -> Vec<serde_json::Value> {
    let response = reqwest::get(format!("{base}/get-all-videos-data?creator_id=1"))
        .await
        .unwrap();
    if response.status() == 404 {
        return Vec::new();
    }
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    match body {
        serde_json::Value::Array(videos) => videos,
        other => other["videos"].as_array().cloned().unwrap_or_default(),
    }
}

#[tokio::test]
async fn a_server_killed_mid_upload_leaves_nothing_behind_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let token = token(data.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(serve(data.path(), port).spawn().unwrap());
    wait_until_up(&base).await;

    // A multipart upload whose file part is only half sent, then the client pauses.
    let clip = clip();
    let boundary = "faultsboundary7d1c";
    let mut head = String::new();
    for (name, value) in [("creator_id", "1"), ("title", "Killed mid-upload")] {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    ));
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + clip.len() + tail.len();
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        socket,
        "POST /upload-video HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(&clip[..clip.len() / 2]).unwrap();
    socket.flush().unwrap();

    let started = Instant::now();
    while staged_parts(data.path()).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no staging file appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    drop(socket);
    assert!(
        !staged_parts(data.path()).is_empty(),
        "the killed server left its staging file"
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(serve(data.path(), port).spawn().unwrap());
    wait_until_up(&base).await;
    assert_eq!(
        staged_parts(data.path()),
        Vec::<PathBuf>::new(),
        "the dead staging file is swept at start-up"
    );
    assert_eq!(
        videos_of_creator_1(&base).await,
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(
        files_under(&data.path().join("media")),
        Vec::<PathBuf>::new(),
        "no stored media"
    );

    // A new upload works.
    let response = upload_as_creator_1(&base, &token, "After the restart", clip).await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    assert_eq!(videos_of_creator_1(&base).await.len(), 1);
}

/// A Creator API upload of `file` as `a.mp4` for creator 1.
async fn upload_as_creator_1(
    base: &str,
    token: &str,
    title: &str,
    file: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("creator_id", "1")
        .text("title", title.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file)
                .file_name("a.mp4")
                .mime_str("video/mp4")
                .unwrap(),
        );
    reqwest::Client::new()
        .post(format!("{base}/upload-video"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn sqlite(data: &Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", data.join("reelshare.db").display());
    sqlx::SqlitePool::connect(&url).await.unwrap()
}

#[tokio::test]
async fn a_worker_killed_mid_processing_has_its_job_finished_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let token = token(data.path());
    // An API-only node: the upload stays queued until a worker runs.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut api = serve(data.path(), port);
    api.env("REELSHARE_PROCESSING_WORKERS", "0");
    let api = Server(api.spawn().unwrap());
    wait_until_up(&base).await;

    let client = reqwest::Client::new();
    let instructions: serde_json::Value = client
        .get(format!(
            "{base}/video/upload/?file_content_type=video/mp4&file_name=a.mp4"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in instructions["signatures"].as_object().unwrap() {
        form = form.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(clip()).file_name("a.mp4"),
    );
    let response = client
        .post(instructions["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
    drop(api);

    let db = sqlite(data.path()).await;
    let state = || async {
        sqlx::query_scalar::<_, String>("SELECT state FROM jobs")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(state().await, "queued");

    // A separate worker claims the job and is killed while it holds it.
    let mut worker = reelshare();
    worker.args(["worker", "--data-dir"]).arg(data.path());
    let mut worker = Server(worker.spawn().unwrap());
    let started = Instant::now();
    loop {
        match state().await.as_str() {
            "queued" => {}
            "running" => break,
            other => panic!("the job was {other} before the worker could be killed"),
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never claimed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    worker.0.kill().unwrap();
    worker.0.wait().unwrap();
    assert_eq!(
        state().await,
        "running",
        "the dead worker's job is still held"
    );

    // The server with its workers takes the job again once the lease has run out.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Without ffmpeg: a rendition ladder would still be writing once the job is done.
    let _server = Server(
        serve(data.path(), port)
            .env("REELSHARE_FFMPEG", "disabled")
            .spawn()
            .unwrap(),
    );
    wait_until_up(&base).await;
    let started = Instant::now();
    loop {
        match state().await.as_str() {
            "queued" | "running" => {}
            "done" => break,
            other => panic!("the job ended {other}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "the job was not finished after its lease ran out"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let videos: Vec<(String, String)> = sqlx::query_as("SELECT hash_id, status FROM videos")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(videos.len(), 1, "{videos:?}");
    let (hash_id, status) = &videos[0];
    assert_eq!(status, "ready");
    let mut stored: Vec<PathBuf> = files_under(&data.path().join("media"));
    stored.sort();
    let video_dir = data.path().join("media/videos").join(hash_id);
    // The original, its thumbnails and its HLS packaging (the segments' heads: their media
    // data is served from the original); it is index-first, so no faststart copy.
    let mut expected: Vec<PathBuf> = [
        "original",
        "thumbnail-large.jpg",
        "thumbnail-small.jpg",
        "hls/index.json",
        "hls/0/init.mp4",
        "hls/0/heads.bin",
    ]
    .iter()
    .map(|name| video_dir.join(name))
    .collect();
    expected.sort();
    assert_eq!(
        stored, expected,
        "exactly the video's objects, nothing partial"
    );
    let mine: serde_json::Value = client
        .get(format!("{base}/video/my/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<_> = mine["videos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|video| video["hash_id"] == hash_id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{mine}");
    db.close().await;
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_worker_killed_mid_ladder_has_the_ladder_finished_once_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let token = token(data.path());
    // An API-only node with ffmpeg: the Creator API upload is ready at once, its ladder queued.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut api = serve(data.path(), port);
    api.env("REELSHARE_PROCESSING_WORKERS", "0");
    let api = Server(api.spawn().unwrap());
    wait_until_up(&base).await;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/moov-at-end.mp4");
    let file = std::fs::read(source).unwrap();
    let response = upload_as_creator_1(&base, &token, "laddered", file).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    drop(api);

    let db = sqlite(data.path()).await;
    let ladder = || async {
        sqlx::query_as::<_, (String, i64)>("SELECT state, attempts FROM jobs WHERE kind = 'ladder'")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(ladder().await, ("queued".to_owned(), 0));

    // A worker with a short lease claims the ladder job and is killed while it encodes.
    let mut worker = reelshare();
    worker
        .args(["worker", "--data-dir"])
        .arg(data.path())
        .env("REELSHARE_JOB_LEASE_SECONDS", "3");
    let mut worker = Server(worker.spawn().unwrap());
    let started = Instant::now();
    loop {
        match ladder().await.0.as_str() {
            "queued" => {}
            "running" => break,
            other => panic!("the ladder job was {other} before the worker could be killed"),
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never claimed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    worker.0.kill().unwrap();
    worker.0.wait().unwrap();
    assert_eq!(
        ladder().await,
        ("running".to_owned(), 1),
        "held by the dead worker"
    );

    // A node with workers takes it again once the lease has run out and finishes it once.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(serve(data.path(), port).spawn().unwrap());
    wait_until_up(&base).await;
    let started = Instant::now();
    loop {
        match ladder().await.0.as_str() {
            "queued" | "running" => {}
            "done" => break,
            other => panic!("the ladder job ended {other}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the ladder job was not finished after its lease ran out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ladder().await, ("done".to_owned(), 2));
    let (hash_id, status): (String, String) = sqlx::query_as("SELECT hash_id, status FROM videos")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "ready");
    let hls = data.path().join("media/videos").join(&hash_id).join("hls");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(hls.join("index.json")).unwrap()).unwrap();
    let names: Vec<&str> = index["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["source", "360p"], "each rung once");
    assert_eq!(index["ladder"]["state"], "done", "{index}");
    assert!(hls.join("1/video.mp4").exists());
    assert!(!hls.join("2").exists(), "no rung stored twice");
    db.close().await;
}

/// The month before the current one (UTC), as `YYYY-MM`, and a time inside it (µs).
fn last_month() -> (String, i64) {
    let now = time::OffsetDateTime::now_utc();
    let (year, month) = match now.month() {
        time::Month::January => (now.year() - 1, 12),
        month => (now.year(), u8::from(month) - 1),
    };
    let inside = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), 10)
        .unwrap()
        .midnight()
        .assume_utc();
    let micros = i64::try_from(inside.unix_timestamp_nanos() / 1000).unwrap();
    (format!("{year:04}-{month:02}"), micros)
}

/// The closed periods and the ledger's (lines, sum of cents) for `period`.
async fn ledger(db: &sqlx::SqlitePool, period: &str) -> (Option<i64>, i64, i64) {
    let pool: Option<i64> =
        sqlx::query_scalar("SELECT pool_cents FROM payout_periods WHERE period = ?")
            .bind(period)
            .fetch_optional(db)
            .await
            .unwrap();
    let (lines, total): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), SUM(amount_cents) FROM ledger_lines WHERE period = ?")
            .bind(period)
            .fetch_one(db)
            .await
            .unwrap();
    (pool, lines, total.unwrap_or(0))
}

#[tokio::test]
async fn payout_close_killed_at_any_moment_leaves_no_or_one_complete_ledger() {
    let data = tempfile::tempdir().unwrap();
    // Seeds the database and creator 1.
    token(data.path());
    let (period, inside) = last_month();
    let db = sqlite(data.path()).await;
    const VIDEOS: i64 = 1000;
    let mut tx = db.begin().await.unwrap();
    for n in 0..VIDEOS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO videos (hash_id, account_id, file_name, title, status, content_type, \
             size_in_bytes, duration_ms, width, height, uploaded_at, listed_at) \
             VALUES (?, 1, 'a.mp4', ?, 'ready', 'video/mp4', 1000, 10000, 320, 240, ?, ?) \
             RETURNING id",
        )
        .bind(format!("faultvideo{n:04}"))
        .bind(format!("Video {n}"))
        .bind(inside)
        .bind(inside)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO video_period_stats (period, video_id, qualified_views, likes, comments, \
             shares, completion_sum, distinct_viewers, repeat_viewers) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&period)
        .bind(id)
        .bind(100 + n * 37 % 900)
        .bind(n % 17)
        .bind(n % 5)
        .bind(n % 3)
        .bind((100 + n * 37 % 900) as f64 * 0.6)
        .bind(50 + n * 13 % 400)
        .bind(n % 11)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let close = || {
        let mut command = reelshare();
        command
            .args(["payout", "close", "--period", &period, "--data-dir"])
            .arg(data.path());
        command
    };
    // Killed after a delay growing 2 ms at a time until a run gets to close the period: the
    // runs before it die while starting, solving or writing, at every point 2 ms apart.
    let mut killed = 0;
    for attempt in 0..200u64 {
        let mut run = close().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(attempt * 2));
        let _ = run.kill();
        let status = run.wait().unwrap();
        let (pool, lines, total) = ledger(&db, &period).await;
        match pool {
            None => assert_eq!((lines, total), (0, 0), "lines without a closed period"),
            Some(pool) => {
                assert!(lines > 0);
                assert_eq!(total, pool, "a closed period's lines sum to the pool");
                eprintln!("closed at attempt {attempt} ({status:?}) after {killed} killed runs");
                break;
            }
        }
        killed += 1;
    }
    assert!(killed > 0, "no run was killed before it closed the period");

    let output = close().output().unwrap();
    let (pool, lines, total) = ledger(&db, &period).await;
    let pool = pool.expect("the period is closed");
    assert!(lines > 0);
    assert_eq!(total, pool);
    if !output.status.success() {
        // An earlier run finished before it was killed: this one is refused.
        assert_eq!(output.status.code(), Some(2), "{output:?}");
    }
    let again = close().stderr(Stdio::piped()).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("closed"),
        "{again:?}"
    );
    assert_eq!(ledger(&db, &period).await, (Some(pool), lines, total));
    db.close().await;
}

/// `HEAD /tus/{id}`'s `Upload-Offset`.
async fn tus_offset(url: &str, token: &str) -> u64 {
    let response = reqwest::Client::new()
        .head(url)
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_server_killed_mid_tus_patch_resumes_from_the_last_recorded_offset() {
    const CHECKPOINT: usize = 4 << 20;
    let data = tempfile::tempdir().unwrap();
    let token = token(data.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(serve(data.path(), port).spawn().unwrap());
    wait_until_up(&base).await;

    let bytes: Vec<u8> = (0..CHECKPOINT + (2 << 20))
        .map(|n| (n % 251) as u8)
        .collect();
    let created = reqwest::Client::new()
        .post(format!("{base}/tus/"))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", "filename YS5iaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let url = created.headers()["location"].to_str().unwrap().to_owned();
    let path = url.strip_prefix(&base).unwrap().to_owned();

    // A PATCH of everything that sends a checkpoint and a half, then stalls.
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        socket,
        "PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    socket.write_all(&bytes[..CHECKPOINT + (1 << 20)]).unwrap();
    socket.flush().unwrap();
    // The first checkpoint: the first network chunk's end past 4 MiB (the next would be 4 MiB
    // later, more than was sent).
    let started = Instant::now();
    let recorded = loop {
        let offset = tus_offset(&url, &token).await;
        if offset >= CHECKPOINT as u64 {
            break offset;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no checkpoint was recorded"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(recorded < (CHECKPOINT + (1 << 20)) as u64);
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    drop(socket);

    // Processing stays off, so the stored original can be compared before a worker takes it.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        serve(data.path(), port)
            .env("REELSHARE_PROCESSING_WORKERS", "0")
            .spawn()
            .unwrap(),
    );
    wait_until_up(&base).await;
    let url = format!("{base}{path}");
    // Bytes past the record (written, maybe even synced, but not recorded) are not counted.
    assert_eq!(tus_offset(&url, &token).await, recorded);
    let finished = reqwest::Client::new()
        .patch(&url)
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", recorded.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes[recorded as usize..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 204);
    let hash_id = finished.headers()["reelshare-video-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let original = data
        .path()
        .join("media/videos")
        .join(&hash_id)
        .join("original");
    assert!(std::fs::read(original).unwrap() == bytes, "the exact bytes");
    assert_eq!(
        files_under(&data.path().join("staging/resumable")),
        Vec::<PathBuf>::new()
    );
}
