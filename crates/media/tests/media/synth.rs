//! `media::labelled_clip` end to end: the MP4 it makes goes through the crate's own built-in
//! pipeline (probe, thumbnails) and, in the tests ignored unless ffmpeg is installed
//! (`cargo test -p media -- --include-ignored`), through ffprobe and a full ffmpeg decode.
//! The generator's parts (font, pattern, box writer, limits) are unit-tested in `src/synth`.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use media::{ClipSpec, Container, labelled_clip};

use crate::helpers::{assert_real_picture, picture_stats, pipeline_without_ffmpeg, write_file};

/// The default clip (360×640, 30 fps, 8 s) for two seeds, made once per test run.
fn default_clip(seed: u64) -> &'static [u8] {
    static CLIPS: [OnceLock<Vec<u8>>; 2] = [OnceLock::new(), OnceLock::new()];
    CLIPS[seed as usize].get_or_init(|| {
        labelled_clip(&ClipSpec::vertical(format!("Demo clip {seed}"), seed)).unwrap()
    })
}

#[tokio::test]
async fn the_default_clip_probes_as_a_360x640_h264_mp4_of_8_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "synth.mp4", default_clip(0));
    let probe = pipeline_without_ffmpeg()
        .process(&path)
        .await
        .unwrap()
        .probe;
    assert_eq!(probe.container, Container::Mp4);
    assert_eq!(probe.video_codec, "h264");
    assert_eq!(probe.mime_type, "video/mp4");
    assert_eq!(
        (probe.width, probe.height, probe.rotation_degrees),
        (360, 640, 0)
    );
    assert!(
        (probe.duration_seconds - 8.0).abs() <= 1.0 / 30.0,
        "{}",
        probe.duration_seconds
    );
}

#[test]
fn the_default_clip_is_ftyp_moov_mdat_and_nothing_else() {
    let file = default_clip(0);
    let mut kinds = Vec::new();
    let mut pos = 0;
    while pos + 8 <= file.len() {
        let size = u32::from_be_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&file[pos + 4..pos + 8]).into_owned());
        assert!(size >= 8, "box {kinds:?} has size {size}");
        pos += size;
    }
    assert_eq!(pos, file.len(), "box sizes add up to the file");
    assert_eq!(kinds, ["ftyp", "moov", "mdat"]);
}

#[tokio::test]
async fn the_default_clips_thumbnails_are_real_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "synth.mp4", default_clip(0));
    let thumbnails = pipeline_without_ffmpeg()
        .process(&path)
        .await
        .unwrap()
        .thumbnails;
    assert_eq!(
        (thumbnails.small.width, thumbnails.small.height),
        (112, 200)
    );
    assert_eq!(
        (thumbnails.large.width, thumbnails.large.height),
        (360, 640)
    );
    assert_real_picture(&thumbnails.small);
    assert_real_picture(&thumbnails.large);
    if let Some(dir) = std::env::var_os("SYNTH_THUMBNAIL_DIR") {
        // For a look by eye: SYNTH_THUMBNAIL_DIR=/tmp/x cargo test -p media synth
        std::fs::write(Path::new(&dir).join("small.jpg"), &thumbnails.small.bytes).unwrap();
        std::fs::write(Path::new(&dir).join("large.jpg"), &thumbnails.large.bytes).unwrap();
    }
}

#[tokio::test]
async fn two_seeds_give_visibly_different_thumbnails() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline_without_ffmpeg();
    let mut means = Vec::new();
    for seed in [0, 1] {
        let path = write_file(dir.path(), &format!("seed{seed}.mp4"), default_clip(seed));
        let small = pipeline.process(&path).await.unwrap().thumbnails.small;
        means.push(picture_stats(&small).mean_rgb);
    }
    // Mean colour apart by more than 40 levels summed over R, G, B: a different colour
    // scheme, not just different text.
    let distance: f64 = (0..3).map(|c| (means[0][c] - means[1][c]).abs()).sum();
    assert!(distance > 40.0, "{means:?}");
}

#[tokio::test]
async fn other_sizes_rates_and_lengths_probe_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline_without_ffmpeg();
    for (width, height, fps, seconds) in [(320, 180, 25, 4.2), (128, 128, 12, 2.0)] {
        let spec = ClipSpec {
            label: "Landscape and square".into(),
            width,
            height,
            fps,
            seconds,
            seed: 5,
        };
        let path = write_file(dir.path(), "other.mp4", &labelled_clip(&spec).unwrap());
        let processed = pipeline.process(&path).await.unwrap();
        let probe = processed.probe;
        assert_eq!((probe.width, probe.height), (width, height), "{spec:?}");
        assert!(
            (probe.duration_seconds - seconds).abs() <= 1.0 / f64::from(fps),
            "{spec:?}: {}",
            probe.duration_seconds
        );
        assert_real_picture(&processed.thumbnails.large);
    }
}

/// The measurement in the report. Run with
/// `cargo test -p media --test media -- --ignored --nocapture synth_timing`.
#[test]
#[ignore = "timing measurement"]
fn synth_timing() {
    let spec = ClipSpec::vertical("Demo clip 0", 0);
    labelled_clip(&spec).unwrap();
    let runs = 3;
    let started = Instant::now();
    let mut size = 0;
    for _ in 0..runs {
        size = labelled_clip(&spec).unwrap().len();
    }
    println!(
        "labelled_clip 360x640 30 fps 8 s: {:.0} ms per clip, {size} bytes",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
}

/// Runs a command and returns stdout, panicking with stderr on failure.
fn run(program: &str, args: &[&str]) -> (String, String) {
    let output = Command::new(program).args(args).output().expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{program} {args:?}: {stderr}");
    (stdout, stderr)
}

#[test]
#[ignore = "needs ffmpeg"]
fn ffprobe_reads_every_frame_and_four_keyframes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "synth.mp4", default_clip(0));
    let path = path.to_str().unwrap();
    let (json, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            path,
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let stream = &json["streams"][0];
    assert_eq!(stream["codec_name"], "h264");
    assert_eq!(
        (stream["width"].as_u64(), stream["height"].as_u64()),
        (Some(360), Some(640))
    );
    assert_eq!(stream["nb_frames"], "240", "frames in the sample table");
    assert_eq!(stream["nb_read_frames"], "240", "frames decoded");
    assert_eq!(stream["avg_frame_rate"], "30/1");
    let duration: f64 = json["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((duration - 8.0).abs() < 0.001, "{duration}");

    let (keyframes, _) = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-skip_frame",
            "nokey",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            path,
        ],
    );
    assert_eq!(keyframes.trim(), "4", "an IDR every 2 s of 8 s");
}

#[test]
#[ignore = "needs ffmpeg"]
fn ffmpeg_decodes_the_whole_clip_without_a_complaint() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "synth.mp4", default_clip(1));
    let (_, stderr) = run(
        "ffmpeg",
        &[
            "-nostdin",
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-f",
            "null",
            "-",
        ],
    );
    assert_eq!(stderr, "", "ffmpeg reported problems");
}

#[test]
#[ignore = "needs ffmpeg"]
fn ffprobe_sees_moov_before_mdat() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "synth.mp4", default_clip(0));
    // ffprobe's trace lists top-level atoms in file order.
    let output = Command::new("ffprobe")
        .args(["-v", "trace", path.to_str().unwrap()])
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&output.stderr);
    let position = |atom: &str| {
        trace
            .find(&format!("type:'{atom}' parent:'root'"))
            .unwrap_or_else(|| panic!("no top-level {atom} in the trace"))
    };
    assert!(position("ftyp") < position("moov"));
    assert!(position("moov") < position("mdat"));
}
