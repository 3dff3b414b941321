//! The ffmpeg fallback for files the built-in pipeline cannot read: finds `ffmpeg`/`ffprobe`,
//! builds their command lines with the configured bounds (`-max_pixels`, `-threads`) and
//! runs them through `subprocess` (memory limit, timeout, parent-death signal, process group),
//! returning ffprobe's JSON or one decoded RGB frame. It does not interpret the JSON
//! (`ffprobe.rs`) or encode thumbnails (`thumbnail.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use image::RgbImage;
use tokio::process::Command;

use crate::subprocess::{Bounds, run};
use crate::thumbnail::LARGE_BOUNDS;
use crate::{FfmpegMode, MediaConfig, MediaError};

/// ffprobe's JSON for a real file is a few kB; a hostile file with thousands of streams
/// could make it large, so it is capped.
const MAX_PROBE_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Paths of the two binaries, both checked to exist.
#[derive(Debug, Clone)]
pub(crate) struct FfmpegTools {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
}

impl FfmpegTools {
    /// Finds both binaries per `mode`; `None` when disabled or either is missing.
    pub(crate) fn locate(mode: &FfmpegMode) -> Option<Self> {
        let find = |name: &str| match mode {
            FfmpegMode::Disabled => None,
            FfmpegMode::Dir(dir) => Some(dir.join(name)).filter(|p| is_executable(p)),
            FfmpegMode::Auto => find_on_path(name),
        };
        Some(Self {
            ffmpeg: find("ffmpeg")?,
            ffprobe: find("ffprobe")?,
        })
    }

    pub(crate) fn ffmpeg(&self) -> &Path {
        &self.ffmpeg
    }

    /// `ffprobe -print_format json -show_format -show_streams`, raw stdout.
    pub(crate) async fn probe_json(
        &self,
        input: &Path,
        config: &MediaConfig,
    ) -> Result<Vec<u8>, MediaError> {
        let mut command = Command::new(&self.ffprobe);
        command
            .args(["-v", "error"])
            .args(decoder_bounds(config))
            .args(["-print_format", "json", "-show_format", "-show_streams"])
            .arg(input);
        run(command, "ffprobe", &bounds(config, MAX_PROBE_JSON_BYTES)).await
    }

    /// One frame at `seconds`, auto-rotated to display orientation and scaled to exactly
    /// `size` (the caller computes it from the probe), as raw RGB. `-ss` before `-i` seeks to
    /// the keyframe before `seconds` and decodes forward to it.
    pub(crate) async fn frame_at(
        &self,
        input: &Path,
        seconds: f64,
        size: (u32, u32),
        config: &MediaConfig,
    ) -> Result<RgbImage, MediaError> {
        let mut command = Command::new(&self.ffmpeg);
        command
            .args(["-v", "error", "-nostdin"])
            .args(decoder_bounds(config))
            .arg("-ss")
            .arg(format!("{seconds:.3}"))
            .arg("-i")
            .arg(input)
            .args(["-map", "0:v:0", "-frames:v", "1", "-vf"])
            .arg(format!("scale={}:{}:flags=bicubic", size.0, size.1))
            .arg("-filter_threads")
            .arg(config.ffmpeg_threads.max(1).to_string())
            .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        // The caller asks for at most the large thumbnail size.
        let max_frame = LARGE_BOUNDS.0 as usize * LARGE_BOUNDS.1 as usize * 3;
        let raw = run(command, "ffmpeg", &bounds(config, max_frame)).await?;
        let expected = size.0 as usize * size.1 as usize * 3;
        if raw.len() < expected {
            return Err(MediaError::Corrupt(format!(
                "ffmpeg could not decode a frame at {seconds:.1}s (got {} of {expected} bytes)",
                raw.len()
            )));
        }
        let mut raw = raw;
        raw.truncate(expected);
        RgbImage::from_raw(size.0, size.1, raw)
            .ok_or_else(|| MediaError::Corrupt("ffmpeg frame has the wrong size".into()))
    }
}

impl FfmpegTools {
    /// `count` frames from `start` seconds, one every `step` seconds (`fps` filter; `count`
    /// must be 1 when `step` is 0), auto-rotated and scaled to exactly `size`, as RGB
    /// pictures. Output is capped at exactly what was asked for.
    pub(crate) async fn frames_rgb(
        &self,
        input: &Path,
        start: f64,
        step: f64,
        count: usize,
        size: (u32, u32),
        config: &MediaConfig,
    ) -> Result<Vec<RgbImage>, MediaError> {
        let mut filter = format!("scale={}:{}:flags=bicubic", size.0, size.1);
        if step > 0.0 {
            filter = format!("fps={:.6},{filter}", 1.0 / step);
        }
        let mut command = Command::new(&self.ffmpeg);
        command
            .args(["-v", "error", "-nostdin"])
            .args(decoder_bounds(config))
            .arg("-ss")
            .arg(format!("{start:.3}"))
            .arg("-i")
            .arg(input)
            .args(["-map", "0:v:0", "-frames:v"])
            .arg(count.to_string())
            .arg("-vf")
            .arg(filter)
            .arg("-filter_threads")
            .arg(config.ffmpeg_threads.max(1).to_string())
            .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        let frame_bytes = size.0 as usize * size.1 as usize * 3;
        let raw = run(command, "ffmpeg", &bounds(config, frame_bytes * count)).await?;
        let frames: Vec<RgbImage> = raw
            .chunks_exact(frame_bytes)
            .filter_map(|chunk| RgbImage::from_raw(size.0, size.1, chunk.to_vec()))
            .collect();
        if frames.is_empty() {
            return Err(MediaError::Corrupt(format!(
                "ffmpeg could not decode a frame at {start:.1}s"
            )));
        }
        Ok(frames)
    }
}

/// Input options that bound the decoder: refuse pictures over the pixel limit before
/// allocating them, and decode with a fixed number of threads (ffmpeg's default is one per
/// core, each with its own frame buffers).
fn decoder_bounds(config: &MediaConfig) -> [OsString; 4] {
    [
        "-max_pixels".into(),
        config.max_pixels.min(i32::MAX as u64).to_string().into(),
        "-threads".into(),
        config.ffmpeg_threads.max(1).to_string().into(),
    ]
}

fn bounds(config: &MediaConfig, max_stdout_bytes: usize) -> Bounds {
    Bounds {
        timeout: config.subprocess_timeout,
        memory_bytes: config.ffmpeg_memory_bytes,
        max_stdout_bytes,
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_mode_finds_nothing() {
        assert!(FfmpegTools::locate(&FfmpegMode::Disabled).is_none());
    }

    #[test]
    fn a_directory_without_the_binaries_finds_nothing() {
        let empty = tempfile::tempdir().unwrap();
        assert!(FfmpegTools::locate(&FfmpegMode::Dir(empty.path().to_path_buf())).is_none());
    }

    #[test]
    fn the_decoder_is_bounded_by_the_configuration() {
        let config = MediaConfig {
            max_pixels: 1000,
            ffmpeg_threads: 3,
            ..MediaConfig::default()
        };
        assert_eq!(
            decoder_bounds(&config),
            ["-max_pixels", "1000", "-threads", "3"].map(OsString::from)
        );
    }
}
