//! reelshare's media pipeline: it turns an uploaded file on local disk into a typed [`Probe`]
//! and two JPEG thumbnails. It knows files and codecs, never HTTP, databases or object stores.
//!
//! INTERFACE CONTRACT (used by `store`/`server`; keep these names and shapes):
//! - `Pipeline::new(MediaConfig) -> Pipeline`
//! - `Pipeline::process(&self, path: &Path) -> Result<Processed, MediaError>` (async; CPU work
//!   runs on the blocking pool; ffmpeg/ffprobe subprocesses have a timeout, a memory limit,
//!   and die with their request or the server)
//! - `Pipeline::ffmpeg_available(&self) -> bool`
//!
//! # Layout
//! - `sniff`: recognises the file kind from its first bytes (video container or not).
//! - `isobmff`: walks top-level MP4 boxes with seeks; returns only `ftyp` + `moov` bytes.
//! - `moov_scan`: checks the raw `moov` (box sizes, nesting, table entry counts, implied
//!   sample counts against the file size) before mp4parse allocates anything for it.
//! - `mp4_track`: mp4parse → probe, `avcC`, per-sample table of the video track; checks the
//!   container's size and duration claims against the SPS, the sample tables and the limits.
//! - `avc`: `avcC` and length-prefixed samples → Annex B; in-band SPS checks.
//! - `h264_sps`: the picture size from an H.264 SPS (exp-Golomb fields up to cropping).
//! - `limits`: the pixel, duration and size-agreement rules shared by both probes.
//! - `h264_decode`: openh264 without auto-flush; returns the picture of one tagged sample.
//! - `frame`: YUV 4:2:0 picture, uniformity test, YUV → RGB.
//! - `thumbnail`: rotate, fit 360×200 / 720×1280, JPEG.
//! - `builtin`: the pure-Rust pipeline and its frame choice; hands other files to ffmpeg.
//! - `ffmpeg`: locating ffmpeg/ffprobe and building their bounded command lines.
//! - `subprocess`: spawning a tool with memory/CPU-thread limits, parent-death signal, its own
//!   process group, a timeout that kills the group, and capped output.
//! - `ffprobe`: ffprobe JSON → [`Probe`], with the same limits.
//! - `synth`: makes labelled test videos ([`labelled_clip`]) without ffmpeg, for
//!   `reelshare demo` and tests:
//!   - `synth/pattern`: the test picture, painted straight into YUV 4:2:0;
//!   - `synth/font`: a 5×7 bitmap font for printable ASCII and label wrapping;
//!   - `synth/encode`: openh264 encoding to length-prefixed samples plus SPS/PPS;
//!   - `synth/mp4_writer`: a nested ISO-BMFF box writer and a faststart one-track MP4.
//! - `playback`: faststart remux and HLS (CMAF) packaging of H.264 MP4s, and the playlists'
//!   text ([`Pipeline::prepare_playback`], [`master_playlist`], [`media_playlist`]).
//! - `images`: pictures at chosen times (built-in or ffmpeg) and their encoding as stills,
//!   GIF animations and storyboard sprites ([`Pipeline::frames`], [`images`]).
//! - `fuzz` (tests only): proptest fuzzing of the probe and pipeline on mutated corpus files.

mod avc;
mod builtin;
mod ffmpeg;
mod ffprobe;
mod frame;
#[cfg(test)]
mod fuzz;
mod h264_decode;
mod h264_sps;
pub mod images;
mod isobmff;
mod limits;
mod moov_scan;
mod mp4_track;
mod playback;
mod sniff;
mod subprocess;
mod synth;
mod thumbnail;

pub use playback::faststart::{Faststart, make_faststart};
pub use playback::hls::{HlsIndex, HlsPackage, LadderState, Rendition, SegmentParts};
pub use playback::ladder::{
    AUDIO_ENCODER, LadderRendition, Rung, VIDEO_ENCODER, forced_keyframes, rungs_for,
};
pub use playback::playlist::{master_playlist, media_playlist, target_duration};
pub use synth::{ClipSpec, SynthError, labelled_clip};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the pipeline finds ffmpeg/ffprobe.
#[derive(Debug, Clone)]
pub enum FfmpegMode {
    /// Use `ffmpeg`/`ffprobe` from PATH when present.
    Auto,
    /// Never use ffmpeg: only the built-in MP4/H.264 pipeline.
    Disabled,
    /// Use the binaries in this directory.
    Dir(PathBuf),
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub ffmpeg: FfmpegMode,
    /// Limit for one ffmpeg/ffprobe run.
    pub subprocess_timeout: Duration,
    /// Largest accepted picture, in pixels (width × height as coded in the stream, not as
    /// the container claims). Also passed to ffmpeg/ffprobe as `-max_pixels`. Default
    /// 4096 × 2304 = 9 437 184: DCI and UHD 4K in either orientation, which is what phones
    /// record; 8K (33 MP) uploads are refused. Each side is also capped at 8192.
    pub max_pixels: u64,
    /// Longest accepted video. Default 1 hour: a short-video platform; every duration the
    /// file claims (movie, track and media headers, the sample table) must be within it.
    pub max_duration: Duration,
    /// Decoder threads for one ffmpeg/ffprobe run (`-threads`). Default 2: uploads are
    /// processed by several workers at once, and each thread costs frame buffers.
    pub ffmpeg_threads: u32,
    /// Address-space limit (`RLIMIT_AS`) for one ffmpeg/ffprobe process, in bytes. Default
    /// 1 GiB; ffmpeg's shared libraries alone map ~350 MB, a 4K H.264 frame needs ~50 MB more.
    pub ffmpeg_memory_bytes: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            ffmpeg: FfmpegMode::Auto,
            subprocess_timeout: Duration::from_secs(60),
            max_pixels: 4096 * 2304,
            max_duration: Duration::from_secs(3600),
            ffmpeg_threads: 2,
            ffmpeg_memory_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    WebM,
    Ogg,
    Mpeg,
    Other,
}

/// What the probe learned about a video file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub container: Container,
    /// e.g. "h264", "hevc", "vp9".
    pub video_codec: String,
    pub duration_seconds: f64,
    /// Display size, after rotation.
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation from the track matrix: 0, 90, 180 or 270.
    pub rotation_degrees: u16,
    /// e.g. "video/mp4", "video/webm".
    pub mime_type: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Shows the size, not the bytes: a thumbnail in a log or a failed assertion would otherwise
/// print tens of thousands of numbers.
impl std::fmt::Debug for Jpeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jpeg")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// A frame from about a third of the way in, in two sizes.
#[derive(Debug, Clone)]
pub struct Thumbnails {
    /// Fits within 360×200 (lists, the Video API), never upscaled.
    pub small: Jpeg,
    /// Fits within 720×1280 (the Creator API), never upscaled.
    pub large: Jpeg,
}

#[derive(Debug, Clone)]
pub struct Processed {
    pub probe: Probe,
    pub thumbnails: Thumbnails,
}

/// What [`Pipeline::prepare_playback`] wrote for a video.
#[derive(Debug, Default)]
pub struct Playback {
    /// A faststart copy, when the original's index is at its end (otherwise the original
    /// already starts fast and serves as it is).
    pub faststart: Option<PathBuf>,
    /// HLS init and media segments of the original's samples.
    pub hls: Option<HlsPackage>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not a video at all (text, image, random bytes).
    #[error("not a video: {0}")]
    NotAVideo(String),
    /// A video, but a format/codec this instance cannot process (e.g. WebM without ffmpeg).
    #[error("unsupported video type: {0}")]
    Unsupported(String),
    /// Looks like a video but is truncated or broken.
    #[error("corrupted or invalid file: {0}")]
    Corrupt(String),
    /// A readable video beyond this instance's limits (`MediaConfig::max_pixels`,
    /// `max_duration`, sample count, ffmpeg's memory limit), or one whose claims would be.
    #[error("video exceeds a limit: {0}")]
    LimitExceeded(String),
    #[error("{tool} timed out after {after:?}")]
    Timeout { tool: &'static str, after: Duration },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Probes uploaded files and renders their thumbnails. Cheap to share behind an `Arc`.
pub struct Pipeline {
    config: MediaConfig,
    /// Located once at construction; `None` when disabled or not installed.
    ffmpeg: Option<ffmpeg::FfmpegTools>,
}

impl Pipeline {
    pub fn new(config: MediaConfig) -> Self {
        let ffmpeg = ffmpeg::FfmpegTools::locate(&config.ffmpeg);
        Self { config, ffmpeg }
    }

    pub fn ffmpeg_available(&self) -> bool {
        self.ffmpeg.is_some()
    }

    /// Validates and probes the file at `path` and renders both thumbnails: MP4/MOV with
    /// H.264 in-process, everything else through ffmpeg when it is available.
    pub async fn process(&self, path: &Path) -> Result<Processed, MediaError> {
        let owned_path = path.to_path_buf();
        let limits = limits::Limits::from_config(&self.config);
        let outcome = tokio::task::spawn_blocking(move || {
            // The parsers are written not to panic on hostile input; this is the last line.
            std::panic::catch_unwind(|| {
                builtin::process_file(&owned_path, builtin::FrameChoice::NearestKeyframe, &limits)
            })
            .unwrap_or_else(|_| {
                Err(MediaError::Corrupt(
                    "the file crashed the media parser".into(),
                ))
            })
        })
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("media task failed: {e}"))))??;

        match outcome {
            builtin::BuiltinOutcome::Done(processed) => Ok(processed),
            builtin::BuiltinOutcome::NeedsFfmpeg(handoff) => match &self.ffmpeg {
                Some(tools) => self.process_with_ffmpeg(tools, path, handoff).await,
                None => Err(handoff.error_without_ffmpeg),
            },
        }
    }

    /// Prepares `source` (already accepted by [`Pipeline::process`] as `probe`) for playback:
    /// for an H.264 MP4, a faststart copy if needed and HLS segments, written into `out_dir`.
    /// Other videos get nothing here. Blocking work runs on the blocking pool.
    pub async fn prepare_playback(
        &self,
        source: &Path,
        probe: &Probe,
        out_dir: &Path,
    ) -> Result<Playback, MediaError> {
        if probe.container != Container::Mp4 || probe.video_codec != "h264" {
            return Ok(Playback::default());
        }
        let (source, out_dir) = (source.to_path_buf(), out_dir.to_path_buf());
        let display = (probe.width, probe.height);
        tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(|| {
                let remuxed = out_dir.join("faststart.mp4");
                let faststart = match make_faststart(&source, &remuxed)? {
                    Faststart::AlreadyFast => None,
                    Faststart::Remuxed { .. } => Some(remuxed),
                };
                let hls_dir = out_dir.join("hls");
                std::fs::create_dir_all(&hls_dir)?;
                let hls = playback::hls::package(&source, &hls_dir, display)?;
                let files = faststart
                    .as_deref()
                    .into_iter()
                    .chain(hls.iter().flat_map(|hls| hls.files()));
                playback::durable(&out_dir, files)?;
                Ok(Playback { faststart, hls })
            })
            .unwrap_or_else(|_| Err(MediaError::Corrupt("the file crashed the packager".into())))
        })
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("packaging task failed: {e}"))))?
    }

    /// The ffmpeg rendition ladder of `source` (accepted as `probe`), each rung encoded into
    /// `out_dir` as a faststart MP4 and packaged as HLS. Empty without ffmpeg, or when the
    /// source is smaller than the lowest rung.
    pub async fn encode_ladder(
        &self,
        source: &Path,
        probe: &Probe,
        out_dir: &Path,
    ) -> Result<Vec<LadderRendition>, MediaError> {
        match &self.ffmpeg {
            Some(tools) => {
                playback::ladder::encode(tools.ffmpeg(), source, probe, out_dir, &self.config).await
            }
            None => Ok(Vec::new()),
        }
    }

    async fn process_with_ffmpeg(
        &self,
        tools: &ffmpeg::FfmpegTools,
        path: &Path,
        handoff: builtin::FfmpegHandoff,
    ) -> Result<Processed, MediaError> {
        let config = &self.config;
        let limits = limits::Limits::from_config(config);
        // ffprobe runs even when the built-in parser read the container: its size comes
        // from the stream's own parameter sets, which the container may misstate.
        let json = tools.probe_json(path, config).await?;
        let reported = ffprobe::parse_ffprobe_json(&json, handoff.container, &limits)?;
        let probe = match handoff.probe {
            Some(probe) => {
                let ours = (u64::from(probe.width), u64::from(probe.height));
                let theirs = (u64::from(reported.width), u64::from(reported.height));
                if !limits::sizes_agree(ours, theirs) {
                    return Err(MediaError::Corrupt(format!(
                        "the container says {}×{} but the video stream is {}×{}",
                        ours.0, ours.1, theirs.0, theirs.1
                    )));
                }
                probe
            }
            None => reported,
        };
        // ffmpeg auto-rotates, so it is asked for the display-oriented large size directly.
        let size = thumbnail::fit_within((probe.width, probe.height), thumbnail::LARGE_BOUNDS);
        let at = probe.duration_seconds / 3.0;
        let frame = match tools.frame_at(path, at, size, config).await {
            Err(MediaError::Corrupt(_)) if at > 0.0 => {
                tools.frame_at(path, 0.0, size, config).await?
            }
            other => other?,
        };
        let thumbnails = tokio::task::spawn_blocking(move || thumbnail::render(frame, 0))
            .await
            .map_err(|e| {
                MediaError::Io(std::io::Error::other(format!("thumbnail task failed: {e}")))
            })??;
        Ok(Processed { probe, thumbnails })
    }
}
