//! ffprobe's JSON (`-print_format json -show_format -show_streams`) parsed once, at the
//! edge, into a typed [`Probe`]. Only the fields we use are modelled; everything else is
//! ignored so newer ffprobe versions keep parsing. The probe must pass the same limits as
//! the built-in one (picture size, every reported duration). Running ffprobe is
//! `ffmpeg.rs`'s job.

use std::collections::HashMap;

use serde::Deserialize;

use crate::limits::Limits;
use crate::{Container, MediaError, Probe};

/// The part of ffprobe's output we read.
#[derive(Debug, Deserialize)]
struct FfprobeOutput {
    #[serde(default)]
    streams: Vec<FfprobeStream>,
    format: Option<FfprobeFormat>,
}

#[derive(Debug, Deserialize)]
struct FfprobeStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    /// Seconds, as a decimal string.
    duration: Option<String>,
    #[serde(default)]
    disposition: HashMap<String, i64>,
    #[serde(default)]
    tags: HashMap<String, String>,
    #[serde(default)]
    side_data_list: Vec<FfprobeSideData>,
}

#[derive(Debug, Deserialize)]
struct FfprobeSideData {
    side_data_type: Option<String>,
    /// Counter-clockwise degrees (ffmpeg's display-matrix convention); ffprobe prints an
    /// integer today but has printed floats.
    rotation: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct FfprobeFormat {
    format_name: Option<String>,
    duration: Option<String>,
}

impl FfprobeStream {
    fn is_cover_art(&self) -> bool {
        self.disposition.get("attached_pic").copied().unwrap_or(0) != 0
    }

    /// Clockwise rotation in {0, 90, 180, 270}, from display-matrix side data (ffmpeg ≥ 5)
    /// or the older clockwise `rotate` tag.
    fn rotation_degrees(&self) -> u16 {
        let counter_clockwise = self
            .side_data_list
            .iter()
            .find(|sd| sd.side_data_type.as_deref() == Some("Display Matrix"))
            .and_then(|sd| sd.rotation);
        let clockwise = match counter_clockwise {
            Some(ccw) => -ccw,
            None => self
                .tags
                .get("rotate")
                .and_then(|r| r.trim().parse::<f64>().ok())
                .unwrap_or(0.0),
        };
        let quarter_turns = (clockwise / 90.0).round() as i64;
        (quarter_turns.rem_euclid(4) * 90) as u16
    }
}

/// Turns ffprobe JSON into a [`Probe`]. `Unsupported` when there is no video stream (an
/// audio-only file), `Corrupt` when the JSON is not ffprobe's or the stream has no size,
/// `LimitExceeded` when the size or a duration is over `limits`.
pub(crate) fn parse_ffprobe_json(
    json: &[u8],
    sniffed: Container,
    limits: &Limits,
) -> Result<Probe, MediaError> {
    let output: FfprobeOutput = serde_json::from_slice(json)
        .map_err(|e| MediaError::Corrupt(format!("ffprobe output is not valid JSON: {e}")))?;
    let video = output
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && !s.is_cover_art())
        .ok_or_else(|| MediaError::Unsupported("the file has no video stream".into()))?;

    let (coded_width, coded_height) = match (video.width, video.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(MediaError::Corrupt("ffprobe reports no video size".into())),
    };
    // ffprobe's width and height come from the decoder's parameter sets, not the container.
    limits.check_size(u64::from(coded_width), u64::from(coded_height), "ffprobe")?;
    let rotation_degrees = video.rotation_degrees();
    let (width, height) = if rotation_degrees % 180 == 90 {
        (coded_height, coded_width)
    } else {
        (coded_width, coded_height)
    };

    let format_name = output
        .format
        .as_ref()
        .and_then(|f| f.format_name.as_deref())
        .unwrap_or("");
    let container = match sniffed {
        Container::Other => container_from_format_name(format_name),
        known => known,
    };
    let video_codec = video.codec_name.clone().unwrap_or_else(|| "unknown".into());
    let format_duration = output
        .format
        .as_ref()
        .and_then(|f| parse_duration(f.duration.as_deref()));
    let stream_duration = parse_duration(video.duration.as_deref());
    for (duration, source) in [
        (format_duration, "ffprobe's format duration"),
        (stream_duration, "ffprobe's video stream duration"),
    ] {
        if let Some(seconds) = duration {
            limits.check_duration(seconds, source)?;
        }
    }
    let duration_seconds = format_duration
        .or(stream_duration)
        .filter(|s| *s >= 0.0)
        .unwrap_or(0.0);

    Ok(Probe {
        mime_type: mime_type(container, &video_codec, format_name).into(),
        container,
        video_codec,
        duration_seconds,
        width,
        height,
        rotation_degrees,
    })
}

/// A duration string as a number; "inf" and "nan" parse too, so `check_duration` can refuse
/// them rather than have them silently become 0.
fn parse_duration(text: Option<&str>) -> Option<f64> {
    text?.trim().parse::<f64>().ok()
}

fn container_from_format_name(format_name: &str) -> Container {
    let names: Vec<&str> = format_name.split(',').collect();
    if names.contains(&"mp4") || names.contains(&"mov") {
        Container::Mp4
    } else if names.contains(&"webm") || names.contains(&"matroska") {
        Container::WebM
    } else if names.contains(&"ogg") {
        Container::Ogg
    } else if names
        .iter()
        .any(|n| matches!(*n, "mpeg" | "mpegts" | "mpegvideo"))
    {
        Container::Mpeg
    } else {
        Container::Other
    }
}

fn mime_type(container: Container, codec: &str, format_name: &str) -> &'static str {
    match container {
        Container::Mp4 => "video/mp4",
        // WebM is the Matroska subset with VP8/VP9/AV1 video; anything else is plain Matroska.
        Container::WebM if matches!(codec, "vp8" | "vp9" | "av1") => "video/webm",
        Container::WebM => "video/x-matroska",
        Container::Ogg => "video/ogg",
        Container::Mpeg if format_name.contains("mpegts") => "video/mp2t",
        Container::Mpeg => "video/mpeg",
        Container::Other if format_name.contains("avi") => "video/x-msvideo",
        Container::Other if format_name.contains("flv") => "video/x-flv",
        Container::Other if format_name.contains("asf") => "video/x-ms-asf",
        Container::Other => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ffprobe_json(json: &[u8], sniffed: Container) -> Result<Probe, MediaError> {
        super::parse_ffprobe_json(json, sniffed, &Limits::from_config(&Default::default()))
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/ffprobe/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn webm_vp9_parses_to_a_webm_probe() {
        let probe = parse_ffprobe_json(&fixture("webm-vp9"), Container::WebM).unwrap();
        assert_eq!(probe.container, Container::WebM);
        assert_eq!(probe.video_codec, "vp9");
        assert_eq!(probe.mime_type, "video/webm");
        assert_eq!(
            (probe.width, probe.height, probe.rotation_degrees),
            (320, 240, 0)
        );
        assert!((probe.duration_seconds - 3.0).abs() < 0.01);
    }

    #[test]
    fn ogg_theora_and_mpeg2_parse() {
        let ogg = parse_ffprobe_json(&fixture("ogg-theora"), Container::Ogg).unwrap();
        assert_eq!(
            (ogg.video_codec.as_str(), ogg.mime_type.as_str()),
            ("theora", "video/ogg")
        );
        let mpeg = parse_ffprobe_json(&fixture("mpeg2"), Container::Mpeg).unwrap();
        assert_eq!(
            (mpeg.video_codec.as_str(), mpeg.mime_type.as_str()),
            ("mpeg2video", "video/mpeg")
        );
        assert_eq!((mpeg.width, mpeg.height), (320, 240));
    }

    #[test]
    fn hevc_in_mp4_is_named_hevc() {
        let probe = parse_ffprobe_json(&fixture("hevc"), Container::Other).unwrap();
        assert_eq!(probe.container, Container::Mp4);
        assert_eq!(probe.video_codec, "hevc");
        assert_eq!(probe.mime_type, "video/mp4");
    }

    #[test]
    fn display_matrix_rotation_is_converted_to_clockwise_and_swaps_the_size() {
        // ffprobe's "rotation": 90 is counter-clockwise, i.e. 270° clockwise.
        let probe = parse_ffprobe_json(&fixture("rotated"), Container::Mp4).unwrap();
        assert_eq!(probe.rotation_degrees, 270);
        assert_eq!((probe.width, probe.height), (240, 320));
    }

    #[test]
    fn legacy_rotate_tag_is_clockwise() {
        let probe = parse_ffprobe_json(&fixture("legacy-rotate-tag"), Container::Mp4).unwrap();
        assert_eq!(probe.rotation_degrees, 90);
        assert_eq!((probe.width, probe.height), (240, 320));
    }

    #[test]
    fn shared_clip_matches_the_recorded_format_duration() {
        let probe = parse_ffprobe_json(&fixture("clip-a"), Container::Mp4).unwrap();
        assert_eq!((probe.width, probe.height), (576, 1024));
        assert_eq!(probe.video_codec, "h264");
        assert!((probe.duration_seconds - 9.767).abs() < 0.001);
    }

    #[test]
    fn audio_only_file_is_unsupported() {
        let result = parse_ffprobe_json(&fixture("audio-only"), Container::Mp4);
        assert!(
            matches!(result, Err(MediaError::Unsupported(_))),
            "{result:?}"
        );
    }

    /// ffprobe output for a stream of `width`×`height` and the given durations.
    fn synthetic(width: u32, height: u32, format_duration: &str, stream_duration: &str) -> Vec<u8> {
        format!(
            r#"{{"streams": [{{"codec_type": "video", "codec_name": "h264", "width": {width},
                "height": {height}, "duration": "{stream_duration}"}}],
              "format": {{"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "{format_duration}"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn ffprobe_reports_are_held_to_the_same_limits() {
        assert!(parse_ffprobe_json(&synthetic(3840, 2160, "60.0", "60.0"), Container::Mp4).is_ok());
        for (json, what) in [
            (synthetic(8192, 4608, "1.0", "1.0"), "8K picture"),
            (synthetic(16000, 16000, "1.0", "1.0"), "16000² picture"),
            (
                synthetic(64, 64, "36000.000000", "1.0"),
                "10-hour format duration",
            ),
            (
                synthetic(64, 64, "1.0", "4294967294.000000"),
                "136-year stream duration",
            ),
            (synthetic(64, 64, "inf", "1.0"), "infinite duration"),
        ] {
            let result = parse_ffprobe_json(&json, Container::Mp4);
            assert!(
                matches!(result, Err(MediaError::LimitExceeded(_))),
                "{what}: {result:?}"
            );
        }
    }

    #[test]
    fn garbage_output_is_an_error_not_a_panic() {
        assert!(parse_ffprobe_json(b"not json", Container::Other).is_err());
        assert!(parse_ffprobe_json(b"{}", Container::Other).is_err());
    }
}
