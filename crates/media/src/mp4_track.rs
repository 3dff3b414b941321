//! Reads an MP4/MOV's `ftyp`+`moov` with Mozilla's `mp4parse` and distils the video track
//! into what the rest of the pipeline needs: a [`Probe`] and, for H.264, the `avcC` config and
//! a per-sample table (file offsets, presentation times with `ctts` and the edit list applied,
//! keyframe flags). It reads no sample data and decodes nothing; it does check that every
//! sample lies inside the file, so truncated uploads are caught here as `Corrupt`.
//!
//! It trusts no claim on its own: the raw moov is pre-scanned (`moov_scan`) before mp4parse
//! runs; for H.264 the picture size comes from the SPS, and the `avc1`/`tkhd` sizes must
//! agree with it; every duration the file states (movie, track, media header, sample table)
//! must be within the configured limit.

use std::io::Cursor;

use mp4parse::unstable::{CheckedInteger, create_sample_table};
use mp4parse::{CodecType, MediaContext, SampleEntry, Track, TrackType, VideoCodecSpecific};

use crate::avc::AvcConfig;
use crate::isobmff::TopLevelBoxes;
use crate::limits::{Limits, presentation_size_fits, sizes_agree};
use crate::moov_scan::{MoovFacts, scan_moov};
use crate::{Container, MediaError, Probe};

/// The `Unsupported` reason for an MP4 without video; other `Unsupported` errors from the
/// parser mean "try ffmpeg".
pub(crate) const NO_VIDEO_TRACK: &str = "the file has no video track";
/// A sample bigger than this is not a real video frame.
const MAX_SAMPLE_BYTES: u64 = 32 * 1024 * 1024;

/// One video sample, in decode order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub offset: u64,
    pub size: u32,
    /// Presentation time in track ticks: decode time + ctts − edit-list media start.
    pub presentation_ticks: i64,
    pub keyframe: bool,
}

/// What the built-in pipeline can do with the video track.
#[derive(Debug)]
pub(crate) enum VideoTrackKind {
    /// H.264 that openh264 can decode.
    H264 {
        config: AvcConfig,
        samples: Vec<Sample>,
        timescale: u64,
    },
    /// A codec (or layout, e.g. fragmented MP4) only ffmpeg can handle.
    NeedsFfmpeg { reason: String },
}

#[derive(Debug)]
pub(crate) struct Mp4Video {
    pub probe: Probe,
    pub kind: VideoTrackKind,
}

/// Parses the movie header and picks the first video track. `Unsupported` when there is no
/// video track, `Corrupt` when the boxes are broken, samples lie beyond the end of the file
/// or the size claims disagree, `LimitExceeded` when the picture or a duration is over
/// `limits`.
pub(crate) fn read_video_track(
    boxes: &TopLevelBoxes,
    limits: &Limits,
) -> Result<Mp4Video, MediaError> {
    // Before mp4parse: it allocates for whatever entry counts the tables claim.
    let facts = scan_moov(&boxes.moov, boxes.file_len)?;
    let header = boxes.header_bytes();
    let context = mp4parse::read_mp4(&mut Cursor::new(&header)).map_err(classify_mp4parse_error)?;

    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .ok_or_else(|| MediaError::Unsupported(NO_VIDEO_TRACK.into()))?;

    let sample_entry = track
        .stsd
        .as_ref()
        .and_then(|stsd| stsd.descriptions.iter().next());
    let video_entry = match sample_entry {
        Some(SampleEntry::Video(entry)) => Some(entry),
        _ => None,
    };
    let codec_name = match video_entry {
        Some(entry) => codec_type_name(entry.codec_type).to_string(),
        None => sample_entry_fourcc(&boxes.moov)
            .map(|fourcc| fourcc_codec_name(&fourcc))
            .unwrap_or_else(|| "unknown".into()),
    };
    // The avcC is parsed up front: its SPS is the size the decoder will allocate for.
    let avc_config = match video_entry {
        Some(entry) if entry.codec_type == CodecType::H264 => match &entry.codec_specific {
            VideoCodecSpecific::AVCConfig(avcc) => Some(AvcConfig::parse(avcc)?),
            _ => {
                return Err(MediaError::Corrupt(
                    "H.264 track without an avcC box".into(),
                ));
            }
        },
        _ => None,
    };

    let rotation_degrees = track
        .tkhd
        .as_ref()
        .map_or(0, |tkhd| rotation_from_matrix(&tkhd.matrix));
    let (coded_width, coded_height) = coded_size(video_entry, track, avc_config.as_ref())?;
    let (width, height) = if rotation_degrees % 180 == 90 {
        (coded_height, coded_width)
    } else {
        (coded_width, coded_height)
    };

    let duration_seconds = movie_duration_seconds(&context, track);
    check_durations(&context, track, &facts, duration_seconds, limits)?;

    let probe = Probe {
        container: Container::Mp4,
        video_codec: codec_name.clone(),
        duration_seconds,
        width,
        height,
        rotation_degrees,
        mime_type: if &boxes.major_brand == b"qt  " {
            "video/quicktime"
        } else {
            "video/mp4"
        }
        .into(),
    };
    // After the agreement checks, so a lie is reported as such rather than as "too big".
    limits.check_size(
        u64::from(coded_width),
        u64::from(coded_height),
        "the video stream",
    )?;

    let kind = match avc_config {
        Some(config) => h264_track(track, config, boxes.file_len, &context)?,
        None => VideoTrackKind::NeedsFfmpeg {
            reason: format!(
                "{codec_name} video in MP4 needs ffmpeg (built-in decoder is H.264 only)"
            ),
        },
    };
    Ok(Mp4Video { probe, kind })
}

/// The picture size before rotation. For H.264 it is the SPS's (what the decoder allocates
/// and what ffprobe reports); the sample entry's and track header's sizes must agree with
/// it. For other codecs, whose parameter sets we do not parse, the sample entry's size must
/// agree with the track header's, and ffprobe checks the stream later.
fn coded_size(
    entry: Option<&mp4parse::VideoSampleEntry>,
    track: &Track,
    avc: Option<&AvcConfig>,
) -> Result<(u32, u32), MediaError> {
    let entry_size = entry
        .map(|e| (u64::from(e.width), u64::from(e.height)))
        .filter(|(w, h)| *w > 0 && *h > 0);
    // tkhd sizes are 16.16 fixed point and describe the presented picture (aspect included).
    let tkhd_size = track
        .tkhd
        .as_ref()
        .map(|t| (u64::from(t.width >> 16), u64::from(t.height >> 16)))
        .filter(|(w, h)| *w > 0 && *h > 0);
    let describe = |(w, h): (u64, u64)| format!("{w}×{h}");

    let (size, source) = match (avc, entry_size, tkhd_size) {
        (Some(avc), _, _) => ((avc.sps.width, avc.sps.height), "the H.264 SPS"),
        (None, Some(entry), _) => (entry, "the sample entry"),
        (None, None, Some(tkhd)) => return to_u32(tkhd),
        (None, None, None) => {
            return Err(MediaError::Corrupt("the video track has no size".into()));
        }
    };
    if let Some(entry) = entry_size.filter(|_| avc.is_some())
        && !sizes_agree(size, entry)
    {
        return Err(MediaError::Corrupt(format!(
            "the sample entry says {} but {source} says {}",
            describe(entry),
            describe(size)
        )));
    }
    if let Some(tkhd) = tkhd_size
        && !presentation_size_fits(size, tkhd)
    {
        return Err(MediaError::Corrupt(format!(
            "the track header says {} but {source} says {}",
            describe(tkhd),
            describe(size)
        )));
    }
    to_u32(size)
}

/// Sizes past u32 are far past every limit; saturate and let `check_size` refuse them.
fn to_u32((w, h): (u64, u64)) -> Result<(u32, u32), MediaError> {
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok((clamp(w), clamp(h)))
}

/// Every duration the file states must be within `limits`: the movie header (what ffprobe
/// reports as the format duration), each track header, the video media header, the video
/// sample table (how long the samples really last) and the duration we report. "Unknown"
/// (all ones) is skipped.
fn check_durations(
    context: &MediaContext,
    video: &Track,
    facts: &MoovFacts,
    reported_seconds: f64,
    limits: &Limits,
) -> Result<(), MediaError> {
    let seconds = |ticks: u64, scale: u64| (scale > 0).then(|| ticks as f64 / scale as f64);
    let movie_scale = u64::from(facts.movie_timescale);
    if let Some(s) = facts.movie_duration.and_then(|d| seconds(d, movie_scale)) {
        limits.check_duration(s, "the movie header")?;
    }
    for tkhd in context.tracks.iter().filter_map(|t| t.tkhd.as_ref()) {
        if tkhd.duration == u64::MAX || tkhd.duration == u64::from(u32::MAX) {
            continue;
        }
        if let Some(s) = seconds(tkhd.duration, movie_scale) {
            limits.check_duration(s, "a track header")?;
        }
    }
    if let (Some(d), Some(scale)) = (video.duration, video.timescale)
        && d.0 != u64::MAX
        && let Some(s) = seconds(d.0, scale.0)
    {
        limits.check_duration(s, "the video media header")?;
    }
    if let Some(tables) = facts.video
        && let Some(s) = seconds(tables.stts_duration, u64::from(tables.timescale))
    {
        limits.check_duration(s, "the video sample table")?;
    }
    limits.check_duration(reported_seconds, "the movie")
}

fn h264_track(
    track: &Track,
    config: AvcConfig,
    file_len: u64,
    context: &MediaContext,
) -> Result<VideoTrackKind, MediaError> {
    let timescale = track.timescale.map_or(0, |t| t.0);
    if timescale == 0 {
        return Err(MediaError::Corrupt("video track has no timescale".into()));
    }
    let has_samples = track
        .stsz
        .as_ref()
        .is_some_and(|stsz| stsz.sample_sizes.iter().next().is_some() || stsz.sample_size > 0);
    if !has_samples && context.mvex.is_some() {
        return Ok(VideoTrackKind::NeedsFfmpeg {
            reason: "fragmented MP4 needs ffmpeg".into(),
        });
    }
    let table = create_sample_table(
        track,
        CheckedInteger(edit_list_offset(track, context, timescale)),
    )
    .ok_or_else(|| MediaError::Corrupt("the video sample tables are inconsistent".into()))?;
    let mut samples = Vec::with_capacity(table.len());
    for indice in table.iter() {
        let (start, end) = (indice.start_offset.0, indice.end_offset.0);
        let size = end
            .checked_sub(start)
            .filter(|s| *s > 0 && *s <= MAX_SAMPLE_BYTES);
        let Some(size) = size else {
            return Err(MediaError::Corrupt(format!(
                "video sample at {start} has an impossible size"
            )));
        };
        if end > file_len {
            return Err(MediaError::Corrupt(format!(
                "video sample data ends at byte {end} but the file has {file_len} bytes (truncated upload?)"
            )));
        }
        samples.push(Sample {
            offset: start,
            size: size as u32,
            presentation_ticks: indice.start_composition.0,
            keyframe: indice.sync,
        });
    }
    if samples.is_empty() {
        return Err(MediaError::Corrupt("the video track has no samples".into()));
    }
    Ok(VideoTrackKind::H264 {
        config,
        samples,
        timescale,
    })
}

/// The shift the edit list applies to composition times, in track ticks: an initial empty
/// edit delays the track, a media start time (usually the B-frame delay) advances it.
fn edit_list_offset(track: &Track, context: &MediaContext, track_timescale: u64) -> i64 {
    let media_start = track.media_time.map_or(0, |t| t.0);
    let empty = match (track.empty_duration, context.timescale) {
        (Some(empty), Some(movie)) if movie.0 > 0 => {
            (u128::from(empty.0) * u128::from(track_timescale) / u128::from(movie.0)) as u64
        }
        _ => 0,
    };
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
    clamp(empty) - clamp(media_start)
}

/// The movie's duration: the longest track header duration in movie timescale (what ffprobe
/// reports as the format duration), or the video media duration when headers say zero.
fn movie_duration_seconds(context: &MediaContext, video: &Track) -> f64 {
    let movie_scale = context.timescale.map_or(0, |t| t.0);
    let from_headers = context
        .tracks
        .iter()
        .filter_map(|t| t.tkhd.as_ref().map(|h| h.duration))
        .filter(|d| *d != u64::MAX && *d != u64::from(u32::MAX))
        .max()
        .unwrap_or(0);
    if movie_scale > 0 && from_headers > 0 {
        return from_headers as f64 / movie_scale as f64;
    }
    match (video.duration, video.timescale) {
        (Some(d), Some(s)) if s.0 > 0 => d.0 as f64 / s.0 as f64,
        _ => 0.0,
    }
}

/// Clockwise display rotation from a tkhd matrix; anything that is not a right-angle
/// rotation (shears, mirrors) is treated as upright.
fn rotation_from_matrix(matrix: &mp4parse::Matrix) -> u16 {
    let sign = |v: i32| v.signum();
    match (
        sign(matrix.a),
        sign(matrix.b),
        sign(matrix.c),
        sign(matrix.d),
    ) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    }
}

fn codec_type_name(codec: CodecType) -> &'static str {
    match codec {
        CodecType::H264 => "h264",
        CodecType::MP4V => "mpeg4",
        CodecType::AV1 => "av1",
        CodecType::VP9 => "vp9",
        CodecType::VP8 => "vp8",
        CodecType::H263 => "h263",
        CodecType::EncryptedVideo => "encrypted",
        _ => "unknown",
    }
}

fn fourcc_codec_name(fourcc: &[u8; 4]) -> String {
    match fourcc {
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc".into(),
        b"avc1" | b"avc3" => "h264".into(),
        b"vp08" => "vp8".into(),
        b"vp09" => "vp9".into(),
        b"av01" => "av1".into(),
        b"mp4v" => "mpeg4".into(),
        b"jpeg" | b"mjpa" | b"mjpb" => "mjpeg".into(),
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" => "prores".into(),
        other => String::from_utf8_lossy(other).trim().to_string(),
    }
}

/// The sample-entry four-character code of the first video track, found by walking
/// moov/trak/mdia/{hdlr, minf/stbl/stsd} ourselves: mp4parse reports codecs it does not know
/// (HEVC, ProRes, …) only as "unknown", and the name makes a better error message.
fn sample_entry_fourcc(moov: &[u8]) -> Option<[u8; 4]> {
    let moov_payload = moov.get(8..)?;
    for trak in child_boxes(moov_payload).filter(|(kind, _)| kind == b"trak") {
        let mdia = find_child(trak.1, b"mdia")?;
        let is_video = find_child(mdia, b"hdlr").and_then(|h| h.get(8..12)) == Some(b"vide");
        if !is_video {
            continue;
        }
        let stsd = find_child(mdia, b"minf")
            .and_then(|m| find_child(m, b"stbl"))
            .and_then(|s| find_child(s, b"stsd"))?;
        // Full-box header (4) and entry count (4), then the first entry's size (4) and type.
        return stsd.get(12..16).and_then(|t| t.try_into().ok());
    }
    None
}

fn find_child<'a>(payload: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    child_boxes(payload)
        .find(|(k, _)| k == kind)
        .map(|(_, body)| body)
}

/// Iterates the (type, payload) pairs of the boxes inside `payload`, stopping at the first
/// malformed size.
fn child_boxes(payload: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let header = payload.get(pos..pos.checked_add(8)?)?;
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = [header[4], header[5], header[6], header[7]];
        let body = payload.get(pos + 8..pos.checked_add(size)?)?;
        pos += size.max(8);
        Some((kind, body))
    })
}

fn classify_mp4parse_error(error: mp4parse::Error) -> MediaError {
    match error {
        mp4parse::Error::Unsupported(what) => {
            MediaError::Unsupported(format!("MP4 feature not supported: {what}"))
        }
        // The parser reads an in-memory copy of the moov, so an "I/O" error is the data's.
        other => MediaError::Corrupt(format!("MP4 structure is invalid: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(a: i32, b: i32, c: i32, d: i32) -> mp4parse::Matrix {
        mp4parse::Matrix {
            a,
            b,
            u: 0,
            c,
            d,
            v: 0,
            x: 0,
            y: 0,
            w: 1 << 30,
        }
    }

    #[test]
    fn rotation_is_read_from_the_matrix() {
        let one = 1 << 16;
        assert_eq!(rotation_from_matrix(&matrix(one, 0, 0, one)), 0);
        assert_eq!(rotation_from_matrix(&matrix(0, one, -one, 0)), 90);
        assert_eq!(rotation_from_matrix(&matrix(-one, 0, 0, -one)), 180);
        assert_eq!(rotation_from_matrix(&matrix(0, -one, one, 0)), 270);
    }

    #[test]
    fn unknown_fourccs_get_readable_names() {
        assert_eq!(fourcc_codec_name(b"hvc1"), "hevc");
        assert_eq!(fourcc_codec_name(b"xyz "), "xyz");
    }
}
