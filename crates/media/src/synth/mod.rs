//! Makes labelled test videos without any system package: a synthetic picture with the label
//! in large type (`pattern`, `font`), encoded to H.264 with openh264 (`encode`), muxed into a
//! faststart MP4 (`mp4_writer`). Meant for `reelshare demo`, which fills an instance with
//! videos, and for tests that need real uploads.
//!
//! It does not make audio, does not touch the disk (the caller gets the file's bytes), and
//! refuses specs outside fixed limits, so one call is bounded (the largest allowed clip,
//! 1920×1920 at 60 fps for 60 s, is about 80 s of CPU in a debug build). The output is
//! deterministic: the same [`ClipSpec`] always gives the same bytes.
//!
//! Blocking and CPU-bound (about 0.2 s for the default clip in a debug build): call it from
//! `spawn_blocking` in async code.

mod encode;
mod font;
mod mp4_writer;
mod pattern;

use encode::H264Encoder;
use mp4_writer::{Mp4Sample, VideoTrack, avc_config_record, write_video_mp4};
use pattern::TestPattern;

/// Dimension limits, in pixels. 4:2:0 chroma needs even sizes; below 64 the label has no room.
const MIN_DIMENSION: u32 = 64;
const MAX_DIMENSION: u32 = 1920;
const MAX_FPS: u32 = 60;
const MAX_SECONDS: f64 = 60.0;
/// Longer labels would be drawn too small to read anyway.
const MAX_LABEL_CHARS: usize = 100;
/// An IDR every two seconds: several per clip, so seeking and thumbnails have choices.
const KEYFRAME_SECONDS: u32 = 2;

/// What to make.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSpec {
    /// Drawn large in the middle of the picture; printable ASCII (anything else shows as
    /// `?`), at most 100 characters. Wrapped to at most four lines, in the largest type that
    /// fits; on small pictures what still does not fit is cut short with `...`.
    pub label: String,
    /// Pixels; even, 64–1920.
    pub width: u32,
    pub height: u32,
    /// Frames per second, 1–60.
    pub fps: u32,
    /// Length; more than 0 and at most 60. Rounded to whole frames.
    pub seconds: f64,
    /// Picks the colour scheme and appears in the caption; neighbouring seeds look
    /// clearly different.
    pub seed: u64,
}

impl ClipSpec {
    /// A vertical 360×640, 30 fps, 8 s clip: short-video proportions, small enough to make
    /// quickly.
    pub fn vertical(label: impl Into<String>, seed: u64) -> Self {
        Self {
            label: label.into(),
            width: 360,
            height: 640,
            fps: 30,
            seconds: 8.0,
            seed,
        }
    }

    /// The number of frames, once the spec is known to be valid.
    fn frame_count(&self) -> usize {
        (self.seconds * f64::from(self.fps)).round() as usize
    }

    fn validate(&self) -> Result<(), SynthError> {
        let dimension_ok =
            |d: u32| (MIN_DIMENSION..=MAX_DIMENSION).contains(&d) && d.is_multiple_of(2);
        if !dimension_ok(self.width) || !dimension_ok(self.height) {
            return Err(SynthError::Size {
                width: self.width,
                height: self.height,
            });
        }
        if !(1..=MAX_FPS).contains(&self.fps) {
            return Err(SynthError::FrameRate(self.fps));
        }
        // `!(x > 0)` rather than `x <= 0` so NaN is refused too.
        if !(self.seconds > 0.0 && self.seconds <= MAX_SECONDS) || self.frame_count() == 0 {
            return Err(SynthError::Duration(self.seconds));
        }
        let label_chars = self.label.chars().count();
        if label_chars > MAX_LABEL_CHARS {
            return Err(SynthError::LabelTooLong(label_chars));
        }
        Ok(())
    }
}

/// Why no clip was made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(
        "clip size {width}×{height} is not allowed: both sides must be even and {MIN_DIMENSION}–{MAX_DIMENSION} pixels"
    )]
    Size { width: u32, height: u32 },
    #[error("frame rate {0} is not allowed: 1–{MAX_FPS} fps")]
    FrameRate(u32),
    #[error("duration {0} s is not allowed: at least one frame and at most {MAX_SECONDS} s")]
    Duration(f64),
    #[error("label of {0} characters is too long: at most {MAX_LABEL_CHARS}")]
    LabelTooLong(usize),
    /// openh264 failed or produced something unusable (not expected for valid specs).
    #[error("H.264 encoder: {0}")]
    Encoder(String),
    /// The MP4 writer was given something it cannot write (not expected for valid specs).
    #[error("MP4 writer: {0}")]
    Mux(String),
}

/// Makes the clip `spec` describes and returns the complete MP4 file: one H.264 video track
/// (constrained baseline, BT.601), an IDR every two seconds, `moov` before `mdat`.
pub fn labelled_clip(spec: &ClipSpec) -> Result<Vec<u8>, SynthError> {
    spec.validate()?;
    let (width, height) = (spec.width as usize, spec.height as usize);
    let frames = spec.frame_count();
    let pattern = TestPattern::new(&spec.label, spec.seed, width, height, frames, spec.fps);

    let mut encoder = H264Encoder::new(spec.fps, KEYFRAME_SECONDS * spec.fps)?;
    let mut canvas = pattern.canvas();
    for index in 0..frames {
        pattern.paint(index, &mut canvas);
        encoder.push(&canvas, index)?;
    }
    let stream = encoder.finish()?;

    // A thousand ticks per frame: exact for every whole frame rate.
    let (timescale, tick) = (spec.fps * 1000, 1000);
    write_video_mp4(&VideoTrack {
        // Validated ≤ 1920, so these fit.
        width: spec.width as u16,
        height: spec.height as u16,
        timescale,
        avc_config: avc_config_record(&stream.sps, &stream.pps)?,
        samples: stream
            .frames
            .into_iter()
            .map(|frame| Mp4Sample {
                data: frame.data,
                duration: tick,
                sync: frame.idr,
            })
            .collect(),
        samples_per_chunk: spec.fps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> ClipSpec {
        ClipSpec {
            label: "Small test".into(),
            width: 96,
            height: 160,
            fps: 10,
            seconds: 1.5,
            seed,
        }
    }

    #[test]
    fn the_vertical_default_is_within_limits() {
        assert!(ClipSpec::vertical("x", 0).validate().is_ok());
    }

    #[test]
    fn sizes_must_be_even_and_within_bounds() {
        for (width, height) in [
            (0, 640),
            (63, 640),
            (62, 640),
            (361, 640),
            (1922, 640),
            (360, 1921),
        ] {
            let spec = ClipSpec {
                width,
                height,
                ..ClipSpec::vertical("x", 0)
            };
            assert!(
                matches!(spec.validate(), Err(SynthError::Size { .. })),
                "{width}×{height}"
            );
        }
        for (width, height) in [(64, 64), (1920, 1920), (1920, 1080)] {
            let spec = ClipSpec {
                width,
                height,
                ..ClipSpec::vertical("x", 0)
            };
            assert!(spec.validate().is_ok(), "{width}×{height}");
        }
    }

    #[test]
    fn frame_rate_duration_and_label_are_bounded() {
        let base = ClipSpec::vertical("x", 0);
        for fps in [0, 61, 1000] {
            let spec = ClipSpec {
                fps,
                ..base.clone()
            };
            assert!(
                matches!(spec.validate(), Err(SynthError::FrameRate(_))),
                "{fps}"
            );
        }
        for seconds in [0.0, -1.0, 60.01, f64::NAN, f64::INFINITY, 0.01] {
            let spec = ClipSpec {
                seconds,
                ..base.clone()
            };
            assert!(
                matches!(spec.validate(), Err(SynthError::Duration(_))),
                "{seconds}"
            );
        }
        assert!(
            ClipSpec {
                seconds: 60.0,
                fps: 60,
                ..base.clone()
            }
            .validate()
            .is_ok()
        );
        let spec = ClipSpec {
            label: "é".repeat(101),
            ..base.clone()
        };
        assert!(matches!(
            spec.validate(),
            Err(SynthError::LabelTooLong(101))
        ));
        assert!(
            ClipSpec {
                label: "é".repeat(100),
                ..base
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn an_invalid_spec_is_refused_before_any_work() {
        let error = labelled_clip(&ClipSpec {
            width: 10_000,
            ..small(0)
        })
        .unwrap_err();
        assert!(error.to_string().contains("10000×160"), "{error}");
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes_and_another_seed_does_not() {
        let first = labelled_clip(&small(7)).unwrap();
        assert_eq!(first, labelled_clip(&small(7)).unwrap());
        assert_ne!(first, labelled_clip(&small(8)).unwrap());
    }

    #[test]
    fn the_frame_count_rounds_the_duration() {
        assert_eq!(small(0).frame_count(), 15);
        assert_eq!(ClipSpec::vertical("x", 0).frame_count(), 240);
        let spec = ClipSpec {
            seconds: 1.0 / 3.0,
            fps: 10,
            ..small(0)
        };
        assert_eq!(spec.frame_count(), 3);
    }
}
