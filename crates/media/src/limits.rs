//! The plausibility rules every probe must pass, whichever parser produced it (the built-in
//! MP4 reader or ffprobe): a picture no larger than `MediaConfig::max_pixels`, a duration no
//! longer than `MediaConfig::max_duration`, and size claims that agree with each other. It
//! only compares numbers; finding them (SPS, boxes, ffprobe JSON) is the callers' job.

use std::time::Duration;

use crate::{MediaConfig, MediaError};

/// No side may exceed this, whatever the pixel budget: 8K is the largest real video, and
/// openh264 refuses larger pictures anyway.
pub(crate) const MAX_DIMENSION: u64 = 8192;
/// Two sizes of the same picture may differ by less than this in each dimension: encoders
/// code whole 16×16 macroblocks and some writers put the uncropped size in the container.
pub(crate) const SIZE_TOLERANCE: u64 = 16;

/// The limits a [`crate::Pipeline`] applies, copied out of its [`MediaConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_pixels: u64,
    pub max_duration: Duration,
}

impl Limits {
    pub(crate) fn from_config(config: &MediaConfig) -> Self {
        Self {
            max_pixels: config.max_pixels,
            max_duration: config.max_duration,
        }
    }

    /// `LimitExceeded` when `width × height` exceeds the pixel budget or a side exceeds
    /// [`MAX_DIMENSION`]; `Corrupt` for a zero size. `source` names where the size came from.
    pub(crate) fn check_size(
        &self,
        width: u64,
        height: u64,
        source: &str,
    ) -> Result<(), MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::Corrupt(format!(
                "{source} gives an empty picture size {width}×{height}"
            )));
        }
        let pixels = width.saturating_mul(height);
        if pixels > self.max_pixels || width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(MediaError::LimitExceeded(format!(
                "the video is {width}×{height} ({source}); at most {} pixels and {MAX_DIMENSION} per side are accepted",
                self.max_pixels
            )));
        }
        Ok(())
    }

    /// `LimitExceeded` when `seconds` is longer than the limit or not a finite number.
    pub(crate) fn check_duration(&self, seconds: f64, source: &str) -> Result<(), MediaError> {
        let limit = self.max_duration.as_secs_f64();
        if !seconds.is_finite() {
            return Err(MediaError::LimitExceeded(format!(
                "{source} gives no usable duration ({seconds}); at most {limit} s is accepted"
            )));
        }
        if seconds > limit {
            return Err(MediaError::LimitExceeded(format!(
                "{source} says the video lasts {seconds:.0} s; at most {limit} s is accepted"
            )));
        }
        Ok(())
    }
}

/// Whether two claims about one picture's size agree: within [`SIZE_TOLERANCE`] in each
/// dimension, in the same or the swapped orientation (writers disagree about whether a
/// rotated track stores its size before or after the rotation).
pub(crate) fn sizes_agree(a: (u64, u64), b: (u64, u64)) -> bool {
    let close = |x: u64, y: u64| x.abs_diff(y) < SIZE_TOLERANCE;
    (close(a.0, b.0) && close(a.1, b.1)) || (close(a.0, b.1) && close(a.1, b.0))
}

/// Whether a track header's presentation size fits the coded size: equal as in
/// [`sizes_agree`], or one side equal and the other scaled by a pixel aspect ratio between
/// 1/2 and 2 (anamorphic video: a 1440×1080 stream shown as 1920×1080).
pub(crate) fn presentation_size_fits(coded: (u64, u64), presented: (u64, u64)) -> bool {
    let close = |x: u64, y: u64| x.abs_diff(y) < SIZE_TOLERANCE;
    let scaled = |x: u64, y: u64| y <= 2 * x + SIZE_TOLERANCE && x <= 2 * y + SIZE_TOLERANCE;
    let fits = |c: (u64, u64), p: (u64, u64)| {
        (close(c.0, p.0) && scaled(c.1, p.1)) || (close(c.1, p.1) && scaled(c.0, p.0))
    };
    fits(coded, presented) || fits(coded, (presented.1, presented.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::from_config(&MediaConfig::default())
    }

    #[test]
    fn the_default_budget_takes_4k_in_both_orientations_and_refuses_8k() {
        assert!(limits().check_size(3840, 2160, "test").is_ok());
        assert!(limits().check_size(2160, 3840, "test").is_ok());
        assert!(limits().check_size(4096, 2304, "test").is_ok());
        for (w, h) in [(8192, 4608), (7680, 4320), (16000, 16000), (9000, 10)] {
            let result = limits().check_size(w, h, "test");
            assert!(
                matches!(result, Err(MediaError::LimitExceeded(_))),
                "{w}×{h}: {result:?}"
            );
        }
        assert!(matches!(
            limits().check_size(0, 10, "test"),
            Err(MediaError::Corrupt(_))
        ));
    }

    #[test]
    fn durations_over_an_hour_are_refused_by_default() {
        assert!(limits().check_duration(3600.0, "test").is_ok());
        for seconds in [3600.5, 36_000.0, 4_294_967_294.0, f64::INFINITY, f64::NAN] {
            let result = limits().check_duration(seconds, "test");
            assert!(
                matches!(result, Err(MediaError::LimitExceeded(_))),
                "{seconds}: {result:?}"
            );
        }
    }

    #[test]
    fn sizes_agree_within_a_macroblock_in_either_orientation() {
        assert!(sizes_agree((1920, 1080), (1920, 1088)));
        assert!(sizes_agree((1080, 1920), (1920, 1088)));
        assert!(!sizes_agree((64, 64), (16000, 16000)));
        assert!(!sizes_agree((64, 64), (64, 80)));
    }

    #[test]
    fn presentation_size_allows_pixel_aspect_but_not_made_up_sizes() {
        assert!(presentation_size_fits((1440, 1080), (1920, 1080)));
        assert!(presentation_size_fits((720, 576), (1024, 576)));
        assert!(presentation_size_fits((1080, 1920), (1920, 1080)));
        assert!(!presentation_size_fits((64, 64), (8192, 8192)));
        assert!(!presentation_size_fits((64, 64), (64, 8192)));
    }
}
