//! The remuxers on the committed fixtures: structure checks always, frame-exactness against
//! ffmpeg's decoder when ffmpeg is installed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::faststart::{Faststart, make_faststart};
use super::hls::package;
use super::segments::MAX_SECONDS;
use crate::isobmff::top_level_spans;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn top_level_kinds(path: &Path) -> Vec<String> {
    let mut file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    top_level_spans(&mut file, len)
        .unwrap()
        .iter()
        .map(|s| String::from_utf8_lossy(&s.kind).into_owned())
        .collect()
}

#[test]
fn the_moov_at_end_fixture_comes_back_with_moov_first_and_still_probes() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture("moov-at-end.mp4");
    let kinds = top_level_kinds(&source);
    assert!(
        kinds.iter().position(|k| k == "moov") > kinds.iter().position(|k| k == "mdat"),
        "{kinds:?}"
    );
    let out = dir.path().join("fast.mp4");
    let Faststart::Remuxed { bytes } = make_faststart(&source, &out).unwrap() else {
        panic!("the fixture should need a remux");
    };
    assert_eq!(bytes, std::fs::metadata(&source).unwrap().len());
    let kinds = top_level_kinds(&out);
    assert!(
        kinds.iter().position(|k| k == "moov") < kinds.iter().position(|k| k == "mdat"),
        "{kinds:?}"
    );
    let limits = crate::limits::Limits::from_config(&crate::MediaConfig::default());
    let outcome =
        crate::builtin::process_file(&out, crate::builtin::FrameChoice::NearestKeyframe, &limits)
            .unwrap();
    assert!(matches!(outcome, crate::builtin::BuiltinOutcome::Done(_)));
    // An index-first file needs no copy.
    assert_eq!(
        make_faststart(&fixture("h264-baseline.mp4"), &dir.path().join("no.mp4")).unwrap(),
        Faststart::AlreadyFast
    );
}

#[test]
fn hls_segments_start_at_keyframes_and_stay_within_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let package = package(&fixture("h264-high-bframes.mp4"), dir.path(), (360, 640))
        .unwrap()
        .unwrap();
    let rendition = &package.rendition;
    // Keyframes every 2 s in a 10 s clip: 4 + 4 + 2.
    assert_eq!(rendition.segment_seconds, [4.0, 4.0, 2.0]);
    assert!(
        rendition
            .segment_seconds
            .iter()
            .all(|s| *s <= MAX_SECONDS as f64)
    );
    assert!(
        rendition.codecs.starts_with("avc1.64"),
        "{}",
        rendition.codecs
    );
    assert!(rendition.codecs.ends_with(",mp4a.40.2"));
    assert!(rendition.bandwidth >= rendition.average_bandwidth);
    assert_eq!(rendition.segment_data.len(), 3);
    assert_eq!(top_level_kinds(&package.init), ["ftyp", "moov"]);
    let whole = dir.path().join("whole.m4s");
    for number in 1..=3 {
        let bytes = package
            .segment_bytes(number, &fixture("h264-high-bframes.mp4"))
            .unwrap();
        std::fs::write(&whole, bytes).unwrap();
        assert_eq!(top_level_kinds(&whole), ["moof", "mdat"]);
    }
}

#[test]
fn an_interleaved_files_segments_are_heads_pointing_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture("h264-high-bframes.mp4");
    let source_len = std::fs::metadata(&source).unwrap().len();
    let package = package(&source, dir.path(), (360, 640)).unwrap().unwrap();
    // One file of heads and the init segment: no segment files, no second copy.
    assert!(package.segments.is_empty());
    let heads = package.heads.as_ref().unwrap();
    let heads_len = std::fs::metadata(heads).unwrap().len();
    assert_eq!(package.files().count(), 2);
    // The heads are the sample tables (16 bytes a video frame, 8 an audio one): a tenth of
    // this low-rate 384 KB fixture, a thousandth of a phone clip.
    assert!(heads_len * 10 < source_len, "{heads_len} of {source_len}");
    let data = &package.rendition.segment_data;
    assert_eq!(data.len(), 3);
    let mut head_end = 0;
    for number in 1..=3 {
        let parts = package.rendition.segment_parts(number).unwrap();
        // Heads back to back in heads.bin; data inside the source.
        assert_eq!(parts.head.start, head_end);
        head_end = parts.head.end;
        assert!(parts.data.end <= source_len);
    }
    assert_eq!(head_end, heads_len);
    // The ranges cover the media data about once: an audio chunk that straddles a cut is in
    // both segments' ranges.
    let covered: u64 = data.iter().map(|d| d[3]).sum();
    assert!(
        covered * 20 < source_len * 21,
        "{covered} against {source_len}"
    );
    assert!(package.rendition.segment_parts(0).is_none());
    assert!(package.rendition.segment_parts(4).is_none());

    // Round-tripped through the stored JSON, the parts stay; an index without them (from
    // before they existed) means whole segment files.
    let json = serde_json::to_string(&package.rendition).unwrap();
    let back: super::hls::Rendition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, package.rendition);
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    old.as_object_mut().unwrap().remove("segment_data");
    let old: super::hls::Rendition = serde_json::from_value(old).unwrap();
    assert!(old.segment_parts(1).is_none());
}

/// `ffmpeg -f framemd5` of `input`'s stream `stream`: the hash column of each frame.
/// The frame lines (stream, dts, pts, duration, size, hash) of `ffmpeg -f framemd5` for
/// `input` with `options` (which streams, decoded or copied).
fn framemd5_lines(input: &Path, options: &[&str]) -> Vec<String> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(input)
        .args(options)
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The hashes of `stream`'s decoded frames.
fn frame_hashes(input: &Path, stream: &str) -> Vec<String> {
    framemd5_lines(input, &["-map", stream])
        .iter()
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_owned()))
        .collect()
}

#[test]
#[ignore = "needs ffmpeg"]
fn the_faststart_copy_and_the_hls_segments_decode_to_the_original_frames() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["moov-at-end.mp4", "h264-high-bframes.mp4", "rotated-90.mp4"] {
        let source = fixture(name);
        let fast = dir.path().join(format!("fast-{name}"));
        let served = match make_faststart(&source, &fast).unwrap() {
            Faststart::Remuxed { .. } => fast,
            Faststart::AlreadyFast => source.clone(),
        };
        let hls_dir = dir.path().join(format!("hls-{name}"));
        std::fs::create_dir_all(&hls_dir).unwrap();
        let package = package(&source, &hls_dir, (360, 640)).unwrap().unwrap();
        // The init segment and every segment, concatenated: what a player appends.
        let joined = dir.path().join(format!("joined-{name}"));
        let mut bytes = std::fs::read(&package.init).unwrap();
        for number in (1..).take(package.rendition.segment_seconds.len()) {
            bytes.extend(package.segment_bytes(number, &source).unwrap());
        }
        std::fs::write(&joined, bytes).unwrap();
        for stream in ["0:v", "0:a"] {
            let original = frame_hashes(&source, stream);
            assert!(original.len() > 100, "{name} {stream}");
            assert_eq!(
                frame_hashes(&served, stream),
                original,
                "{name} {stream} faststart"
            );
            let hls = frame_hashes(&joined, stream);
            if stream == "0:v" {
                assert_eq!(hls, original, "{name} video in HLS");
            } else {
                // The audio edit list (skip the AAC encoder's 1024 priming samples) is copied
                // into the init segment, but ffmpeg's demuxer does not apply edit lists to
                // fragments, so the priming frame decodes too; every other frame is the same.
                assert!(hls.len() - original.len() <= 1, "{name}: {}", hls.len());
                assert_eq!(
                    hls[hls.len() - original.len()..],
                    original,
                    "{name} audio in HLS"
                );
            }
        }
    }
}

/// Keyframe times of `input`'s video, as ffprobe prints them.
fn keyframe_times(input: &Path) -> Vec<String> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-skip_frame",
            "nokey",
        ])
        .args(["-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(input)
        .output()
        .expect("ffprobe runs");
    // Side data adds empty fields and lines.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim_end_matches(',').to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn stream_facts(input: &Path) -> String {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,profile,width,height",
        ])
        .args(["-of", "csv=p=0"])
        .arg(input)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_hevc_upload_gets_an_h264_ladder_with_keyframes_aligned_across_rungs() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("hevc.mp4");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=720x1280:rate=30:duration=7",
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=7"])
        .args([
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
        ])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&source)
        .status()
        .unwrap();
    assert!(made.success());
    let pipeline = crate::Pipeline::new(crate::MediaConfig::default());
    let probe = pipeline.process(&source).await.unwrap().probe;
    assert_eq!(probe.video_codec, "hevc");
    let out = dir.path().join("ladder");
    std::fs::create_dir_all(&out).unwrap();
    let started = std::time::Instant::now();
    let ladder = pipeline.encode_ladder(&source, &probe, &out).await.unwrap();
    eprintln!("ladder of a 7 s 720×1280 clip: {:?}", started.elapsed());

    let names: Vec<&str> = ladder
        .iter()
        .map(|r| r.hls.rendition.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["360p", "540p", "720p"],
        "never above the 720-wide source"
    );
    let expected_keyframes = keyframe_times(&ladder[0].mp4);
    assert_eq!(
        expected_keyframes.len(),
        4,
        "every 2 s: {expected_keyframes:?}"
    );
    for (rung, size) in ladder.iter().zip(["360,640", "540,960", "720,1280"]) {
        let facts = stream_facts(&rung.mp4);
        assert!(facts.contains(&format!("h264,High,{size}")), "{facts}");
        assert!(facts.contains("aac"), "{facts}");
        assert_eq!(
            keyframe_times(&rung.mp4),
            expected_keyframes,
            "{}",
            rung.hls.rendition.name
        );
        assert_eq!(rung.hls.rendition.segment_seconds, [4.0, 3.0]);
        assert!(rung.hls.rendition.codecs.starts_with("avc1.64"));
        let kinds = top_level_kinds(&rung.mp4);
        assert!(
            kinds.iter().position(|k| k == "moov") < kinds.iter().position(|k| k == "mdat"),
            "faststart: {kinds:?}"
        );
    }
    // The audio is encoded once and the same packets are muxed into every rung.
    let audio = |mp4: &Path| framemd5_lines(mp4, &["-map", "0:a", "-c", "copy"]);
    let first_audio = audio(&ladder[0].mp4);
    assert!(!first_audio.is_empty());
    for rung in &ladder[1..] {
        assert_eq!(audio(&rung.mp4), first_audio, "{}", rung.hls.rendition.name);
    }
    // A source below the lowest rung is skipped, not failed.
    let small = crate::Probe {
        width: 320,
        height: 240,
        ..probe
    };
    assert!(
        pipeline
            .encode_ladder(&source, &small, &out)
            .await
            .unwrap()
            .is_empty()
    );
}

#[test]
fn hostile_files_are_refused_or_packaged_quickly_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile");
    let mut seen = 0;
    for entry in std::fs::read_dir(hostile).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "mp4") {
            continue;
        }
        seen += 1;
        let started = std::time::Instant::now();
        let out = dir.path().join("out.mp4");
        // Either outcome is fine; a panic, a hang or a huge allocation is not.
        let _ = make_faststart(&path, &out);
        let hls_dir = dir.path().join("hls");
        std::fs::create_dir_all(&hls_dir).unwrap();
        let _ = package(&path, &hls_dir, (64, 64));
        std::fs::remove_dir_all(&hls_dir).unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{}",
            path.display()
        );
    }
    assert!(seen > 20, "the hostile corpus is missing");
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_source_without_audio_gets_a_video_only_ladder() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("silent.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi"])
        .args(["-i", "testsrc2=size=640x360:rate=30:duration=3"])
        .args(["-c:v", "libx264", "-preset", "ultrafast"])
        .arg(&source)
        .status()
        .unwrap();
    assert!(made.success());
    let pipeline = crate::Pipeline::new(crate::MediaConfig::default());
    let probe = pipeline.process(&source).await.unwrap().probe;
    let out = dir.path().join("ladder");
    std::fs::create_dir_all(&out).unwrap();
    let ladder = pipeline.encode_ladder(&source, &probe, &out).await.unwrap();
    assert_eq!(ladder.len(), 1, "360p only");
    assert_eq!(stream_facts(&ladder[0].mp4).trim(), "h264,High,640,360");
}
