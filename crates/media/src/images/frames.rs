//! Pictures of an H.264 MP4 at given times, decoded in-process: for each time the picture on
//! screen then (or the keyframe before it, for storyboards, unless that repeats the tile
//! before), decoded forward from the keyframe
//! before it, each run of pictures sharing a keyframe decoded once. Every picture is turned
//! upright and shrunk into the caller's box as soon as it is decoded, so memory is bounded by
//! the box, not the video. Other files are not handled here (`None`): ffmpeg takes them.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;

use image::RgbImage;

use crate::builtin::read_sample;
use crate::h264_decode::{Packet, decode_pictures};
use crate::isobmff::read_top_level;
use crate::limits::{Limits, sizes_agree};
use crate::mp4_track::{Sample, VideoTrackKind, read_video_track};
use crate::sniff::{SNIFF_LEN, Sniffed, sniff};
use crate::{MediaError, images::shrink_upright};

/// Most pictures decoded for one request (all its runs together): 5 s at 60 fps plus a long
/// GOP before it. Past this the request is refused rather than decoded.
pub(crate) const MAX_DECODED_PER_REQUEST: usize = 1200;

/// Which picture stands for a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The picture on screen at that time (the first whose presentation time is not before
    /// it, as `ffmpeg -ss` picks), decoded from the keyframe before it.
    Exact,
    /// The last keyframe at or before that time: one decoded picture, no decoding forward.
    KeyframeBefore,
    /// For storyboard tiles: the keyframe at or before the time, unless the time before took
    /// that keyframe already; then the picture on screen (as [`Pick::Exact`]), so tiles do
    /// not repeat on a video with keyframes further apart than the tiles. When that would
    /// decode more than [`MAX_DECODED_PER_REQUEST`] pictures, every time takes its keyframe.
    Tile,
}

/// Decodes the pictures for `times` (seconds), upright, each shrunk to fit `bounds`.
/// `Ok(None)` when the file is not an H.264 MP4 the built-in decoder reads.
pub(crate) fn builtin_frames(
    path: &Path,
    times: &[f64],
    pick: Pick,
    bounds: (u32, u32),
    limits: &Limits,
) -> Result<Option<Vec<RgbImage>>, MediaError> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut head = vec![0u8; SNIFF_LEN.min(file_len as usize)];
    std::io::Read::read_exact(&mut file, &mut head)?;
    if sniff(&head) != Sniffed::IsoBmff {
        return Ok(None);
    }
    let boxes = read_top_level(&mut file, file_len)?;
    let video = match read_video_track(&boxes, limits) {
        Ok(video) => video,
        Err(MediaError::Unsupported(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    let rotation = video.probe.rotation_degrees;
    let VideoTrackKind::H264 {
        config,
        samples,
        timescale,
    } = video.kind
    else {
        return Ok(None);
    };
    let targets: Vec<i64> = times
        .iter()
        .map(|&t| (t * timescale as f64).round() as i64)
        .collect();
    let wanted = wanted_samples(&samples, &targets, pick)
        .ok_or_else(|| MediaError::Corrupt("the video has no keyframes".into()))?;
    let runs = runs(&samples, &wanted);
    let decoded_total = decoded(&runs);
    if decoded_total > MAX_DECODED_PER_REQUEST {
        return Err(MediaError::LimitExceeded(format!(
            "{decoded_total} pictures would be decoded (at most {MAX_DECODED_PER_REQUEST})"
        )));
    }

    let expected = (config.sps.width, config.sps.height);
    let mut pictures: HashMap<usize, RgbImage> = HashMap::new();
    for (start, ws) in runs {
        let end = *ws.iter().max().expect("a run has a wanted sample");
        let file = &mut file;
        let packets = (start..=end).map(|index| {
            let raw = read_sample(file, &samples[index])?;
            config.check_in_band_sps(&raw)?;
            let mut annex_b = Vec::new();
            config.sample_to_annex_b(&raw, &mut annex_b)?;
            Ok(Packet {
                sample_index: index,
                annex_b,
            })
        });
        let mut wrong_size = None;
        decode_pictures(
            &config.parameter_sets_annex_b,
            packets,
            &ws,
            |index, yuv| {
                let size = (yuv.width as u64, yuv.height as u64);
                if sizes_agree(size, expected) {
                    pictures.insert(index, shrink_upright(yuv.to_rgb(), rotation, bounds));
                } else {
                    wrong_size = Some(size);
                }
            },
        )?;
        if let Some((w, h)) = wrong_size {
            return Err(MediaError::Corrupt(format!(
                "the decoder produced a {w}×{h} picture for a {}×{} stream",
                expected.0, expected.1
            )));
        }
    }
    wanted
        .iter()
        .map(|w| {
            pictures.get(w).cloned().ok_or_else(|| {
                MediaError::Corrupt(format!("H.264 decoder produced no picture for sample {w}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The samples standing for `targets` (ticks) under `pick`; `None` without keyframes.
fn wanted_samples(samples: &[Sample], targets: &[i64], pick: Pick) -> Option<Vec<usize>> {
    let each = |pick| {
        targets
            .iter()
            .map(|&target| choose_sample(samples, target, pick))
            .collect::<Option<Vec<usize>>>()
    };
    if pick != Pick::Tile {
        return each(pick);
    }
    let keyframes = each(Pick::KeyframeBefore)?;
    let exact = each(Pick::Exact)?;
    let distinct: Vec<usize> = (0..keyframes.len())
        .map(|i| {
            if i > 0 && keyframes[i - 1] == keyframes[i] {
                exact[i]
            } else {
                keyframes[i]
            }
        })
        .collect();
    Some(
        if decoded(&runs(samples, &distinct)) <= MAX_DECODED_PER_REQUEST {
            distinct
        } else {
            keyframes
        },
    )
}

/// The keyframe each wanted sample is decoded from → the samples wanted from it.
fn runs(samples: &[Sample], wanted: &[usize]) -> BTreeMap<usize, Vec<usize>> {
    let mut runs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &w in wanted {
        let start = (0..=w).rev().find(|&i| samples[i].keyframe).unwrap_or(0);
        runs.entry(start).or_default().push(w);
    }
    runs
}

/// How many pictures decoding `runs` takes (each from its keyframe to its last wanted one).
fn decoded(runs: &BTreeMap<usize, Vec<usize>>) -> usize {
    runs.iter()
        .map(|(start, ws)| ws.iter().max().map_or(0, |&end| end + 1 - start))
        .sum()
}

/// The sample standing for `target` ticks under `pick` (`Tile` as `KeyframeBefore`); `None`
/// without keyframes.
fn choose_sample(samples: &[Sample], target: i64, pick: Pick) -> Option<usize> {
    let candidates =
        || (0..samples.len()).filter(move |&i| pick == Pick::Exact || samples[i].keyframe);
    let first = candidates().min_by_key(|&i| samples[i].presentation_ticks)?;
    Some(match pick {
        Pick::Exact => candidates()
            .filter(|&i| samples[i].presentation_ticks >= target)
            .min_by_key(|&i| samples[i].presentation_ticks)
            // Past the last picture: the last one.
            .or_else(|| candidates().max_by_key(|&i| samples[i].presentation_ticks))
            .unwrap_or(first),
        Pick::KeyframeBefore | Pick::Tile => candidates()
            .filter(|&i| samples[i].presentation_ticks <= target)
            .max_by_key(|&i| samples[i].presentation_ticks)
            .unwrap_or(first),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Sample> {
        // Decode order I P B B P with presentation 0, 3, 1, 2, 4 (ticks), keyframe also at 4.
        [(0, true), (3, false), (1, false), (2, false), (4, true)]
            .into_iter()
            .map(|(pts, keyframe)| Sample {
                offset: 0,
                size: 0,
                presentation_ticks: pts,
                keyframe,
            })
            .collect()
    }

    #[test]
    fn exact_picks_the_first_picture_not_before_the_time() {
        let s = samples();
        assert_eq!(choose_sample(&s, 0, Pick::Exact), Some(0));
        assert_eq!(choose_sample(&s, 2, Pick::Exact), Some(3));
        assert_eq!(choose_sample(&s, 3, Pick::Exact), Some(1));
        assert_eq!(choose_sample(&s, 99, Pick::Exact), Some(4));
    }

    /// `count` samples in presentation order, one tick apart, a keyframe every `gop`.
    fn stream(count: i64, gop: i64) -> Vec<Sample> {
        (0..count)
            .map(|pts| Sample {
                offset: 0,
                size: 0,
                presentation_ticks: pts,
                keyframe: pts % gop == 0,
            })
            .collect()
    }

    #[test]
    fn tiles_take_keyframes_but_never_the_same_one_twice_in_a_row() {
        let s = stream(40, 20);
        let tiles = wanted_samples(&s, &[0, 5, 10, 15, 20, 25, 39], Pick::Tile).unwrap();
        assert_eq!(tiles, [0, 5, 10, 15, 20, 25, 39]);
        let keyframes = wanted_samples(&s, &[0, 5, 10, 20], Pick::KeyframeBefore).unwrap();
        assert_eq!(keyframes, [0, 0, 0, 20]);
        // Keyframes as close as the tiles: one keyframe each, nothing decoded forward.
        let s = stream(40, 5);
        let tiles = wanted_samples(&s, &[0, 6, 12, 18], Pick::Tile).unwrap();
        assert_eq!(tiles, [0, 5, 10, 15]);
    }

    #[test]
    fn tiles_fall_back_to_keyframes_past_the_decoding_budget() {
        // One keyframe in 5 000 pictures: distinct tiles would decode up to the last one.
        let s = stream(5000, 5000);
        let targets: Vec<i64> = (0..100).map(|i| i * 50).collect();
        let tiles = wanted_samples(&s, &targets, Pick::Tile).unwrap();
        assert!(tiles.iter().all(|&t| t == 0), "{tiles:?}");
        // Within the budget the same video gets distinct tiles.
        let near: Vec<i64> = (0..100).map(|i| i * 10).collect();
        let tiles = wanted_samples(&s, &near, Pick::Tile).unwrap();
        assert_eq!(
            tiles[1..],
            near[1..].iter().map(|&t| t as usize).collect::<Vec<_>>()
        );
        assert!(decoded(&runs(&s, &tiles)) <= MAX_DECODED_PER_REQUEST);
    }

    #[test]
    fn keyframe_before_never_decodes_forward() {
        let s = samples();
        assert_eq!(choose_sample(&s, 3, Pick::KeyframeBefore), Some(0));
        assert_eq!(choose_sample(&s, 4, Pick::KeyframeBefore), Some(4));
        assert_eq!(choose_sample(&s, -5, Pick::KeyframeBefore), Some(0));
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// Where the time of an animated preview goes (decoding vs GIF encoding), on a phone
    /// clip. Run with `--ignored --nocapture`.
    #[test]
    #[ignore = "needs ../shared/media"]
    fn animation_timing_on_a_phone_clip() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media/clip-a.mp4");
        let limits = Limits::from_config(&crate::MediaConfig::default());
        let times: Vec<f64> = (0..50).map(|i| 2.0 + f64::from(i) / 10.0).collect();
        let started = std::time::Instant::now();
        let frames = builtin_frames(&path, &times, Pick::Exact, (320, 1920), &limits)
            .unwrap()
            .unwrap();
        let decoded = started.elapsed();
        let started = std::time::Instant::now();
        builtin_frames(&path, &[6.9], Pick::Exact, (320, 1920), &limits).unwrap();
        println!("one picture at 6.9 s: {:.2?}", started.elapsed());
        let started = std::time::Instant::now();
        let gif =
            crate::images::encode_animation(&frames, &times, domain::images::AnimationFormat::Gif)
                .unwrap();
        println!(
            "decode+shrink {decoded:.2?}, GIF {:.2?} ({} bytes)",
            started.elapsed(),
            gif.len()
        );
    }
}
