//! The built-in pipeline (ffmpeg disabled): the shared H.264 clips probe and thumbnail
//! correctly, and everything that is not a readable MP4/H.264 is refused with the right
//! error variant.

use media::{Container, MediaError};

use crate::helpers::{assert_real_picture, clip, pipeline_without_ffmpeg, write_file};

/// (file, ffprobe's format duration in seconds)
const CLIPS: [(&str, f64); 3] = [
    ("clip-a.mp4", 9.767),
    ("clip-b.mp4", 16.375),
    ("clip-c.mp4", 15.046),
];

#[tokio::test]
async fn each_shared_clip_probes_as_a_576x1024_h264_mp4_with_its_duration() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, duration) in CLIPS {
        let probe = pipeline.process(&clip(name)).await.unwrap().probe;
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
async fn each_shared_clip_yields_right_sized_thumbnails_showing_a_real_picture() {
    let pipeline = pipeline_without_ffmpeg();
    for (name, _) in CLIPS {
        let thumbnails = pipeline.process(&clip(name)).await.unwrap().thumbnails;
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
    let a = pipeline
        .process(&clip("clip-a.mp4"))
        .await
        .unwrap()
        .thumbnails
        .small;
    let b = pipeline
        .process(&clip("clip-b.mp4"))
        .await
        .unwrap()
        .thumbnails
        .small;
    assert_ne!(a.bytes, b.bytes);
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
    let whole = std::fs::read(clip("clip-a.mp4")).unwrap();
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
async fn an_mp4_without_a_video_track_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let audio_only = without_video_track(&std::fs::read(clip("clip-b.mp4")).unwrap());
    let path = write_file(dir.path(), "audio.mp4", &audio_only);
    let error = pipeline_without_ffmpeg().process(&path).await.unwrap_err();
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
    let path = write_file(dir.path(), "clip.webm", &webm);
    let pipeline = pipeline_without_ffmpeg();
    assert!(!pipeline.ffmpeg_available());
    let error = pipeline.process(&path).await.unwrap_err();
    assert!(
        matches!(&error, MediaError::Unsupported(m) if m.contains("ffmpeg")),
        "{error:?}"
    );
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
