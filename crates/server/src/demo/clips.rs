//! The videos `reelshare demo` makes when it is given no clip files: a labelled test picture
//! per video (the media crate's `labelled_clip`: the bundled H.264 encoder and the project's
//! own MP4 writer), vertical like phone uploads, 6 to 12 seconds long so the demo's watches
//! spread over different durations. Deterministic: the same seed, creator and index give the
//! same bytes.

use media::ClipSpec;

/// The made-up video `v` of demo creator `c` under `seed`.
pub(super) fn spec(seed: u64, c: u32, v: u32) -> ClipSpec {
    let mut spec = ClipSpec::vertical(
        format!("reelshare demo - creator {c}, video {v}"),
        seed.wrapping_mul(1_000_003)
            .wrapping_add(u64::from(c) * 1_000 + u64::from(v)),
    );
    spec.seconds = 6.0 + 3.0 * f64::from((c + v) % 3);
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_demo_video_has_its_own_picture_and_a_duration_from_6_to_12_seconds() {
        let a = spec(42, 1, 1);
        let b = spec(42, 1, 2);
        assert_ne!(a.seed, b.seed);
        assert_ne!(a.label, b.label);
        for (c, v) in [(1, 1), (1, 2), (2, 2), (3, 3)] {
            let s = spec(42, c, v);
            assert!((6.0..=12.0).contains(&s.seconds), "{}", s.seconds);
        }
        assert_eq!(spec(42, 2, 3).seed, spec(42, 2, 3).seed);
    }
}
