//! Playback through the real router: the faststart MP4 behind `/get-video` and
//! `watchable_url`, the signed HLS tree behind `hls_url` (playlist shape, every link signed
//! with the same expiry, visibility rules), and `DELETE` leaving nothing behind. With ffmpeg,
//! ffprobe reads the master playlist over HTTP and the frames match the original's.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{CLIP, TestApp, fixture, spawn_app_with};
use crate::video_api_support::*;

async fn app() -> TestApp {
    spawn_app_with(|settings| settings.processing_workers = 0).await
}

/// Top-level box types of an MP4.
fn top_level(bytes: &[u8]) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    kinds
}

fn moov_first(bytes: &[u8]) -> bool {
    let kinds = top_level(bytes);
    kinds.iter().position(|k| k == "moov") < kinds.iter().position(|k| k == "mdat")
}

/// Uploads `name` as a new user, processes and lists it; returns (user, hash_id).
async fn listed(app: &TestApp, name: &str) -> (crate::helpers::TestUser, String) {
    let user = app.create_user("alice").await;
    let hash_id = upload(app, &user.token, name, "video/mp4", fixture(name)).await;
    run_jobs(app).await;
    publish(app, &user.token, &hash_id, "shown").await;
    (user, hash_id)
}

async fn watch_record(app: &TestApp, user_id: &str, hash_id: &str, token: Option<&str>) -> Value {
    let path = format!("/video/watch/?user_id={user_id}&hash_id={hash_id}");
    let response = get(app, &path, token).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// The non-tag lines of a playlist: its links.
fn links(playlist: &str) -> Vec<String> {
    let mut links: Vec<String> = playlist
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    // The init segment's link is inside a tag.
    for line in playlist.lines() {
        if let Some(uri) = line.strip_prefix("#EXT-X-MAP:URI=\"") {
            links.push(uri.trim_end_matches('"').to_owned());
        }
    }
    links
}

fn query_value<'a>(link: &'a str, name: &str) -> Option<&'a str> {
    link.split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
}

/// Resolves a playlist's relative link against the playlist's URL.
fn resolve(base: &str, relative: &str) -> String {
    let base = base.split_once('?').map_or(base, |(path, _)| path);
    let dir = &base[..=base.rfind('/').unwrap()];
    format!("{dir}{relative}")
}

#[tokio::test]
async fn a_moov_at_end_upload_is_served_index_first_by_both_apis() {
    let app = app().await;
    let original = fixture("moov-at-end.mp4");
    assert!(!moov_first(&original));

    // Creator API: processed inline, /get-video serves the faststart copy.
    let id = app.upload_clip("moov-at-end.mp4", "late index").await;
    let served = app.get(&format!("/get-video?video_id={id}")).await;
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    assert!(moov_first(&served), "{:?}", top_level(&served));
    assert_eq!(
        served.len(),
        original.len(),
        "lossless: the same boxes, moved"
    );

    // Video API: the watch link streams the faststart copy, ranges included.
    let (user, hash_id) = listed(&app, "moov-at-end.mp4").await;
    let record = watch_record(&app, user.account.public_id.as_str(), &hash_id, None).await;
    let url = record["watchable_url"].as_str().unwrap();
    let whole = get_url(&app, url, None).await.bytes().await.unwrap();
    assert!(moov_first(&whole));
    let head = get_url(&app, url, Some("bytes=0-99")).await;
    assert_eq!(head.status(), 206);
    assert_eq!(head.bytes().await.unwrap(), whole[..100]);

    // An index-first upload is served as it is: no copy was made.
    let id = app.upload_clip(CLIP, "already fast").await;
    let served = app.get(&format!("/get-video?video_id={id}")).await;
    assert_eq!(served.bytes().await.unwrap(), fixture(CLIP));
}

#[tokio::test]
async fn the_watch_record_links_a_signed_hls_tree_of_keyframe_cut_segments() {
    let app = app().await;
    let (user, hash_id) = listed(&app, CLIP).await;
    let record = watch_record(&app, user.account.public_id.as_str(), &hash_id, None).await;
    assert_eq!(record["ladder"], Value::Null, "no ffmpeg, no ladder");
    assert_eq!(record["renditions"][0]["name"], "source", "{record}");
    assert_eq!(record["renditions"][0]["width"], 360);
    assert_eq!(record["renditions"][0]["height"], 640);
    let codecs = record["renditions"][0]["codecs"].as_str().unwrap();
    assert!(
        codecs.starts_with("avc1.64") && codecs.ends_with(",mp4a.40.2"),
        "{codecs}"
    );

    let master_url = record["hls_url"].as_str().unwrap();
    assert!(master_url.contains(&format!("/media/{hash_id}/hls/master.m3u8?exp=")));
    let expiry = query_value(master_url, "exp").unwrap();
    let master = get_url(&app, master_url, None).await;
    assert_eq!(master.status(), 200);
    assert_eq!(
        master.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let master = master.text().await.unwrap();
    assert!(
        master.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"),
        "{master}"
    );
    let stream_inf = master
        .lines()
        .find(|l| l.starts_with("#EXT-X-STREAM-INF:"))
        .unwrap();
    assert!(stream_inf.contains("BANDWIDTH="), "{stream_inf}");
    assert!(stream_inf.contains("RESOLUTION=360x640"), "{stream_inf}");
    assert!(
        stream_inf.contains(&format!("CODECS=\"{codecs}\"")),
        "{stream_inf}"
    );

    let media_link = &links(&master)[0];
    assert_eq!(query_value(media_link, "exp"), Some(expiry));
    assert!(query_value(media_link, "sig").is_some());
    let media_url = resolve(master_url, media_link);
    let playlist = get_url(&app, &media_url, None).await.text().await.unwrap();
    for tag in [
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MAP:URI=\"init.mp4?",
        "#EXT-X-ENDLIST",
    ] {
        assert!(playlist.contains(tag), "{tag} missing from\n{playlist}");
    }
    // Keyframes every 2 s in a 10 s clip: cut at 4 and 8 s.
    let durations: Vec<&str> = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .collect();
    assert_eq!(durations, ["4.000000,", "4.000000,", "2.000000,"]);

    let files = links(&playlist);
    assert_eq!(files.len(), 4, "three segments and the init segment");
    for link in &files {
        assert_eq!(query_value(link, "exp"), Some(expiry), "{link}");
        let url = resolve(&media_url, link);
        let response = get_url(&app, &url, None).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], "video/mp4");
        let bytes = response.bytes().await.unwrap();
        let expected = if link.starts_with("init.mp4") {
            ["ftyp", "moov"]
        } else {
            ["moof", "mdat"]
        };
        assert_eq!(top_level(&bytes), expected, "{link}");
        if !link.starts_with("init.mp4") {
            // A segment is its stored head followed by a range of the original, served as
            // one resource: any byte range of it is that range of the whole.
            let len = bytes.len();
            assert!(len > 20_000, "{link}: {len} bytes");
            for (range, slice) in [
                ("bytes=0-99".to_owned(), 0..100),
                (format!("bytes=100-{}", len / 2), 100..len / 2 + 1),
                (format!("bytes={}-", len - 50), len - 50..len),
                ("bytes=-30".to_owned(), len - 30..len),
            ] {
                let part = get_url(&app, &url, Some(&range)).await;
                assert_eq!(part.status(), 206, "{link} {range}");
                assert_eq!(
                    part.headers()["content-range"],
                    format!("bytes {}-{}/{len}", slice.start, slice.end - 1)
                );
                assert_eq!(part.bytes().await.unwrap(), bytes[slice], "{link} {range}");
            }
            let past = get_url(&app, &url, Some(&format!("bytes={len}-"))).await;
            assert_eq!(past.status(), 416, "{link}");
            let etag = response_etag(&app, &url).await;
            let again = app
                .client
                .get(&url)
                .header("If-None-Match", &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304, "{link}");
        }
        // The same link with its path, expiry or signature changed is refused.
        let other = url.replace("/0/", "/1/");
        assert_eq!(get_url(&app, &other, None).await.status(), 403);
        let later = url.replace(&format!("exp={expiry}"), &format!("exp={expiry}0"));
        assert_eq!(get_url(&app, &later, None).await.status(), 403);
    }
    let unsigned = master_url.split_once('?').unwrap().0;
    assert_eq!(get_url(&app, unsigned, None).await.status(), 403);
}

async fn response_etag(app: &TestApp, url: &str) -> String {
    let response = get_url(app, url, None).await;
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_private_videos_playlists_are_refused_to_everyone_but_its_owner() {
    let app = app().await;
    let (owner, hash_id) = listed(&app, CLIP).await;
    let user_id = owner.account.public_id.as_str().to_owned();
    let public = watch_record(&app, &user_id, &hash_id, None).await;
    let owners = watch_record(&app, &user_id, &hash_id, Some(&owner.token)).await;
    let public_master = public["hls_url"].as_str().unwrap().to_owned();
    let owners_master = owners["hls_url"].as_str().unwrap().to_owned();
    assert!(owners_master.contains("for=owner"));
    let owners_playlist = get_url(&app, &owners_master, None)
        .await
        .text()
        .await
        .unwrap();
    // The owner's links stay the owner's: a link inside cannot be turned into a public one.
    assert!(links(&owners_playlist)[0].contains("for=owner"));
    let public_playlist = get_url(&app, &public_master, None)
        .await
        .text()
        .await
        .unwrap();
    let public_media = resolve(&public_master, &links(&public_playlist)[0]);

    let path = format!("/video/my/{hash_id}");
    let made_private = put_json(
        &app,
        &path,
        Some(&owner.token),
        &json!({"is_private": true}),
    )
    .await;
    assert_eq!(made_private.status(), 204);

    // Links handed to anyone stop at once, playlists and segments alike.
    assert_eq!(get_url(&app, &public_master, None).await.status(), 403);
    assert_eq!(get_url(&app, &public_media, None).await.status(), 403);
    let stranger = app.create_user("mallory").await;
    let refused = get(
        &app,
        &format!("/video/watch/?user_id={user_id}&hash_id={hash_id}"),
        Some(&stranger.token),
    )
    .await;
    assert_eq!(refused.status(), 403);
    // The owner's still work.
    assert_eq!(get_url(&app, &owners_master, None).await.status(), 200);
    let owners_media = resolve(&owners_master, &links(&owners_playlist)[0]);
    let media = get_url(&app, &owners_media, None)
        .await
        .text()
        .await
        .unwrap();
    let segment = resolve(&owners_media, &links(&media)[0]);
    assert_eq!(get_url(&app, &segment, None).await.status(), 200);
}

#[tokio::test]
async fn deleting_a_video_removes_its_faststart_copy_and_every_hls_file() {
    let app = app().await;
    let (user, hash_id) = listed(&app, "moov-at-end.mp4").await;
    let stored: Vec<String> = app
        .stored_files()
        .await
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.contains(&hash_id))
        .collect();
    for expected in [
        "faststart.mp4",
        "hls/index.json",
        "hls/0/init.mp4",
        "hls/0/heads.bin",
    ] {
        assert!(
            stored.iter().any(|p| p.ends_with(expected)),
            "{expected}: {stored:?}"
        );
    }
    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
    let media_dir = app.data_dir.path().join("media/videos");
    let left: Vec<_> = std::fs::read_dir(&media_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        left,
        Vec::<std::path::PathBuf>::new(),
        "no empty directories either"
    );
}

/// The hash column of `ffmpeg -f framemd5` for `stream` of `input` (a path or a URL).
fn frame_hashes(input: &str, stream: &str) -> Vec<String> {
    let output = Command::new("ffmpeg")
        .args([
            "-v", "error", "-i", input, "-map", stream, "-f", "framemd5", "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_owned()))
        .collect()
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn ffprobe_reads_the_hls_tree_over_http_and_both_links_decode_to_the_original_frames() {
    let app = app().await;
    let (user, hash_id) = listed(&app, "moov-at-end.mp4").await;
    let record = watch_record(&app, user.account.public_id.as_str(), &hash_id, None).await;
    let master = record["hls_url"].as_str().unwrap().to_owned();
    let mp4 = record["watchable_url"].as_str().unwrap().to_owned();

    let probe_master = master.clone();
    let probed = tokio::task::spawn_blocking(move || {
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height",
            ])
            .args(["-of", "csv=p=0", &probe_master])
            .output()
            .expect("ffprobe runs")
    })
    .await
    .unwrap();
    assert!(probed.status.success(), "{probed:?}");
    let streams = String::from_utf8_lossy(&probed.stdout).into_owned();
    assert!(streams.contains("h264,360,640"), "{streams}");
    assert!(streams.contains("aac"), "{streams}");

    let scratch = tempfile::tempdir().unwrap();
    let original = scratch.path().join("original.mp4");
    std::fs::write(&original, fixture("moov-at-end.mp4")).unwrap();
    let original = original.to_string_lossy().into_owned();
    let (from_mp4, from_hls, expected) = tokio::task::spawn_blocking(move || {
        (
            frame_hashes(&mp4, "0:v"),
            frame_hashes(&master, "0:v"),
            frame_hashes(&original, "0:v"),
        )
    })
    .await
    .unwrap();
    assert_eq!(expected.len(), 180);
    assert_eq!(from_mp4, expected, "the faststart MP4 over HTTP");
    assert_eq!(from_hls, expected, "the HLS stream over HTTP");
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_hevc_upload_plays_as_an_h264_ladder_once_processed() {
    let scratch = tempfile::tempdir().unwrap();
    let hevc = scratch.path().join("phone.mp4");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=540x960:rate=30:duration=4",
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=4"])
        .args([
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
        ])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&hevc)
        .status()
        .unwrap();
    assert!(made.success());
    let app = spawn_app_with(|settings| {
        settings.processing_workers = 0;
        settings.media.ffmpeg = media::FfmpegMode::Auto;
    })
    .await;
    let user = app.create_user("hevc").await;
    let bytes = std::fs::read(&hevc).unwrap();
    let hash_id = upload(&app, &user.token, "phone.mp4", "video/mp4", bytes).await;
    run_jobs(&app).await;
    publish(&app, &user.token, &hash_id, "from a phone").await;
    let record = watch_record(&app, user.account.public_id.as_str(), &hash_id, None).await;
    let names: Vec<&str> = record["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["360p", "540p"],
        "no built-in rendition of HEVC; never above 540"
    );
    assert_eq!(
        record["ladder"],
        Value::Null,
        "the ladder's state is the owner's"
    );
    let owners = watch_record(
        &app,
        user.account.public_id.as_str(),
        &hash_id,
        Some(&user.token),
    )
    .await;
    assert_eq!(owners["ladder"], json!({"state": "done", "detail": null}));
    for rendition in record["renditions"].as_array().unwrap() {
        assert!(rendition["codecs"].as_str().unwrap().starts_with("avc1.64"));
        let mp4 = get_url(&app, rendition["mp4_url"].as_str().unwrap(), None).await;
        assert_eq!(mp4.status(), 200);
        assert!(moov_first(&mp4.bytes().await.unwrap()));
    }
    let master = record["hls_url"].as_str().unwrap().to_owned();
    let probed = tokio::task::spawn_blocking(move || {
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height",
            ])
            .args(["-of", "csv=p=0", &master])
            .output()
            .expect("ffprobe runs")
    })
    .await
    .unwrap();
    let streams = String::from_utf8_lossy(&probed.stdout).into_owned();
    assert!(streams.contains("h264,360,640"), "{streams}");
    assert!(streams.contains("h264,540,960"), "{streams}");
    assert!(!streams.contains("hevc"), "{streams}");

    let path = format!("/video/my/{hash_id}");
    assert_eq!(delete(&app, &path, Some(&user.token)).await.status(), 204);
    assert_eq!(app.stored_files().await, Vec::<std::path::PathBuf>::new());
}

/// The number of variant streams in the master playlist the watch record links to.
async fn variants(app: &TestApp, user_id: &str, hash_id: &str) -> usize {
    let record = watch_record(app, user_id, hash_id, None).await;
    let master = get_url(app, record["hls_url"].as_str().unwrap(), None).await;
    assert_eq!(master.status(), 200);
    let master = master.text().await.unwrap();
    master.matches("#EXT-X-STREAM-INF:").count()
}

#[tokio::test]
async fn a_served_hls_index_is_cached_briefly_and_this_nodes_own_changes_show_at_once() {
    use server::upload::playback::{HLS_INDEX_TTL, hls_index, put_hls_index};
    use store::media_store::MediaObject;

    let app = app().await;
    let (user, hash_id) = listed(&app, CLIP).await;
    let user_id = user.account.public_id.as_str();
    assert_eq!(variants(&app, user_id, &hash_id).await, 1);
    let id = domain::ids::HashId::parse(&hash_id).unwrap();
    let mut index = hls_index(&app.state, &id).await.unwrap().unwrap();
    let mut rung = index.renditions[0].clone();
    rung.name = "360p".into();
    index.renditions.push(rung);

    // Another node adds a rendition: this node's cached index hides it for a few seconds.
    let json = serde_json::to_vec(&index).unwrap();
    app.state
        .media
        .put_bytes(&id, MediaObject::HlsIndex, json)
        .await
        .unwrap();
    assert_eq!(variants(&app, user_id, &hash_id).await, 1, "cached");
    app.clock.advance(HLS_INDEX_TTL);
    assert_eq!(variants(&app, user_id, &hash_id).await, 2, "read again");

    // This node's own change is seen at once.
    index.renditions.pop();
    put_hls_index(&app.state, &id, &index).await.unwrap();
    assert_eq!(variants(&app, user_id, &hash_id).await, 1);
}
