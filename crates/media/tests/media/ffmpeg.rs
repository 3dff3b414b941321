//! The ffmpeg fallback, on media generated here with `ffmpeg -f lavfi -i testsrc=…`. These
//! tests need ffmpeg/ffprobe on PATH and are ignored by default: run them with
//! `cargo test -p media -- --include-ignored`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use media::{Container, FfmpegMode, Jpeg, MediaConfig, MediaError, Pipeline};

use crate::helpers::{assert_real_picture, ffmpeg, pipeline_with_ffmpeg, pipeline_without_ffmpeg};

const TEST_SOURCE: &str = "testsrc=size=320x240:rate=25:duration=3";

/// Encodes 3 s of `testsrc` with `codec_args` into `dir/name`.
fn generate(dir: &Path, name: &str, codec_args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["-f", "lavfi", "-i", TEST_SOURCE];
    args.extend_from_slice(codec_args);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
    path
}

struct Sample {
    path: PathBuf,
    container: Container,
    codec: &'static str,
    mime: &'static str,
}

fn other_formats(dir: &Path) -> Vec<Sample> {
    vec![
        Sample {
            path: generate(
                dir,
                "vp9.webm",
                &[
                    "-c:v",
                    "libvpx-vp9",
                    "-b:v",
                    "300k",
                    "-deadline",
                    "realtime",
                ],
            ),
            container: Container::WebM,
            codec: "vp9",
            mime: "video/webm",
        },
        Sample {
            path: generate(dir, "theora.ogv", &["-c:v", "libtheora", "-q:v", "7"]),
            container: Container::Ogg,
            codec: "theora",
            mime: "video/ogg",
        },
        Sample {
            path: generate(
                dir,
                "mpeg2.mpg",
                &["-c:v", "mpeg2video", "-q:v", "4", "-f", "mpeg"],
            ),
            container: Container::Mpeg,
            codec: "mpeg2video",
            mime: "video/mpeg",
        },
        Sample {
            path: generate(
                dir,
                "hevc.mp4",
                &[
                    "-c:v",
                    "libx265",
                    "-tag:v",
                    "hvc1",
                    "-x265-params",
                    "log-level=error",
                ],
            ),
            container: Container::Mp4,
            codec: "hevc",
            mime: "video/mp4",
        },
    ]
}

fn assert_sizes(small: &Jpeg, large: &Jpeg, small_size: (u32, u32), large_size: (u32, u32)) {
    assert_eq!((small.width, small.height), small_size);
    assert_eq!((large.width, large.height), large_size);
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn webm_ogg_mpeg_and_hevc_are_probed_and_thumbnailed_through_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline_with_ffmpeg();
    for sample in other_formats(dir.path()) {
        let name = sample.path.display().to_string();
        let processed = pipeline
            .process(&sample.path)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let probe = processed.probe;
        assert_eq!(probe.container, sample.container, "{name}");
        assert_eq!(probe.video_codec, sample.codec, "{name}");
        assert_eq!(probe.mime_type, sample.mime, "{name}");
        assert_eq!(
            (probe.width, probe.height, probe.rotation_degrees),
            (320, 240, 0),
            "{name}"
        );
        assert!(
            (probe.duration_seconds - 3.0).abs() < 0.1,
            "{name}: {}",
            probe.duration_seconds
        );
        let thumbnails = processed.thumbnails;
        assert_sizes(&thumbnails.small, &thumbnails.large, (266, 200), (320, 240));
        assert_real_picture(&thumbnails.small);
        assert_real_picture(&thumbnails.large);
    }
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn without_ffmpeg_webm_ogg_mpeg_and_hevc_are_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline_without_ffmpeg();
    for sample in other_formats(dir.path()) {
        let error = pipeline.process(&sample.path).await.unwrap_err();
        assert!(
            matches!(&error, MediaError::Unsupported(reason) if reason.contains("ffmpeg")),
            "{}: {error:?}",
            sample.path.display()
        );
    }
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_audio_only_mp4_is_unsupported_with_or_without_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sine.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=3",
        "-c:a",
        "aac",
        path.to_str().unwrap(),
    ]);
    for pipeline in [pipeline_with_ffmpeg(), pipeline_without_ffmpeg()] {
        let error = pipeline.process(&path).await.unwrap_err();
        assert!(
            matches!(&error, MediaError::Unsupported(m) if m.contains("no video")),
            "{error:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_rotated_mp4_is_probed_with_display_size_and_thumbnailed_upright() {
    let dir = tempfile::tempdir().unwrap();
    let plain = generate(
        dir.path(),
        "plain.mp4",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    let rotated = dir.path().join("rotated.mp4");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        rotated.to_str().unwrap(),
    ]);

    // The built-in pipeline reads the tkhd matrix...
    let processed = pipeline_without_ffmpeg().process(&rotated).await.unwrap();
    assert_eq!(processed.probe.video_codec, "h264");
    // ffmpeg 5 writes `rotate=90` as a matrix that ffprobe reports as "rotation": 90
    // (counter-clockwise), i.e. 270° clockwise; older ffmpeg wrote 90° clockwise.
    let rotation = processed.probe.rotation_degrees;
    assert!(rotation == 90 || rotation == 270, "rotation {rotation}");
    assert_eq!((processed.probe.width, processed.probe.height), (240, 320));
    assert_sizes(
        &processed.thumbnails.small,
        &processed.thumbnails.large,
        (150, 200),
        (240, 320),
    );

    // ...and turns the picture the way ffmpeg's own auto-rotation does: compare the first
    // frame (the only keyframe of this 3 s clip) with ffmpeg's.
    let reference_path = dir.path().join("reference.jpg");
    ffmpeg(&[
        "-i",
        rotated.to_str().unwrap(),
        "-frames:v",
        "1",
        "-q:v",
        "2",
        reference_path.to_str().unwrap(),
    ]);
    let reference = image::open(&reference_path).unwrap().to_rgb8();
    assert_eq!(
        reference.dimensions(),
        (240, 320),
        "ffmpeg auto-rotated the reference"
    );
    let ours = image::load_from_memory(&processed.thumbnails.large.bytes)
        .unwrap()
        .to_rgb8();
    let difference = ours
        .as_raw()
        .iter()
        .zip(reference.as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / ours.as_raw().len() as f64;
    assert!(
        difference < 12.0,
        "thumbnail differs from ffmpeg's upright frame by {difference:.1} per channel"
    );

    // The ffprobe path agrees on the probe.
    let json = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(&rotated)
        .output()
        .unwrap()
        .stdout;
    let reported: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let ccw = reported["streams"][0]["side_data_list"][0]["rotation"]
        .as_f64()
        .unwrap_or(0.0);
    assert_eq!(f64::from(rotation), (360.0 - ccw).rem_euclid(360.0));
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn ffmpeg_is_found_on_path_or_in_a_configured_directory() {
    assert!(pipeline_with_ffmpeg().ffmpeg_available());
    let on_path = which("ffmpeg");
    let dir_pipeline = Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Dir(on_path.parent().unwrap().to_path_buf()),
        ..MediaConfig::default()
    });
    assert!(dir_pipeline.ffmpeg_available());
    let tmp = tempfile::tempdir().unwrap();
    let webm = generate(
        tmp.path(),
        "clip.webm",
        &["-c:v", "libvpx-vp9", "-deadline", "realtime"],
    );
    assert_eq!(
        dir_pipeline.process(&webm).await.unwrap().probe.video_codec,
        "vp9"
    );
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_subprocess_that_overruns_its_timeout_is_reported_as_a_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let webm = generate(
        tmp.path(),
        "clip.webm",
        &["-c:v", "libvpx-vp9", "-deadline", "realtime"],
    );
    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Auto,
        subprocess_timeout: Duration::from_micros(1),
        ..MediaConfig::default()
    });
    let error = pipeline.process(&webm).await.unwrap_err();
    assert!(
        matches!(
            error,
            MediaError::Timeout {
                tool: "ffprobe",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_ffmpeg_run_over_its_memory_limit_fails_cleanly_and_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let webm = generate(
        tmp.path(),
        "clip.webm",
        &["-c:v", "libvpx-vp9", "-deadline", "realtime"],
    );
    // ffmpeg's libraries alone need ~350 MB of address space: 64 MiB fails at start-up,
    // deterministically on any machine; the error must say so rather than hang or crash.
    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg_memory_bytes: 64 << 20,
        ..MediaConfig::default()
    });
    let started = std::time::Instant::now();
    let error = pipeline.process(&webm).await.unwrap_err();
    assert!(
        matches!(&error, MediaError::LimitExceeded(m) if m.contains("memory")),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn ffmpeg_and_ffprobe_refuse_pictures_over_max_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    let webm = generate(
        tmp.path(),
        "clip.webm",
        &["-c:v", "libvpx-vp9", "-deadline", "realtime"],
    );
    for max_pixels in [320 * 240 - 1, 1000] {
        let pipeline = Pipeline::new(MediaConfig {
            max_pixels,
            ..MediaConfig::default()
        });
        let error = pipeline.process(&webm).await.unwrap_err();
        assert!(matches!(error, MediaError::LimitExceeded(_)), "{error:?}");
    }
    let exact = Pipeline::new(MediaConfig {
        max_pixels: 320 * 240,
        ..MediaConfig::default()
    });
    assert_eq!(exact.process(&webm).await.unwrap().probe.width, 320);
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_hevc_container_that_misstates_the_stream_size_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let honest = generate(
        dir.path(),
        "hevc.mp4",
        &[
            "-c:v",
            "libx265",
            "-tag:v",
            "hvc1",
            "-x265-params",
            "log-level=error",
        ],
    );
    // hvc1 sample entry and track header both claim 64×64; the HEVC stream is 320×240. The
    // built-in parser cannot read HEVC parameter sets, so ffprobe's report is the check.
    let mut bytes = std::fs::read(&honest).unwrap();
    let entry = bytes.windows(4).position(|w| w == b"hvc1").unwrap() - 4;
    bytes[entry + 32..entry + 36].copy_from_slice(&[0, 64, 0, 64]);
    let tkhd = bytes.windows(4).position(|w| w == b"tkhd").unwrap() - 4;
    let tkhd_end = tkhd + u32::from_be_bytes(bytes[tkhd..tkhd + 4].try_into().unwrap()) as usize;
    bytes[tkhd_end - 8..tkhd_end].copy_from_slice(&[0, 64, 0, 0, 0, 64, 0, 0]);
    let lying = dir.path().join("lying-hevc.mp4");
    std::fs::write(&lying, &bytes).unwrap();

    assert_eq!(
        pipeline_with_ffmpeg()
            .process(&honest)
            .await
            .unwrap()
            .probe
            .width,
        320
    );
    let error = pipeline_with_ffmpeg().process(&lying).await.unwrap_err();
    assert!(
        matches!(&error, MediaError::Corrupt(m) if m.contains("64×64") && m.contains("320×240")),
        "{error:?}"
    );
}

fn which(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .expect("tool on PATH")
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn a_black_keyframe_at_the_one_third_mark_is_skipped_for_the_next_keyframe() {
    // 2 s of black, then 2 s of testsrc, a keyframe every second: duration/3 = 1.33 s lands
    // nearest the black keyframe at 1 s, so the thumbnail must come from the one at 2 s.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("black-then-picture.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x240:r=25:d=2",
        "-f",
        "lavfi",
        "-i",
        TEST_SOURCE,
        "-filter_complex",
        "[0][1]concat=n=2:v=1",
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "25",
        "-sc_threshold",
        "0",
        path.to_str().unwrap(),
    ]);
    let processed = pipeline_without_ffmpeg().process(&path).await.unwrap();
    assert_real_picture(&processed.thumbnails.large);
}

#[tokio::test]
#[ignore = "needs ffmpeg"]
async fn an_all_black_video_still_gets_a_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("black.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=black:s=320x240:r=25:d=3",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "25",
        path.to_str().unwrap(),
    ]);
    let processed = pipeline_without_ffmpeg().process(&path).await.unwrap();
    assert_eq!(
        (
            processed.thumbnails.large.width,
            processed.thumbnails.large.height
        ),
        (320, 240)
    );
    let stats = crate::helpers::picture_stats(&processed.thumbnails.large);
    assert!(
        stats.mean_rgb.iter().all(|c| *c < 20.0),
        "{:?}",
        stats.mean_rgb
    );
}
