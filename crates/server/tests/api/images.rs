//! Images on request through the real router: stills at a time in the size and fit asked
//! for (JPEG, WebP), the animated GIF and WebP previews, the storyboard VTT and sprite, the
//! cache (a repeat makes nothing new, counted by `AppState::images`), bounds (422 in FastAPI's
//! shape), visibility (a private video's images refused to anyone but its owner) and `DELETE`.
//! With ffmpeg: the picture at `time` matches `ffmpeg -ss time -frames:v 1` (PSNR ≥ 30 dB).

use std::io::Cursor;
use std::process::Command;

use image::{AnimationDecoder, DynamicImage, RgbImage};
use serde_json::{Value, json};

use crate::helpers::{CLIP, TestApp, fixture, spawn_app_with};
use crate::video_api_support::*;

async fn app() -> TestApp {
    spawn_app_with(|settings| settings.processing_workers = 0).await
}

/// Uploads `name` as a new user, processes and lists it; returns (owner's token, hash_id).
async fn listed(app: &TestApp, name: &str, mime: &str) -> (String, String) {
    let user = app.create_user("alice").await;
    let hash_id = upload(app, &user.token, name, mime, fixture(name)).await;
    run_jobs(app).await;
    publish(app, &user.token, &hash_id, "shown").await;
    (user.token, hash_id)
}

async fn fetch(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    parts(get(app, path, None).await).await
}

/// `fetch` for an absolute link, as the API hands them out.
async fn fetch_url(app: &TestApp, url: &str) -> (u16, String, Vec<u8>) {
    parts(get_url(app, url, None).await).await
}

/// Status, content type and body.
async fn parts(response: reqwest::Response) -> (u16, String, Vec<u8>) {
    let status = response.status().as_u16();
    let mime = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, mime, response.bytes().await.unwrap().to_vec())
}

/// The frames of an animated GIF or WebP.
fn animation_frames(bytes: &[u8]) -> Vec<image::Frame> {
    let frames = if bytes.starts_with(b"GIF") {
        image::codecs::gif::GifDecoder::new(Cursor::new(bytes))
            .unwrap()
            .into_frames()
    } else {
        image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
            .unwrap()
            .into_frames()
    };
    frames.collect_frames().unwrap()
}

fn decoded(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().into_rgb8()
}

#[tokio::test]
async fn a_thumbnail_comes_in_the_size_and_fit_asked_for() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    // The clip is 360×640.
    for (query, size) in [
        ("time=2.5&width=180", (180, 320)),
        ("time=2.5&height=100", (56, 100)),
        ("time=2.5&width=400&height=400", (225, 400)),
        ("time=2.5&width=100&height=100&fit=cover", (100, 100)),
        ("time=2.5&width=50&height=80&fit=fill", (50, 80)),
        ("width=1920&height=1920&fit=fill", (1920, 1920)),
    ] {
        let (status, mime, bytes) =
            fetch(&app, &format!("/video/{hash_id}/thumbnail.jpg?{query}")).await;
        assert_eq!((status, mime.as_str()), (200, "image/jpeg"), "{query}");
        assert_eq!(decoded(&bytes).dimensions(), size, "{query}");
    }
    let (status, mime, bytes) = fetch(
        &app,
        &format!("/video/{hash_id}/thumbnail.webp?time=1&width=90"),
    )
    .await;
    assert_eq!((status, mime.as_str()), (200, "image/webp"));
    let webp = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
    assert_eq!((webp.width(), webp.height()), (90, 160));
}

#[tokio::test]
async fn without_parameters_the_thumbnail_is_todays() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let (_, _, today) = fetch(&app, &format!("/media/{hash_id}/thumbnail.jpg")).await;
    let (status, _, plain) = fetch(&app, &format!("/video/{hash_id}/thumbnail.jpg")).await;
    assert_eq!(status, 200);
    assert_eq!(plain, today);
    assert_eq!(decoded(&plain).dimensions(), (112, 200));
    // A size without a time: the same picture, bigger.
    let (_, _, big) = fetch(&app, &format!("/video/{hash_id}/thumbnail.jpg?width=360")).await;
    assert_eq!(decoded(&big).dimensions(), (360, 640));
    assert_eq!(app.state.images.made(), 1);
}

/// Mean absolute difference of two same-sized pictures, per channel value.
fn mean_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[tokio::test]
async fn different_times_give_different_pictures_and_a_repeat_is_served_from_the_cache() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let at = |t: &str| format!("/video/{hash_id}/thumbnail.jpg?time={t}&width=360");
    let before = app.state.images.made();
    let (_, _, one) = fetch(&app, &at("1")).await;
    let (_, _, five) = fetch(&app, &at("5")).await;
    // The burnt-in clock moves: the pictures differ well beyond JPEG noise.
    assert!(mean_difference(&decoded(&one), &decoded(&five)) > 3.0);
    assert_eq!(app.state.images.made(), before + 2);
    let stored = app.stored_files().await;
    assert!(
        stored
            .iter()
            .any(|p| p.ends_with("images/still-t1000-w360-ha-contain.jpg")),
        "{stored:?}"
    );

    let (status, _, again) = fetch(&app, &at("1")).await;
    assert_eq!(status, 200);
    assert_eq!(again, one);
    assert_eq!(
        app.state.images.made(),
        before + 2,
        "the repeat decoded again"
    );
}

#[tokio::test]
async fn concurrent_requests_for_one_image_decode_it_once() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let path = format!("/video/{hash_id}/animated.gif?start=2&width=120");
    let answers = futures_util::future::join_all((0..4).map(|_| fetch(&app, &path))).await;
    for (status, _, bytes) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(bytes, &answers[0].2);
    }
    assert_eq!(app.state.images.made(), 1);
}

#[tokio::test]
async fn an_animated_preview_is_five_seconds_at_ten_fps_at_most_320_wide() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let (status, mime, bytes) =
        fetch(&app, &format!("/video/{hash_id}/animated.gif?start=3")).await;
    assert_eq!((status, mime.as_str()), (200, "image/gif"));
    let frames = animation_frames(&bytes);
    assert_eq!(frames.len(), 50);
    assert_eq!(frames[0].buffer().dimensions(), (320, 568));
    let (numer, denom) = frames[0].delay().numer_denom_ms();
    assert_eq!(numer / denom, 100);
    let first = DynamicImage::ImageRgba8(frames[0].buffer().clone()).into_rgb8();
    let last = DynamicImage::ImageRgba8(frames[49].buffer().clone()).into_rgb8();
    assert!(
        mean_difference(&first, &last) > 3.0,
        "the preview does not move"
    );

    // Near the end it is shorter, and narrower when asked.
    let (_, _, tail) = fetch(
        &app,
        &format!("/video/{hash_id}/animated.gif?start=9&width=100"),
    )
    .await;
    let frames = animation_frames(&tail);
    assert_eq!(frames.len(), 10);
    assert_eq!(frames[0].buffer().dimensions(), (100, 177));
}

/// The chunk ids of a RIFF/WEBP file, in order (after the 12-byte RIFF header).
fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..4], b"RIFF", "not RIFF");
    assert_eq!(&bytes[8..12], b"WEBP", "not WEBP");
    let riff_end = 8 + u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_end, bytes.len(), "RIFF size");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= riff_end {
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        // Chunks are padded to an even size.
        at += 8 + size + size % 2;
    }
    assert_eq!(at, riff_end, "chunks overrun the file");
    chunks
}

#[tokio::test]
async fn an_animated_webp_preview_is_a_small_lossy_animation_cached_beside_the_gif() {
    let app = app().await;
    let (token, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let path = format!("/video/{hash_id}/animated.webp?start=3");
    let (status, mime, webp) = fetch(&app, &path).await;
    assert_eq!((status, mime.as_str()), (200, "image/webp"));
    let chunks = webp_chunks(&webp);
    assert_eq!(&chunks[..2], ["VP8X", "ANIM"], "{chunks:?}");
    let frames: Vec<&String> = chunks.iter().filter(|c| *c == "ANMF").collect();
    assert_eq!(frames.len(), 50, "{chunks:?}");
    // Lossy: the frames are VP8 (inside ANMF), not VP8L.
    assert!(webp.windows(4).any(|w| w == b"VP8 "));
    assert!(!webp.windows(4).any(|w| w == b"VP8L"));
    let decoded = animation_frames(&webp);
    assert_eq!(decoded.len(), 50);
    assert_eq!(decoded[0].buffer().dimensions(), (320, 568));
    assert_eq!(app.state.images.made(), 1);

    // Served from the cache the second time; the GIF of the same parameters is another object.
    let (status, _, again) = fetch(&app, &path).await;
    assert_eq!(status, 200);
    assert_eq!(again, webp);
    assert_eq!(app.state.images.made(), 1, "the repeat encoded again");
    let (status, mime, gif) = fetch(&app, &format!("/video/{hash_id}/animated.gif?start=3")).await;
    assert_eq!((status, mime.as_str()), (200, "image/gif"));
    assert_eq!(app.state.images.made(), 2);
    println!(
        "5 s at 320×568: GIF {} bytes, WebP {} bytes",
        gif.len(),
        webp.len()
    );
    assert!(webp.len() * 4 < gif.len());
    let stored = app.stored_files().await;
    for name in ["animated-s3000-w320.webp", "animated-s3000-w320.gif"] {
        assert!(
            stored.iter().any(|p| p.ends_with(format!("images/{name}"))),
            "{stored:?}"
        );
    }

    // Same bounds as the GIF.
    for bad in ["start=11", "width=321", "width=0"] {
        let path = format!("/video/{hash_id}/animated.webp?{bad}");
        assert_eq!(get(&app, &path, None).await.status(), 422, "{bad}");
    }

    // Private: a plain link says nothing, a link for anyone is refused, the owner's works.
    let made_private = put_json(
        &app,
        &format!("/video/my/{hash_id}"),
        Some(&token),
        &json!({"is_private": true}),
    )
    .await;
    assert_eq!(made_private.status(), 204);
    let plain = format!("/video/{hash_id}/animated.webp");
    assert_eq!(get(&app, &path, None).await.status(), 404);
    let anyone = signed(&app, &plain, false);
    assert_eq!(get(&app, &anyone, None).await.status(), 403);
    let owners = signed(&app, &plain, true);
    let (status, mime, _) = fetch(&app, &format!("{owners}&start=3")).await;
    assert_eq!((status, mime.as_str()), (200, "image/webp"));
    assert_eq!(
        app.state.images.made(),
        2,
        "the owner's link is the same cached image"
    );
}

/// (start, end, x, y, w, h) of each cue.
fn cues(vtt: &str) -> Vec<(f64, f64, u32, u32, u32, u32)> {
    let seconds = |t: &str| {
        let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    let lines: Vec<&str> = vtt.lines().collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let (start, end) = pair[0].split_once(" --> ")?;
            let xywh = pair[1].split_once("#xywh=")?.1;
            let n: Vec<u32> = xywh.split(',').map(|v| v.parse().unwrap()).collect();
            Some((seconds(start), seconds(end), n[0], n[1], n[2], n[3]))
        })
        .collect()
}

#[tokio::test]
async fn storyboard_cues_cover_the_whole_duration_with_tiles_inside_the_sprite() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let (status, mime, vtt) = fetch(&app, &format!("/video/{hash_id}/storyboard.vtt")).await;
    assert_eq!((status, mime.as_str()), (200, "text/vtt; charset=utf-8"));
    let vtt = String::from_utf8(vtt).unwrap();
    assert!(vtt.starts_with("WEBVTT\n"));
    let cues = cues(&vtt);
    assert_eq!(cues.len(), 5);
    assert_eq!(cues[0].0, 0.0);
    assert_eq!(cues.last().unwrap().1, 10.0);
    for pair in cues.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "a gap or overlap: {vtt}");
    }
    assert!(vtt.contains("storyboard.jpg#xywh=0,0,160,284"));

    let (status, mime, sprite) = fetch(&app, &format!("/video/{hash_id}/storyboard.jpg")).await;
    assert_eq!((status, mime.as_str()), (200, "image/jpeg"));
    let sprite = decoded(&sprite);
    assert_eq!(sprite.dimensions(), (800, 284));
    for (_, _, x, y, w, h) in &cues {
        assert!(x + w <= sprite.width() && y + h <= sprite.height());
    }
    // The clip has keyframes every 2 s: neighbouring tiles show different pictures.
    let tile = |i: u32| image::imageops::crop_imm(&sprite, i * 160, 0, 160, 284).to_image();
    assert!(mean_difference(&tile(0), &tile(2)) > 3.0);
    // Both were made by the first request.
    assert_eq!(app.state.images.made(), 1);
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn storyboard_tiles_differ_on_a_video_with_a_single_keyframe() {
    // 8 s of moving test pattern whose only keyframe is the first picture.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-gop.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi"])
        .args(["-i", "testsrc2=size=360x640:rate=30:duration=8"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "1000"])
        .args(["-keyint_min", "1000", "-sc_threshold", "0"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let app = app().await;
    let user = app.create_user("alice").await;
    let bytes = std::fs::read(&path).unwrap();
    let hash_id = upload(&app, &user.token, "one-gop.mp4", "video/mp4", bytes).await;
    run_jobs(&app).await;
    publish(&app, &user.token, &hash_id, "shown").await;

    let (status, _, vtt) = fetch(&app, &format!("/video/{hash_id}/storyboard.vtt")).await;
    assert_eq!(status, 200);
    let cues = cues(&String::from_utf8(vtt).unwrap());
    assert_eq!(cues.len(), 4);
    let (status, _, sprite) = fetch(&app, &format!("/video/{hash_id}/storyboard.jpg")).await;
    assert_eq!(status, 200);
    let sprite = decoded(&sprite);
    let tile = |&(_, _, x, y, w, h): &(f64, f64, u32, u32, u32, u32)| {
        image::imageops::crop_imm(&sprite, x, y, w, h).to_image()
    };
    // Each tile is the picture at its time, not the first keyframe again.
    for pair in cues.windows(2) {
        let difference = mean_difference(&tile(&pair[0]), &tile(&pair[1]));
        assert!(difference > 3.0, "{pair:?}: {difference}");
    }
}

#[tokio::test]
async fn out_of_bounds_parameters_are_422_in_the_video_apis_shape() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let response = get(
        &app,
        &format!("/video/{hash_id}/thumbnail.jpg?time=10.5&width=1921&height=0&fit=zoom"),
        None,
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = json(response).await;
    let locs: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| &issue["loc"])
        .collect();
    assert_eq!(
        locs,
        [
            &json!(["query", "time"]),
            &json!(["query", "width"]),
            &json!(["query", "height"]),
            &json!(["query", "fit"])
        ]
    );
    for bad in ["time=-1", "time=abc", "width=2.5"] {
        let path = format!("/video/{hash_id}/thumbnail.webp?{bad}");
        assert_eq!(get(&app, &path, None).await.status(), 422, "{bad}");
    }
    for bad in ["start=11", "width=321", "width=0"] {
        let path = format!("/video/{hash_id}/animated.gif?{bad}");
        assert_eq!(get(&app, &path, None).await.status(), 422, "{bad}");
    }
    assert_eq!(app.state.images.made(), 0);
}

#[tokio::test]
async fn decoding_waits_for_a_processing_slot_and_a_full_queue_is_503_before_any_decoding() {
    let app = spawn_app_with(|settings| {
        settings.processing_workers = 0;
        settings.processing_concurrency = 1;
        settings.processing_queue = 0;
    })
    .await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let path = format!("/video/{hash_id}/thumbnail.jpg?time=4&width=90");
    let held = app.state.processing.enter().await.unwrap();
    let busy = get(&app, &path, None).await;
    assert_eq!(busy.status(), 503);
    assert!(busy.headers().contains_key("retry-after"));
    assert_eq!(app.state.images.made(), 0);
    // Cached images need no slot.
    let (status, _, _) = fetch(&app, &format!("/video/{hash_id}/thumbnail.jpg")).await;
    assert_eq!(status, 200);
    drop(held);
    let (status, _, _) = fetch(&app, &path).await;
    assert_eq!(status, 200);
    assert_eq!(app.state.images.made(), 1);
}

#[tokio::test]
async fn the_image_routes_are_in_the_openapi_document() {
    let app = app().await;
    let doc: Value = json(get(&app, "/openapi.json", None).await).await;
    for file in [
        "thumbnail.jpg",
        "thumbnail.webp",
        "animated.gif",
        "animated.webp",
        "storyboard.vtt",
        "storyboard.jpg",
    ] {
        let path = format!("/video/{{hash_id}}/{file}");
        assert!(doc["paths"][&path]["get"].is_object(), "{path}");
    }
    let fit = &doc["paths"]["/video/{hash_id}/thumbnail.jpg"]["get"]["parameters"];
    assert!(fit.to_string().contains("cover"), "fit is documented");
}

/// `path` signed as the Video API signs its media links.
fn signed(app: &TestApp, path: &str, owner: bool) -> String {
    let expiry = format!("exp={}", app.clock_now() + 600);
    let mut parts = vec!["GET", path, expiry.as_str()];
    if owner {
        parts.push("for=owner");
    }
    let sig = app.state.signer.sign(&parts);
    let owner = if owner { "&for=owner" } else { "" };
    format!("{path}?{expiry}{owner}&sig={sig}")
}

#[tokio::test]
async fn a_private_videos_images_are_refused_to_everyone_but_its_owner() {
    let app = app().await;
    let (token, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let made_private = put_json(
        &app,
        &format!("/video/my/{hash_id}"),
        Some(&token),
        &json!({"is_private": true}),
    )
    .await;
    assert_eq!(made_private.status(), 204);
    for file in [
        "thumbnail.jpg",
        "thumbnail.webp",
        "animated.gif",
        "animated.webp",
        "storyboard.vtt",
        "storyboard.jpg",
    ] {
        let path = format!("/video/{hash_id}/{file}");
        // A plain link says nothing; a link given to anyone is refused; a forged one too.
        assert_eq!(
            get(&app, &format!("{path}?time=1"), None).await.status(),
            404,
            "{file}"
        );
        let anyone = signed(&app, &path, false);
        assert_eq!(get(&app, &anyone, None).await.status(), 403, "{file}");
        let forged = signed(&app, &format!("/video/{hash_id}/original"), true)
            .replace("/original", &format!("/{file}"));
        assert_eq!(get(&app, &forged, None).await.status(), 403, "{file}");
    }
    assert_eq!(
        app.state.images.made(),
        0,
        "something was decoded for a refused request"
    );

    // The owner's link works, and the storyboard's sprite link inherits it.
    let owners = signed(&app, &format!("/video/{hash_id}/thumbnail.jpg"), true);
    let (status, _, bytes) = fetch(&app, &format!("{owners}&time=1&width=36")).await;
    assert_eq!(status, 200);
    assert_eq!(decoded(&bytes).dimensions(), (36, 64));
    let owners_vtt = signed(&app, &format!("/video/{hash_id}/storyboard.vtt"), true);
    let (status, _, vtt) = fetch(&app, &owners_vtt).await;
    assert_eq!(status, 200);
    let vtt = String::from_utf8(vtt).unwrap();
    let sprite_link = vtt
        .lines()
        .find(|l| l.contains("#xywh="))
        .unwrap()
        .split_once('#')
        .unwrap()
        .0;
    assert!(sprite_link.starts_with("storyboard.jpg?exp=") && sprite_link.contains("for=owner"));
    let sprite = format!("/video/{hash_id}/{sprite_link}");
    assert_eq!(get(&app, &sprite, None).await.status(), 200);
}

#[tokio::test]
async fn deleting_a_video_removes_its_images() {
    let app = app().await;
    let (token, hash_id) = listed(&app, CLIP, "video/mp4").await;
    for query in [
        "thumbnail.jpg?time=2",
        "animated.gif",
        "animated.webp",
        "storyboard.vtt",
    ] {
        let (status, _, _) = fetch(&app, &format!("/video/{hash_id}/{query}")).await;
        assert_eq!(status, 200, "{query}");
    }
    assert!(
        app.stored_files()
            .await
            .iter()
            .any(|p| p.to_string_lossy().contains("/images/"))
    );
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&token)).await.status(), 204);
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
}

/// ffmpeg's picture at `time` (input seeking, as the endpoint documents) of a 360×640
/// fixture, as RGB.
fn ffmpeg_frame(name: &str, time: f64) -> RgbImage {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{time}"), "-i"])
        .arg(&path)
        .args([
            "-frames:v",
            "1",
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            "pipe:1",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    RgbImage::from_raw(360, 640, output.stdout).expect("a 360×640 frame")
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mse: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.as_raw().len() as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn the_picture_at_time_is_ffmpegs_picture_at_that_time() {
    let app = app().await;
    let (_, hash_id) = listed(&app, CLIP, "video/mp4").await;
    let mut report = Vec::new();
    for time in [0.0, 1.0, 2.5, 3.3, 7.9] {
        let path = format!("/video/{hash_id}/thumbnail.jpg?time={time}&width=360");
        let (status, _, bytes) = fetch(&app, &path).await;
        assert_eq!(status, 200);
        let ours = decoded(&bytes);
        let theirs = ffmpeg_frame(CLIP, time);
        let at_time = psnr(&ours, &theirs);
        // A neighbouring second is clearly another picture (the burnt-in clock).
        let elsewhere = psnr(&ours, &ffmpeg_frame(CLIP, (time + 1.0) % 9.0));
        report.push(format!(
            "{time}s: {at_time:.1} dB (1 s away: {elsewhere:.1} dB)"
        ));
        assert!(at_time >= 30.0, "{report:?}");
        assert!(elsewhere < at_time - 3.0, "{report:?}");
    }
    println!("{report:#?}");
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_vp9_video_gets_its_images_through_ffmpeg() {
    let app = spawn_app_with(|settings| {
        settings.processing_workers = 0;
        settings.media.ffmpeg = media::FfmpegMode::Auto;
    })
    .await;
    let (_, hash_id) = listed(&app, "vp9.webm", "video/webm").await;
    let (status, _, bytes) = fetch(
        &app,
        &format!("/video/{hash_id}/thumbnail.jpg?time=1.5&width=360"),
    )
    .await;
    assert_eq!(status, 200);
    let at_time = psnr(&decoded(&bytes), &ffmpeg_frame("vp9.webm", 1.5));
    println!("vp9 1.5s: {at_time:.1} dB");
    assert!(at_time >= 30.0);
    let (status, _, gif) = fetch(&app, &format!("/video/{hash_id}/animated.gif?start=1")).await;
    assert_eq!(status, 200);
    let frames = animation_frames(&gif);
    assert_eq!(frames.len(), 20);
    let (status, mime, webp) =
        fetch(&app, &format!("/video/{hash_id}/animated.webp?start=1")).await;
    assert_eq!((status, mime.as_str()), (200, "image/webp"));
    let frames = animation_frames(&webp);
    assert_eq!(frames.len(), 20);
    let (status, _, vtt) = fetch(&app, &format!("/video/{hash_id}/storyboard.vtt")).await;
    assert_eq!(status, 200);
    assert_eq!(
        cues(&String::from_utf8(vtt).unwrap()).last().unwrap().1,
        3.0
    );
}

#[tokio::test]
#[ignore = "needs ../shared/media"]
async fn phone_clip_images_cold_and_cached_timings() {
    let app = app().await;
    let user = app.create_user("alice").await;
    let bytes = std::fs::read(crate::helpers::phone_clip_dir().join("clip-a.mp4")).unwrap();
    let hash_id = upload(&app, &user.token, "clip-a.mp4", "video/mp4", bytes).await;
    run_jobs(&app).await;
    publish(&app, &user.token, &hash_id, "shown").await;
    let mut report = Vec::new();
    for query in [
        "thumbnail.jpg?time=7.5&width=576",
        "thumbnail.webp?time=3&width=320",
        "animated.gif?start=2",
        "animated.webp?start=2",
        "storyboard.vtt",
    ] {
        let path = format!("/video/{hash_id}/{query}");
        let cold = std::time::Instant::now();
        let (status, _, body) = fetch(&app, &path).await;
        let cold = cold.elapsed();
        assert_eq!(status, 200, "{query}");
        let warm = std::time::Instant::now();
        let (_, _, again) = fetch(&app, &path).await;
        let warm = warm.elapsed();
        assert_eq!(again, body);
        report.push(format!(
            "{query}: made in {cold:.2?}, cached {warm:.2?}, {} bytes",
            body.len()
        ));
    }
    assert_eq!(app.state.images.made(), 5);
    println!("{report:#?}");
}

/// The watch record of `user_id`'s `hash_id`, read with `token`.
async fn watch_record(app: &TestApp, user_id: &str, hash_id: &str, token: Option<&str>) -> Value {
    let path = format!("/video/watch/?user_id={user_id}&hash_id={hash_id}");
    let response = get(app, &path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_watch_record_hands_out_signed_image_links_for_its_reader() {
    let app = app().await;
    let user = app.create_user("alice").await;
    let (token, user_id) = (user.token.as_str(), user.account.public_id.as_str());
    let hash_id = upload(&app, token, CLIP, "video/mp4", fixture(CLIP)).await;
    run_jobs(&app).await;
    publish(&app, token, &hash_id, "shown").await;
    let files = [
        ("thumbnail_jpg_url", "thumbnail.jpg", "image/jpeg"),
        ("thumbnail_webp_url", "thumbnail.webp", "image/webp"),
        ("animated_gif_url", "animated.gif", "image/gif"),
        ("animated_webp_url", "animated.webp", "image/webp"),
        ("storyboard_vtt_url", "storyboard.vtt", "text/vtt"),
    ];
    // Anyone's record of a public video: links for anyone, which take the image parameters.
    let anyones = watch_record(&app, user_id, &hash_id, None).await["images"].clone();
    for (field, file, mime) in files {
        let link = anyones[field].as_str().unwrap();
        assert!(
            link.contains(&format!("/video/{hash_id}/{file}?exp=")),
            "{link}"
        );
        assert!(!link.contains("for=owner"), "{link}");
        let (status, got, _) = fetch_url(&app, link).await;
        assert_eq!(status, 200, "{field}: {link}");
        assert!(got.starts_with(mime), "{field}: {got}");
    }
    let thumbnail = anyones["thumbnail_jpg_url"].as_str().unwrap();
    let (status, _, bytes) = fetch_url(&app, &format!("{thumbnail}&time=1&width=36")).await;
    assert_eq!(status, 200);
    assert_eq!(decoded(&bytes).dimensions(), (36, 64));

    // Made private, anyone's links stop; the owner's record hands out links that work.
    let made_private = put_json(
        &app,
        &format!("/video/my/{hash_id}"),
        Some(token),
        &json!({"is_private": true}),
    )
    .await;
    assert_eq!(made_private.status(), 204);
    assert_eq!(get_url(&app, thumbnail, None).await.status(), 403);
    let owners = watch_record(&app, user_id, &hash_id, Some(token)).await["images"].clone();
    for (field, _, mime) in files {
        let link = owners[field].as_str().unwrap();
        assert!(link.contains("for=owner"), "{link}");
        let (status, got, _) = fetch_url(&app, link).await;
        assert_eq!(status, 200, "{field}: {link}");
        assert!(got.starts_with(mime), "{field}: {got}");
    }
}
