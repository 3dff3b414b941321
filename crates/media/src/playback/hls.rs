//! HLS packaging of an H.264 MP4 without re-encoding: reads the tracks, cuts segments at
//! keyframes, writes `init.mp4` and `1.m4s`, `2.m4s`, … into a directory, and describes the
//! result as a [`Rendition`] (stored by the caller as JSON) from which the playlists are
//! rendered on each request (their links are signed per request, so they are not files).
//!
//! In an interleaved file (every file ffmpeg, phones and cameras write) each segment's
//! samples lie close together, so `n.m4s` is only the segment's head and its media data stays
//! where it is in the packaged file ([`Rendition::segment_data`]): packaging writes kilobytes,
//! not a second copy of the video. Otherwise the segments are written whole.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cmaf::{self, Run};
use super::segments::cut_at_keyframes;
use super::tracks::{Track, read_tracks};
use crate::MediaError;
use crate::isobmff::read_top_level;
use crate::moov_scan::scan_moov;

/// The HLS renditions of one video, as stored beside its segments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HlsIndex {
    pub renditions: Vec<Rendition>,
    /// Where the ffmpeg ladder is, for the owner; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<LadderState>,
}

/// The ffmpeg ladder's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum LadderState {
    /// Queued as a job; no worker has started it yet.
    Queued,
    /// Encoding; `n` rungs are to come.
    Encoding(usize),
    Done,
    /// The source is smaller than the lowest rung.
    Skipped,
    /// The ladder failed (the video still plays from its original); why.
    Failed(String),
}

/// One variant stream: its playlist facts and segment durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendition {
    /// e.g. `source` for the packaged original, `720p` for a ladder rung.
    pub name: String,
    /// Display size.
    pub width: u32,
    pub height: u32,
    /// Peak segment bit rate, bits per second (`BANDWIDTH`).
    pub bandwidth: u64,
    /// Whole-stream bit rate (`AVERAGE-BANDWIDTH`).
    pub average_bandwidth: u64,
    /// RFC 6381 codecs, e.g. `avc1.64001f,mp4a.40.2`.
    pub codecs: String,
    /// Each segment's duration in seconds; segment `n` (from 1) is `n.m4s`.
    pub segment_seconds: Vec<f64>,
    /// When not empty, `n.m4s` holds only segment `n`'s head (`moof` and `mdat` header), and
    /// its media data is the `[offset, length]` here of the packaged file (the original for
    /// the packaged original, the rung's `video.mp4` for a ladder rung): the segment is the
    /// head followed by those bytes, served without ever being copied. When empty, each
    /// `n.m4s` is the whole segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_data: Vec<[u64; 2]>,
}

impl Rendition {
    /// Where segment `number` (from 1)'s media data is in the packaged file, when its file
    /// holds only its head.
    pub fn segment_data(&self, number: u32) -> Option<std::ops::Range<u64>> {
        let [offset, length] = *self
            .segment_data
            .get(usize::try_from(number).ok()?.checked_sub(1)?)?;
        Some(offset..offset.checked_add(length)?)
    }
}

/// The files [`package`] wrote.
#[derive(Debug)]
pub struct HlsPackage {
    pub rendition: Rendition,
    pub init: PathBuf,
    /// In order; the first is segment 1.
    pub segments: Vec<PathBuf>,
}

impl HlsPackage {
    /// Segment `number` (from 1) as a player receives it, with its media data read from
    /// `source` (the file packaged) when its file holds only its head.
    pub fn segment_bytes(&self, number: u32, source: &Path) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let index = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .filter(|i| *i < self.segments.len())
            .ok_or_else(|| std::io::Error::other(format!("no segment {number}")))?;
        let mut bytes = std::fs::read(&self.segments[index])?;
        if let Some(range) = self.rendition.segment_data(number) {
            let head = bytes.len();
            bytes.resize(head + (range.end - range.start) as usize, 0);
            File::open(source)?.read_exact_at(&mut bytes[head..], range.start)?;
        }
        Ok(bytes)
    }
}

/// Packages `source` into `out_dir`; `None` when it has no H.264 video track to package.
/// `display` is the probed display size (after rotation).
pub fn package(
    source: &Path,
    out_dir: &Path,
    display: (u32, u32),
) -> Result<Option<HlsPackage>, MediaError> {
    let mut file = File::open(source)?;
    let file_len = file.metadata()?.len();
    let boxes = read_top_level(&mut file, file_len)?;
    scan_moov(&boxes.moov, file_len)?;
    let tracks = read_tracks(&boxes.moov, file_len)?;
    let Some(video) = tracks
        .iter()
        .find(|t| &t.handler == b"vide" && matches!(&t.entry, b"avc1" | b"avc3"))
    else {
        return Ok(None);
    };
    if video.samples.is_empty() {
        return Ok(None);
    }
    // AAC only (`mp4a.40.<object type>` in the playlist's CODECS).
    let audio = tracks
        .iter()
        .find(|t| &t.handler == b"soun" && &t.entry == b"mp4a" && !t.samples.is_empty());
    let mut packaged: Vec<&Track<'_>> = vec![video];
    packaged.extend(audio);

    let moov_payload = boxes.moov.get(8..).unwrap_or_default();
    let init = out_dir.join("init.mp4");
    std::fs::write(&init, cmaf::init_segment(moov_payload, &packaged))?;

    let cuts = cut_at_keyframes(&video.samples, video.timescale);
    let video_starts = decode_starts(video);
    let audio_starts = audio.map(decode_starts);
    let mut audio_next = 0usize;
    let mut planned: Vec<Vec<Run<'_>>> = Vec::with_capacity(cuts.len());
    let mut segment_seconds = Vec::with_capacity(cuts.len());
    for (index, cut) in cuts.iter().enumerate() {
        let mut runs = vec![Run {
            track: video,
            samples: cut.clone(),
            base_decode: video_starts[cut.start],
        }];
        if let (Some(audio), Some(starts)) = (audio, &audio_starts) {
            // Audio samples that start before the video segment ends (all the rest last).
            let end_ticks = video_starts[cut.end];
            let last = index + 1 == cuts.len();
            let end = if last {
                audio.samples.len()
            } else {
                starts.partition_point(|t| {
                    u128::from(*t) * u128::from(video.timescale)
                        < u128::from(end_ticks) * u128::from(audio.timescale)
                })
            }
            .min(audio.samples.len());
            if end > audio_next {
                runs.push(Run {
                    track: audio,
                    samples: audio_next..end,
                    base_decode: starts[audio_next],
                });
                audio_next = end;
            }
        }
        planned.push(runs);
        segment_seconds.push(
            (video_starts[cut.end] - video_starts[cut.start]) as f64 / f64::from(video.timescale),
        );
    }

    // Heads referencing the source when every segment's samples lie close together in it
    // (as in any interleaved file), else whole segments.
    let heads = planned
        .iter()
        .enumerate()
        .map(|(index, runs)| cmaf::referencing_head(index as u32 + 1, runs))
        .collect::<Result<Option<Vec<_>>, _>>()?;
    let mut segments = Vec::with_capacity(planned.len());
    let mut segment_sizes = Vec::with_capacity(planned.len());
    let mut segment_data = Vec::new();
    for (index, runs) in planned.iter().enumerate() {
        let path = out_dir.join(format!("{}.m4s", index + 1));
        let bytes = match &heads {
            Some(heads) => {
                let (head, range) = &heads[index];
                std::fs::write(&path, head)?;
                segment_data.push([range.start, range.end - range.start]);
                head.len() as u64 + (range.end - range.start)
            }
            None => cmaf::write_segment(&file, File::create(&path)?, index as u32 + 1, runs)?,
        };
        segments.push(path);
        segment_sizes.push(bytes);
    }
    let peak_bandwidth = segment_sizes
        .iter()
        .zip(&segment_seconds)
        .filter(|(_, seconds)| **seconds > 0.0)
        .map(|(bytes, seconds)| (*bytes as f64 * 8.0 / seconds).ceil() as u64)
        .max()
        .unwrap_or(0);
    let total_bytes: u64 = segment_sizes.iter().sum();
    let total_seconds: f64 = segment_seconds.iter().sum();
    let mut codecs = avc_codec(video);
    if let Some(audio) = audio {
        let object_type = audio.audio_object_type().unwrap_or(2);
        codecs.push_str(&format!(",mp4a.40.{object_type}"));
    }
    Ok(Some(HlsPackage {
        rendition: Rendition {
            name: "source".into(),
            width: display.0,
            height: display.1,
            bandwidth: peak_bandwidth,
            average_bandwidth: if total_seconds > 0.0 {
                (total_bytes as f64 * 8.0 / total_seconds).ceil() as u64
            } else {
                0
            },
            codecs,
            segment_seconds,
            segment_data,
        },
        init,
        segments,
    }))
}

/// Each sample's decode time, plus the end time as the last element.
fn decode_starts(track: &Track<'_>) -> Vec<u64> {
    let mut starts = Vec::with_capacity(track.samples.len() + 1);
    let mut time = 0u64;
    for sample in &track.samples {
        starts.push(time);
        time += u64::from(sample.duration);
    }
    starts.push(time);
    starts
}

/// `avc1.PPCCLL`: profile, constraint flags and level from the `avcC` record.
fn avc_codec(track: &Track<'_>) -> String {
    match track.avc_config().and_then(|c| c.get(1..4)) {
        Some(p) => format!("avc1.{:02x}{:02x}{:02x}", p[0], p[1], p[2]),
        None => "avc1.640028".into(),
    }
}
