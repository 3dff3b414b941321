//! The built-in pipeline (ffmpeg disabled): the H.264 fixtures (and, when present, the real
//! phone clips) probe and thumbnail correctly, rotation and a trailing moov are handled, and
//! everything that is not a readable MP4/H.264 is refused with the right error variant.

use media::{Container, MediaError};

use crate::helpers::{
    assert_real_picture, fixture, phone_clip, pipeline_without_ffmpeg, write_file,
};

/// (fixture, its duration in seconds): one per H.264 profile, see `testdata/README.md`.
const H264_FIXTURES: [(&str, f64); 3] = [
    ("h264-baseline.mp4", 6.0),
    ("h264-main.mp4", 8.0),
    ("h264-high-bframes.mp4", 10.0),
];

/// (file, ffprobe's format duration in seconds) of the real clips in `../shared/media`.
const PHONE_CLIPS: [(&str, f64); 3] = [
    ("clip-a.mp4", 9.767),
    ("clip-b.mp4", 16.375),
    ("clip-c.mp4", 15.046),
];

#[tokio::test]
async fn each_h264_fixture_probes_as_a_360x640_h264_mp4_with_its_duration() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, duration) in H264_FIXTURES {
        let probe = pipeline.process(&fixture(name)).await.unwrap().probe;
        assert_eq!(probe.container, Container::Mp4, "{name}");
        assert_eq!(probe.video_codec, "h264", "{name}");
        assert_eq!(probe.mime_type, "video/mp4", "{name}");
        assert_eq!(
            (probe.width, probe.height, probe.rotation_degrees),
            (360, 640, 0),
            "{name}"
        );
        assert!(
            (probe.duration_seconds - duration).abs() < 0.02,
            "{name}: {}",
            probe.duration_seconds
        );
    }
}

#[tokio::test]
async fn each_h264_fixture_yields_right_sized_thumbnails_showing_a_real_picture() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, _) in H264_FIXTURES {
        let thumbnails = pipeline.process(&fixture(name)).await.unwrap().thumbnails;
        assert_eq!(
            (thumbnails.small.width, thumbnails.small.height),
            (112, 200),
            "{name}"
        );
        // 360×640 already fits 720×1280 and is never upscaled.
        assert_eq!(
            (thumbnails.large.width, thumbnails.large.height),
            (360, 640),
            "{name}"
        );
        assert_real_picture(&thumbnails.small);
        assert_real_picture(&thumbnails.large);
    }
}

#[tokio::test]
#[ignore = "needs ../shared/media"]
async fn each_shared_clip_probes_as_a_576x1024_h264_mp4_with_its_duration() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, duration) in PHONE_CLIPS {
        let probe = pipeline.process(&phone_clip(name)).await.unwrap().probe;
        assert_eq!(probe.container, Container::Mp4, "{name}");
        assert_eq!(probe.video_codec, "h264", "{name}");
        assert_eq!(probe.mime_type, "video/mp4", "{name}");
        assert_eq!(
            (probe.width, probe.height, probe.rotation_degrees),
            (576, 1024, 0),
            "{name}"
        );
        assert!(
            (probe.duration_seconds - duration).abs() < 0.02,
            "{name}: {}",
            probe.duration_seconds
        );
    }
}

#[tokio::test]
#[ignore = "needs ../shared/media"]
async fn each_shared_clip_yields_right_sized_thumbnails_showing_a_real_picture() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, _) in PHONE_CLIPS {
        let thumbnails = pipeline
            .process(&phone_clip(name))
            .await
            .unwrap()
            .thumbnails;
        assert_eq!(
            (thumbnails.small.width, thumbnails.small.height),
            (112, 200),
            "{name}"
        );
        // 576×1024 already fits 720×1280 and is never upscaled.
        assert_eq!(
            (thumbnails.large.width, thumbnails.large.height),
            (576, 1024),
            "{name}"
        );
        assert_real_picture(&thumbnails.small);
        assert_real_picture(&thumbnails.large);
    }
}

#[tokio::test]
async fn thumbnails_come_from_different_frames_for_different_clips() {
    let pipeline = pipeline_without_ffmpeg();
    let mut thumbnails = Vec::new();
    for (name, _) in H264_FIXTURES {
        let processed = pipeline.process(&fixture(name)).await.unwrap();
        thumbnails.push((name, processed.thumbnails.small.bytes));
    }
    for (i, (a, a_bytes)) in thumbnails.iter().enumerate() {
        for (b, b_bytes) in &thumbnails[i + 1..] {
            assert_ne!(a_bytes, b_bytes, "{a} and {b}");
        }
    }
}

#[tokio::test]
async fn a_rotated_mp4_is_probed_with_display_size_and_thumbnailed_upright() {
    let pipeline = pipeline_without_ffmpeg();
    // Stored as 640×360 with a display matrix of 90° clockwise (see testdata/README.md).
    let rotated = pipeline.process(&fixture("rotated-90.mp4")).await.unwrap();
    assert_eq!(
        (
            rotated.probe.width,
            rotated.probe.height,
            rotated.probe.rotation_degrees
        ),
        (360, 640, 90)
    );
    let large = &rotated.thumbnails.large;
    assert_eq!((large.width, large.height), (360, 640));
    let small = &rotated.thumbnails.small;
    assert_eq!((small.width, small.height), (112, 200));

    // The same pictures stored upright, with the same timing and keyframes: the thumbnails
    // match up to encoding noise, which a picture turned the wrong way would not.
    let upright = pipeline
        .process(&fixture("h264-baseline.mp4"))
        .await
        .unwrap()
        .thumbnails
        .large;
    let decode = |jpeg: &media::Jpeg| image::load_from_memory(&jpeg.bytes).unwrap().to_rgb8();
    let (ours, reference) = (decode(large), decode(&upright));
    let difference = ours
        .as_raw()
        .iter()
        .zip(reference.as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / ours.as_raw().len() as f64;
    assert!(
        difference < 12.0,
        "thumbnail differs from the upright clip's by {difference:.1} per channel"
    );
}

#[tokio::test]
async fn an_mp4_with_its_moov_after_the_mdat_is_read_like_its_faststart_twin() {
    let pipeline = pipeline_without_ffmpeg();
    // moov-at-end.mp4 is h264-baseline.mp4 remuxed without +faststart: the same samples.
    let at_end = pipeline.process(&fixture("moov-at-end.mp4")).await.unwrap();
    let faststart = pipeline
        .process(&fixture("h264-baseline.mp4"))
        .await
        .unwrap();
    assert_eq!(at_end.probe, faststart.probe);
    assert_eq!(at_end.thumbnails.large, faststart.thumbnails.large);
    assert_eq!(at_end.thumbnails.small, faststart.thumbnails.small);
}

#[tokio::test]
async fn a_text_file_is_not_a_video() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "notes.mp4",
        b"Hello! This is definitely not a video.\n",
    );
    let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
    assert!(matches!(error, MediaError::NotAVideo(_)), "{error:?}");
}

#[tokio::test]
async fn a_jpeg_image_is_not_a_video() {
    let dir = tempfile::tempdir().unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode(
            &[200u8; 16 * 16 * 3],
            16,
            16,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    let path = write_file(dir.path(), "photo.mp4", &jpeg);
    let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
    assert!(matches!(error, MediaError::NotAVideo(_)), "{error:?}");
}

#[tokio::test]
async fn random_bytes_and_empty_files_are_not_videos() {
    let dir = tempfile::tempdir().unwrap();
    // A fixed xorshift stream: "random" but reproducible.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    for (name, bytes) in [("noise.mp4", noise.as_slice()), ("empty.mp4", &[][..])] {
        let path = write_file(dir.path(), name, bytes);
        let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
        assert!(
            matches!(error, MediaError::NotAVideo(_)),
            "{name}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_truncated_clip_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    // Like a phone clip: moov first (12 kB of it, B-frame tables included), then the mdat.
    let whole = std::fs::read(fixture("h264-high-bframes.mp4")).unwrap();
    // Inside the moov, and inside the mdat (moov intact but samples past the end).
    for cut in [200, 5_000, whole.len() / 2, whole.len() - 10] {
        let path = write_file(dir.path(), "cut.mp4", &whole[..cut]);
        let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
        assert!(
            matches!(error, MediaError::Corrupt(_)),
            "cut at {cut}: {error:?}"
        );
    }
}

#[tokio::test]
async fn an_upload_cut_short_before_its_trailing_moov_arrived_is_corrupt() {
    // moov-at-end.mp4 cut in the middle of its mdat: there is no moov at all.
    let error = pipeline_without_ffmpeg()
        .process(&fixture("truncated.mp4"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MediaError::Corrupt(m) if m.contains("truncated")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_mp4_without_a_video_track_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let audio_only = without_video_track(&std::fs::read(fixture("h264-main.mp4")).unwrap());
    let path = write_file(dir.path(), "audio.mp4", &audio_only);
    let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
    assert!(
        matches!(&error, MediaError::Unsupported(m) if m.contains("no video")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_audio_only_m4a_is_unsupported_for_lack_of_a_video_track() {
    let error = pipeline_without_ffmpeg()
        .process(&fixture("audio-only.m4a"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MediaError::Unsupported(m) if m.contains("no video")),
        "{error:?}"
    );
}

#[tokio::test]
async fn webm_without_ffmpeg_is_unsupported_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01];
    webm.extend_from_slice(b"\x42\x82\x84webm");
    let header_only = write_file(dir.path(), "clip.webm", &webm);
    let pipeline = pipeline_without_ffmpeg();
    assert!(!pipeline.ffmpeg_available());
    // Just the EBML header, and a whole VP9 WebM as a browser or ffmpeg writes it.
    for path in [header_only, fixture("vp9.webm")] {
        let error = pipeline.process(&path).await.unwrap_err();
        assert!(
            matches!(&error, MediaError::Unsupported(m) if m.contains("ffmpeg")),
            "{}: {error:?}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_missing_file_is_an_io_error() {
    let error = pipeline_without_ffmpeg()
        .process("/nonexistent/clip.mp4".as_ref())
        .await
        .unwrap_err();
    assert!(matches!(error, MediaError::Io(_)), "{error:?}");
}

/// The same file with the video `trak` cut out of `moov` (sizes fixed up): an audio-only MP4
/// made without ffmpeg.
fn without_video_track(mp4: &[u8]) -> Vec<u8> {
    let boxes = children(mp4);
    let mut out = Vec::with_capacity(mp4.len());
    for (kind, start, end) in boxes {
        if kind != *b"moov" {
            out.extend_from_slice(&mp4[start..end]);
            continue;
        }
        let mut moov_payload = Vec::new();
        for (child, c_start, c_end) in children(&mp4[start + 8..end]) {
            let bytes = &mp4[start + 8 + c_start..start + 8 + c_end];
            let is_video = child == *b"trak"
                && bytes.windows(8).any(|w| w == b"hdlr\0\0\0\0")
                && bytes.windows(4).any(|w| w == b"vide");
            if !is_video {
                moov_payload.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(&((moov_payload.len() + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"moov");
        out.extend_from_slice(&moov_payload);
    }
    out
}

/// (type, start, end) of the boxes in `bytes`.
fn children(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut boxes = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = bytes[pos + 4..pos + 8].try_into().unwrap();
        boxes.push((kind, pos, pos + size));
        pos += size;
    }
    boxes
}
