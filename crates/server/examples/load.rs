//! The mixed-load benchmark of `bench/load/run.sh`: against a running server, `uploaders`
//! clients upload a clip through the Creator API over and over (each as its own registered
//! account), `readers` page the explore feed and `viewers` report watches of the uploaded
//! videos, all for `seconds`. At the end every upload that was answered 201 is read back, so
//! an upload the server acknowledged and then lost would show. Prints counts by status,
//! throughput and latency percentiles per kind of request, as JSON.
//!
//! Usage: `load BASE_URL CLIP SECONDS UPLOADERS READERS VIEWERS`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Default)]
struct Kind {
    statuses: BTreeMap<u16, u64>,
    latencies_ms: Vec<f64>,
}

#[derive(Default)]
struct Record {
    kinds: BTreeMap<&'static str, Kind>,
    uploaded: Vec<i64>,
    hashes: Vec<String>,
}

type Shared = Arc<Mutex<Record>>;

fn note(record: &Shared, kind: &'static str, status: u16, started: Instant) {
    let mut record = record.lock().unwrap();
    let entry = record.kinds.entry(kind).or_default();
    *entry.statuses.entry(status).or_default() += 1;
    entry
        .latencies_ms
        .push(started.elapsed().as_secs_f64() * 1000.0);
}

/// A new account; a busy answer (password hashing is bounded: 503 with `Retry-After`) is
/// retried after the time it names, as a real client would.
async fn register(client: &reqwest::Client, base: &str, name: &str) -> (String, i64) {
    loop {
        let response = client
            .post(format!("{base}/auth/register"))
            .json(
                &json!({"username": name, "password": "load test password", "display_name": name}),
            )
            .send()
            .await
            .expect("register");
        if matches!(response.status().as_u16(), 429 | 503) {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let body: Value = response.json().await.expect("register answer");
        return (
            body["token"].as_str().expect("a token").to_owned(),
            body["creator_id"].as_i64().expect("a creator id"),
        );
    }
}

async fn uploader(
    client: reqwest::Client,
    base: String,
    clip: Arc<Vec<u8>>,
    n: usize,
    until: Instant,
    record: Shared,
) {
    let (token, creator) = register(&client, &base, &format!("load-uploader-{n}")).await;
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let form = reqwest::multipart::Form::new()
            .text("creator_id", creator.to_string())
            .text("title", format!("Load test upload {n}-{i}"))
            .part(
                "file",
                reqwest::multipart::Part::bytes(clip.to_vec()).file_name("load.mp4"),
            );
        let started = Instant::now();
        let response = client
            .post(format!("{base}/upload-video"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await;
        let Ok(response) = response else {
            note(&record, "upload", 0, started);
            continue;
        };
        let status = response.status().as_u16();
        note(&record, "upload", status, started);
        if status == 201 {
            let body: Value = response.json().await.unwrap_or_default();
            if let Some(id) = body["video_id"].as_i64() {
                record.lock().unwrap().uploaded.push(id);
            }
        } else if status == 503 || status == 429 {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
    }
}

async fn reader(client: reqwest::Client, base: String, until: Instant, record: Shared) {
    while Instant::now() < until {
        let started = Instant::now();
        match client
            .get(format!("{base}/video/explore/?include_my=false"))
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                note(&record, "explore", status, started);
                let body: Value = response.json().await.unwrap_or_default();
                let hashes: Vec<String> = body["videos"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v["hash_id"].as_str().map(str::to_owned))
                    .collect();
                if !hashes.is_empty() {
                    record.lock().unwrap().hashes = hashes;
                }
            }
            Err(_) => note(&record, "explore", 0, started),
        }
    }
}

async fn viewer(client: reqwest::Client, base: String, n: usize, until: Instant, record: Shared) {
    let mut i = 0u64;
    while Instant::now() < until {
        i += 1;
        let hash = {
            let record = record.lock().unwrap();
            if record.hashes.is_empty() {
                None
            } else {
                Some(record.hashes[i as usize % record.hashes.len()].clone())
            }
        };
        let Some(hash) = hash else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let started = Instant::now();
        let response = client
            .post(format!("{base}/video/{hash}/views"))
            .header("X-Viewer-Id", format!("load-viewer-{n}-{i}"))
            .json(&json!({"watched_seconds": 4.0, "session_id": format!("s-{n}-{i}")}))
            .send()
            .await;
        let status = response.map_or(0, |r| r.status().as_u16());
        note(&record, "view", status, started);
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, clip, seconds, uploaders, readers, viewers] = args.as_slice() else {
        eprintln!("usage: load BASE_URL CLIP SECONDS UPLOADERS READERS VIEWERS");
        std::process::exit(2);
    };
    let clip = Arc::new(std::fs::read(clip).expect("the clip"));
    let seconds: u64 = seconds.parse().expect("seconds");
    let client = reqwest::Client::new();
    let record = Shared::default();
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..uploaders.parse().expect("uploaders") {
        tasks.spawn(uploader(
            client.clone(),
            base.clone(),
            clip.clone(),
            n,
            until,
            record.clone(),
        ));
    }
    for _ in 0..readers.parse::<usize>().expect("readers") {
        tasks.spawn(reader(client.clone(), base.clone(), until, record.clone()));
    }
    for n in 0..viewers.parse().expect("viewers") {
        tasks.spawn(viewer(
            client.clone(),
            base.clone(),
            n,
            until,
            record.clone(),
        ));
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();

    let uploaded = record.lock().unwrap().uploaded.clone();
    let mut lost = Vec::new();
    for id in &uploaded {
        let found = client
            .get(format!("{base}/get-video-data?video_id={id}"))
            .send()
            .await
            .map(|r| r.status().as_u16());
        if found.ok() != Some(200) {
            lost.push(*id);
        }
    }
    let record = record.lock().unwrap();
    let mut report = serde_json::Map::new();
    for (kind, entry) in &record.kinds {
        let mut sorted = entry.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let server_errors: u64 = entry
            .statuses
            .iter()
            .filter(|(s, _)| **s >= 500 || **s == 0)
            .map(|(_, n)| n)
            .sum();
        report.insert(
            (*kind).to_owned(),
            json!({
                "requests": sorted.len(),
                "per_second": sorted.len() as f64 / elapsed,
                "statuses": entry.statuses,
                "server_errors_or_failed_connections": server_errors,
                "p50_ms": percentile(&sorted, 0.50),
                "p99_ms": percentile(&sorted, 0.99),
                "max_ms": percentile(&sorted, 1.0),
            }),
        );
    }
    report.insert("seconds".into(), json!(elapsed));
    report.insert("uploads_acknowledged".into(), json!(uploaded.len()));
    report.insert("uploads_lost".into(), json!(lost));
    println!(
        "{}",
        serde_json::to_string_pretty(&Value::Object(report)).unwrap()
    );
}
