//! The built-in pipeline: sniff, probe MP4/MOV with mp4parse, decode one H.264 frame with
//! openh264, render thumbnails. Blocking code, run on tokio's blocking pool by `Pipeline`.
//! Anything it cannot read (other containers, other codecs, fragmented MP4, a stream openh264
//! rejects) is handed back as an [`FfmpegHandoff`] rather than failed, so the caller decides
//! whether ffmpeg takes over.
//!
//! Frame choice: the keyframe whose presentation time is nearest to duration/3, decoded on
//! its own. The alternative, decoding from the previous keyframe up to the exact picture at
//! duration/3, was measured on the shared clips (release build, this 2-core machine, whole
//! `process_file` = probe + decode + two JPEGs; `frame_choice_timing` below): keyframe-only
//! 33–38 ms per clip, exact-frame 340–390 ms, i.e. no faster than ffmpeg itself, because these
//! phone clips have a keyframe only every 8–10 s and the exact picture costs up to ~250
//! decoded pictures. A keyframe is also the sharpest picture of its GOP. The price: the
//! thumbnail can be seconds away from the one-third mark (clip-a has keyframes at 0 s and
//! 8.3 s, so duration/3 = 3.3 s picks the first frame). `FrameChoice::ExactFrame` stays
//! implemented and tested so the trade can be revisited.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::avc::AvcConfig;
use crate::frame::YuvFrame;
use crate::h264_decode::{Packet, decode_picture};
use crate::isobmff::read_top_level;
use crate::limits::{Limits, sizes_agree};
use crate::mp4_track::{NO_VIDEO_TRACK, Sample, VideoTrackKind, read_video_track};
use crate::sniff::{SNIFF_LEN, Sniffed, sniff};
use crate::{Container, MediaError, Probe, Processed, thumbnail};

/// Bound on pictures decoded for one thumbnail attempt (exact-frame mode only).
const MAX_DECODED_PER_THUMBNAIL: usize = 600;
/// After the nearest keyframe, how many later keyframes to try when frames are uniform.
const EXTRA_KEYFRAMES_TO_TRY: usize = 2;

/// Which picture the thumbnail shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameChoice {
    /// The keyframe nearest to duration/3 (the default: one decoded picture).
    NearestKeyframe,
    /// The picture nearest to duration/3, decoded from the keyframe before it.
    #[cfg_attr(not(test), allow(dead_code))]
    ExactFrame,
}

/// What the built-in pipeline could not finish, for ffmpeg to take over.
#[derive(Debug)]
pub(crate) struct FfmpegHandoff {
    pub container: Container,
    /// The probe, when the built-in parser managed it (e.g. HEVC in MP4).
    pub probe: Option<Probe>,
    /// What to report when ffmpeg is not available.
    pub error_without_ffmpeg: MediaError,
}

#[derive(Debug)]
pub(crate) enum BuiltinOutcome {
    Done(Processed),
    NeedsFfmpeg(FfmpegHandoff),
}

pub(crate) fn process_file(
    path: &Path,
    choice: FrameChoice,
    limits: &Limits,
) -> Result<BuiltinOutcome, MediaError> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let head = read_head(&mut file)?;
    match sniff(&head) {
        Sniffed::NotVideo(what) | Sniffed::StillImage(what) => {
            Err(MediaError::NotAVideo(what.into()))
        }
        Sniffed::OtherVideo(container) => Ok(BuiltinOutcome::NeedsFfmpeg(FfmpegHandoff {
            container,
            probe: None,
            error_without_ffmpeg: MediaError::Unsupported(format!(
                "{} files need ffmpeg, which this server does not have",
                container_label(container)
            )),
        })),
        Sniffed::IsoBmff => process_mp4(&mut file, file_len, choice, limits),
    }
}

fn process_mp4(
    file: &mut File,
    file_len: u64,
    choice: FrameChoice,
    limits: &Limits,
) -> Result<BuiltinOutcome, MediaError> {
    let boxes = read_top_level(file, file_len)?;
    let video = match read_video_track(&boxes, limits) {
        Err(MediaError::Unsupported(reason)) if reason != NO_VIDEO_TRACK => {
            return Ok(BuiltinOutcome::NeedsFfmpeg(FfmpegHandoff {
                container: Container::Mp4,
                probe: None,
                error_without_ffmpeg: MediaError::Unsupported(reason),
            }));
        }
        other => other?,
    };
    let (config, samples, timescale) = match video.kind {
        VideoTrackKind::H264 {
            config,
            samples,
            timescale,
        } => (config, samples, timescale),
        VideoTrackKind::NeedsFfmpeg { reason } => {
            return Ok(BuiltinOutcome::NeedsFfmpeg(FfmpegHandoff {
                container: Container::Mp4,
                probe: Some(video.probe),
                error_without_ffmpeg: MediaError::Unsupported(reason),
            }));
        }
    };
    let mut track = H264Track {
        file,
        config: &config,
        samples: &samples,
        refused: false,
    };
    let target_ticks = (video.probe.duration_seconds / 3.0 * timescale as f64) as i64;
    let frame = match track.thumbnail_frame(target_ticks, choice) {
        Ok(frame) => frame,
        // The stream contradicts what was checked: ffmpeg must not get to allocate for it.
        Err(error) if track.refused => return Err(error),
        Err(error) => {
            tracing::warn!(%error, "built-in H.264 decoding failed");
            return Ok(BuiltinOutcome::NeedsFfmpeg(FfmpegHandoff {
                container: Container::Mp4,
                probe: Some(video.probe),
                error_without_ffmpeg: error,
            }));
        }
    };
    let thumbnails = thumbnail::render(frame.to_rgb(), video.probe.rotation_degrees)?;
    Ok(BuiltinOutcome::Done(Processed {
        probe: video.probe,
        thumbnails,
    }))
}

struct H264Track<'a> {
    file: &'a mut File,
    config: &'a AvcConfig,
    samples: &'a [Sample],
    /// Set when decoding stopped because the stream contradicts the checked SPS (an in-band
    /// SPS of another size, a picture of another size): the file is refused, not handed to
    /// ffmpeg like an ordinary decoding failure.
    refused: bool,
}

impl H264Track<'_> {
    /// The nearest keyframe (or exact frame); if uniform, the next keyframes; else the first.
    fn thumbnail_frame(
        &mut self,
        target_ticks: i64,
        choice: FrameChoice,
    ) -> Result<YuvFrame, MediaError> {
        let keyframes: Vec<usize> = (0..self.samples.len())
            .filter(|&i| self.samples[i].keyframe)
            .collect();
        if keyframes.is_empty() {
            return Err(MediaError::Corrupt("the video has no keyframes".into()));
        }
        let distance = |i: usize| self.samples[i].presentation_ticks.abs_diff(target_ticks);
        let nearest_keyframe = (0..keyframes.len())
            .min_by_key(|&k| distance(keyframes[k]))
            .unwrap_or(0);

        let mut attempts: Vec<(usize, usize)> = Vec::new();
        match choice {
            FrameChoice::NearestKeyframe => {
                attempts.push((keyframes[nearest_keyframe], keyframes[nearest_keyframe]))
            }
            FrameChoice::ExactFrame => {
                let wanted = (0..self.samples.len())
                    .min_by_key(|&i| distance(i))
                    .unwrap_or(0);
                let start = keyframes
                    .iter()
                    .rev()
                    .find(|&&k| k <= wanted)
                    .copied()
                    .unwrap_or(keyframes[0]);
                attempts.push((start, wanted));
            }
        }
        for &k in keyframes
            .iter()
            .skip(nearest_keyframe + 1)
            .take(EXTRA_KEYFRAMES_TO_TRY)
        {
            attempts.push((k, k));
        }

        let mut first_error = None;
        for (start, wanted) in attempts {
            match self.decode(start, wanted) {
                Ok(frame) if !frame.is_nearly_uniform() => return Ok(frame),
                Ok(_) => tracing::debug!(sample = wanted, "thumbnail candidate is uniform"),
                Err(error) if self.refused => return Err(error),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        // Fall back to the first frame, uniform or not: a black video gets a black thumbnail.
        match self.decode(keyframes[0], keyframes[0]) {
            Ok(frame) => Ok(frame),
            Err(error) if self.refused => Err(error),
            Err(error) => Err(first_error.unwrap_or(error)),
        }
    }

    /// Decodes samples `start..=wanted` (decode order) and returns picture `wanted`.
    fn decode(&mut self, start: usize, wanted: usize) -> Result<YuvFrame, MediaError> {
        let end = wanted.min(start + MAX_DECODED_PER_THUMBNAIL - 1);
        let (file, config, samples) = (&mut *self.file, self.config, self.samples);
        let mut refused = false;
        let packets = (start..=end).map(|index| {
            let mut annex_b = Vec::new();
            let raw = read_sample(file, &samples[index])?;
            // Checked before openh264 sees it: an SPS is where the decoder learns how much
            // to allocate.
            if let Err(error) = config.check_in_band_sps(&raw) {
                refused = true;
                return Err(error);
            }
            config.sample_to_annex_b(&raw, &mut annex_b)?;
            Ok(Packet {
                sample_index: index,
                annex_b,
            })
        });
        let result = decode_picture(&config.parameter_sets_annex_b, packets, end);
        self.refused |= refused;
        let frame = result?;
        let expected = (config.sps.width, config.sps.height);
        if !sizes_agree((frame.width as u64, frame.height as u64), expected) {
            self.refused = true;
            return Err(MediaError::Corrupt(format!(
                "the decoder produced a {}×{} picture for a {}×{} stream",
                frame.width, frame.height, expected.0, expected.1
            )));
        }
        Ok(frame)
    }
}

pub(crate) fn read_sample(file: &mut File, sample: &Sample) -> Result<Vec<u8>, MediaError> {
    let mut bytes = vec![0u8; sample.size as usize];
    file.seek(SeekFrom::Start(sample.offset))?;
    file.read_exact(&mut bytes).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => MediaError::Corrupt("sample data is cut short".into()),
        _ => MediaError::Io(e),
    })?;
    Ok(bytes)
}

fn read_head(file: &mut File) -> Result<Vec<u8>, MediaError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    file.by_ref()
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(head)
}

pub(crate) fn container_label(container: Container) -> &'static str {
    match container {
        Container::Mp4 => "MP4",
        Container::WebM => "WebM/Matroska",
        Container::Ogg => "Ogg",
        Container::Mpeg => "MPEG",
        Container::Other => "This kind of video",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::OnceLock;
    use std::time::Instant;

    use proptest::prelude::*;

    use super::*;

    fn limits() -> Limits {
        Limits::from_config(&crate::MediaConfig::default())
    }

    /// A committed fixture from `testdata/` (see its README.md).
    fn fixture_path(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(name)
    }

    /// The real phone clips, for the timing measurement only (not in the repository).
    fn phone_clip_path(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/media")
            .join(name)
    }

    /// H.264 High with B-frames, moov first (12 kB): the fixture closest to a phone clip.
    fn clip() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| {
            let path = fixture_path("h264-high-bframes.mp4");
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
    }

    /// The probe half of the pipeline over in-memory bytes: sniff, box scan, mp4parse.
    fn probe_bytes(bytes: &[u8]) -> Result<Option<Probe>, MediaError> {
        match sniff(&bytes[..bytes.len().min(SNIFF_LEN)]) {
            Sniffed::IsoBmff => {
                let boxes = read_top_level(&mut Cursor::new(bytes), bytes.len() as u64)?;
                Ok(Some(read_video_track(&boxes, &limits())?.probe))
            }
            _ => Ok(None),
        }
    }

    /// A real clip with some bytes overwritten (mostly in the moov, where the parser looks)
    /// and possibly cut short.
    fn mutated_clip() -> impl Strategy<Value = Vec<u8>> {
        let len = clip().len();
        let moov_region = 0..12_000usize;
        (
            prop::collection::vec((moov_region, any::<u8>()), 0..24),
            prop::collection::vec((0..len, any::<u8>()), 0..4),
            prop::option::of(0..len),
        )
            .prop_map(|(moov_edits, anywhere_edits, cut)| {
                let mut bytes = clip().to_vec();
                for (at, value) in moov_edits.into_iter().chain(anywhere_edits) {
                    bytes[at] = value;
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut);
                }
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn probe_survives_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
            let _ = probe_bytes(&bytes);
        }

        #[test]
        fn probe_survives_random_bytes_behind_an_mp4_header(tail in prop::collection::vec(any::<u8>(), 0..4096)) {
            let mut bytes = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
            bytes.extend(tail);
            let _ = probe_bytes(&bytes);
        }

        #[test]
        fn probe_survives_mutated_and_truncated_clips(bytes in mutated_clip()) {
            let _ = probe_bytes(&bytes);
        }
    }

    proptest! {
        // Each case decodes H.264, so fewer of them.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn whole_pipeline_survives_mutated_clips(bytes in mutated_clip()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mutated.mp4");
            std::fs::write(&path, &bytes).unwrap();
            let _ = process_file(&path, FrameChoice::NearestKeyframe, &limits());
        }
    }

    #[test]
    fn the_unmodified_clip_probes() {
        let probe = probe_bytes(clip()).unwrap().unwrap();
        assert_eq!((probe.width, probe.height), (360, 640));
    }

    #[test]
    fn exact_frame_mode_decodes_through_b_frames_to_the_one_third_mark() {
        // Keyframes every 2 s; duration/3 = 3.33 s is 40 pictures after the keyframe at 2 s,
        // so this decodes a run of B-frames (3 in a row, pyramid) without flushing.
        let path = fixture_path("h264-high-bframes.mp4");
        let outcome = process_file(&path, FrameChoice::ExactFrame, &limits()).unwrap();
        let BuiltinOutcome::Done(processed) = outcome else {
            panic!("H.264 needs no ffmpeg")
        };
        assert_eq!(processed.thumbnails.small.width, 112);
    }

    /// The measurement behind the module comment. Run with
    /// `cargo test --release -p media --lib -- --ignored --nocapture frame_choice_timing`.
    #[test]
    #[ignore = "needs ../shared/media (a timing measurement, meaningful only in release mode)"]
    fn frame_choice_timing() {
        for clip in ["clip-a.mp4", "clip-b.mp4", "clip-c.mp4"] {
            for choice in [FrameChoice::NearestKeyframe, FrameChoice::ExactFrame] {
                let path = phone_clip_path(clip);
                process_file(&path, choice, &limits()).unwrap();
                let started = Instant::now();
                for _ in 0..5 {
                    process_file(&path, choice, &limits()).unwrap();
                }
                println!(
                    "{clip} {choice:?}: {:.1} ms per process",
                    started.elapsed().as_secs_f64() * 200.0
                );
            }
        }
    }
}
