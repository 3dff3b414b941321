//! HLS packaging of an H.264 MP4 without re-encoding: reads the tracks, cuts segments at
//! keyframes, writes `init.mp4` and the segments into a directory, and describes the
//! result as a [`Rendition`] (stored by the caller as JSON) from which the playlists are
//! rendered on each request (their links are signed per request, so they are not files).
//!
//! In an interleaved file (every file ffmpeg, phones and cameras write) each segment's
//! samples lie close together, so only the segments' heads are written (all in `heads.bin`)
//! and their media data stays where it is in the packaged file ([`Rendition::segment_data`]):
//! packaging writes kilobytes, not a second copy of the video. Otherwise the segments are
//! written whole, as `1.m4s`, `2.m4s`, ….

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
    /// When not empty, segment `n` is not a file of its own: it is bytes `[head_offset,
    /// head_length]` of the rendition's `heads.bin` (its `moof` and `mdat` header) followed by
    /// bytes `[data_offset, data_length]` of the packaged file (the original for the packaged
    /// original, the rung's `video.mp4` for a ladder rung), served without ever being copied.
    /// When empty, each `n.m4s` is the whole segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_data: Vec<[u64; 4]>,
}

/// Where a segment's two parts are: its head in `heads.bin`, its media data in the packaged
/// file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentParts {
    pub head: std::ops::Range<u64>,
    pub data: std::ops::Range<u64>,
}

impl Rendition {
    /// Where segment `number` (from 1) is, when it is not a file of its own.
    pub fn segment_parts(&self, number: u32) -> Option<SegmentParts> {
        let [head_offset, head_length, data_offset, data_length] =
            *self.segment_data.get(segment_index(number)?)?;
        Some(SegmentParts {
            head: head_offset..head_offset.checked_add(head_length)?,
            data: data_offset..data_offset.checked_add(data_length)?,
        })
    }
}

/// Where segment `number` (counted from 1) is in per-segment lists.
fn segment_index(number: u32) -> Option<usize> {
    usize::try_from(number).ok()?.checked_sub(1)
}

/// The files [`package`] wrote.
#[derive(Debug)]
pub struct HlsPackage {
    pub rendition: Rendition,
    pub init: PathBuf,
    /// The segments' heads, when they point into the packaged file
    /// ([`Rendition::segment_data`]); then there are no segment files.
    pub heads: Option<PathBuf>,
    /// Whole segments, in order (the first is segment 1), when they do not.
    pub segments: Vec<PathBuf>,
}

impl HlsPackage {
    /// Segment `number` (from 1) as a player receives it, with its media data read from
    /// `source` (the file packaged) when it points into it.
    pub fn segment_bytes(&self, number: u32, source: &Path) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let missing = || std::io::Error::other(format!("no segment {number}"));
        let (Some(heads), Some(parts)) = (&self.heads, self.rendition.segment_parts(number)) else {
            let path = segment_index(number)
                .and_then(|i| self.segments.get(i))
                .ok_or_else(missing)?;
            return std::fs::read(path);
        };
        let length = |r: &std::ops::Range<u64>| usize::try_from(r.end - r.start).unwrap_or(0);
        let mut bytes = vec![0; length(&parts.head) + length(&parts.data)];
        let (head, data) = bytes.split_at_mut(length(&parts.head));
        File::open(heads)?.read_exact_at(head, parts.head.start)?;
        File::open(source)?.read_exact_at(data, parts.data.start)?;
        Ok(bytes)
    }

    /// Every file written.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.init.as_path())
            .chain(self.heads.as_deref())
            .chain(self.segments.iter().map(PathBuf::as_path))
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
    let mut segments = Vec::new();
    let mut segment_sizes = Vec::with_capacity(planned.len());
    let mut segment_data = Vec::new();
    let heads_path = match heads {
        Some(heads) => {
            // One file of heads, not one per segment: a few files are made durable with a
            // `fsync` each, whatever else the machine is writing.
            let path = out_dir.join("heads.bin");
            let mut all = Vec::with_capacity(heads.iter().map(|(head, _)| head.len()).sum());
            for (head, data) in &heads {
                segment_data.push([
                    all.len() as u64,
                    head.len() as u64,
                    data.start,
                    data.end - data.start,
                ]);
                segment_sizes.push(head.len() as u64 + (data.end - data.start));
                all.extend_from_slice(head);
            }
            std::fs::write(&path, all)?;
            Some(path)
        }
        None => {
            for (index, runs) in planned.iter().enumerate() {
                let path = out_dir.join(format!("{}.m4s", index + 1));
                let bytes =
                    cmaf::write_segment(&file, File::create(&path)?, index as u32 + 1, runs)?;
                segments.push(path);
                segment_sizes.push(bytes);
            }
            None
        }
    };
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
        heads: heads_path,
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
