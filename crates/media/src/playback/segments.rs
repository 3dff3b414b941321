//! Where HLS segments are cut: only at video keyframes (a segment always starts with one, so
//! it decodes on its own), aiming at [`TARGET_SECONDS`] and never growing past
//! [`MAX_SECONDS`] unless one GOP alone is longer (then that GOP is one longer segment).
//! Pure: sample durations in, index ranges out.

use std::ops::Range;

use super::tracks::TrackSample;

/// A segment is cut at the first keyframe at least this far from its start…
pub(crate) const TARGET_SECONDS: u64 = 4;
/// …or earlier, at the last keyframe before it would grow past this.
pub(crate) const MAX_SECONDS: u64 = 6;

/// The video sample ranges of each segment, covering every sample in order.
pub(crate) fn cut_at_keyframes(samples: &[TrackSample], timescale: u32) -> Vec<Range<usize>> {
    let scale = u64::from(timescale.max(1));
    let mut starts_at = Vec::with_capacity(samples.len() + 1);
    let mut time = 0u64;
    for sample in samples {
        starts_at.push(time);
        time += u64::from(sample.duration);
    }
    starts_at.push(time);
    let keyframes: Vec<usize> = (1..samples.len())
        .filter(|i| samples[*i].sync)
        .chain(std::iter::once(samples.len()))
        .collect();

    let mut segments = Vec::new();
    let mut start = 0usize;
    for (k, &cut) in keyframes.iter().enumerate() {
        if cut == samples.len() {
            break;
        }
        let length = starts_at[cut] - starts_at[start];
        let next = keyframes.get(k + 1).copied().unwrap_or(samples.len());
        let longer = starts_at[next] - starts_at[start];
        if length >= TARGET_SECONDS * scale || longer > MAX_SECONDS * scale {
            segments.push(start..cut);
            start = cut;
        }
    }
    if start < samples.len() {
        segments.push(start..samples.len());
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` samples of 1/30 s with a keyframe every `gop`.
    fn video(count: usize, gop: usize) -> Vec<TrackSample> {
        (0..count)
            .map(|i| TrackSample {
                offset: 0,
                size: 1,
                duration: 1,
                composition_offset: 0,
                sync: i % gop == 0,
            })
            .collect()
    }

    fn seconds(segments: &[Range<usize>]) -> Vec<f64> {
        segments.iter().map(|r| r.len() as f64 / 30.0).collect()
    }

    #[test]
    fn two_second_gops_make_four_second_segments_starting_at_keyframes() {
        let samples = video(300, 60);
        let segments = cut_at_keyframes(&samples, 30);
        assert_eq!(seconds(&segments), [4.0, 4.0, 2.0]);
        assert!(segments.iter().all(|r| samples[r.start].sync));
        assert_eq!(segments.last().unwrap().end, 300);
    }

    #[test]
    fn a_gop_longer_than_the_maximum_is_one_longer_segment() {
        // Keyframes every 8.3 s, as in a phone clip.
        let samples = video(750, 250);
        assert_eq!(seconds(&cut_at_keyframes(&samples, 30)).len(), 3);
        // One keyframe at the start: one segment, however long.
        assert_eq!(cut_at_keyframes(&video(900, 900), 30), vec![(0..900)]);
    }

    #[test]
    fn a_segment_is_cut_early_rather_than_grow_past_six_seconds() {
        // Keyframes at 0, 3 and 7 s: waiting for 4 s would make a 7 s segment.
        let mut samples = video(300, 1000);
        samples[90].sync = true;
        samples[210].sync = true;
        assert_eq!(seconds(&cut_at_keyframes(&samples, 30)), [3.0, 4.0, 3.0]);
        for segment in cut_at_keyframes(&samples, 30) {
            assert!(samples[segment.start].sync);
        }
    }
}
