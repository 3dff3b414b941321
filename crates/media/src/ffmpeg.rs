//! The ffmpeg fallback for files the built-in pipeline cannot read: finds `ffmpeg`/`ffprobe`,
//! runs them as subprocesses with a timeout and `kill_on_drop` (a stuck or abandoned run
//! never outlives its request), and returns ffprobe's JSON or one decoded RGB frame. It does
//! not interpret the JSON (`ffprobe.rs`) or encode thumbnails (`thumbnail.rs`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use image::RgbImage;
use tokio::process::Command;

use crate::{FfmpegMode, MediaError};

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

    /// `ffprobe -print_format json -show_format -show_streams`, raw stdout.
    pub(crate) async fn probe_json(
        &self,
        input: &Path,
        timeout: Duration,
    ) -> Result<Vec<u8>, MediaError> {
        let mut command = Command::new(&self.ffprobe);
        command
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(input);
        run(command, "ffprobe", timeout).await
    }

    /// One frame at `seconds`, auto-rotated to display orientation and scaled to exactly
    /// `size` (the caller computes it from the probe), as raw RGB. `-ss` before `-i` seeks to
    /// the keyframe before `seconds` and decodes forward to it.
    pub(crate) async fn frame_at(
        &self,
        input: &Path,
        seconds: f64,
        size: (u32, u32),
        timeout: Duration,
    ) -> Result<RgbImage, MediaError> {
        let mut command = Command::new(&self.ffmpeg);
        command
            .args(["-v", "error", "-nostdin", "-ss"])
            .arg(format!("{seconds:.3}"))
            .arg("-i")
            .arg(input)
            .args(["-map", "0:v:0", "-frames:v", "1", "-vf"])
            .arg(format!("scale={}:{}:flags=bicubic", size.0, size.1))
            .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);
        let raw = run(command, "ffmpeg", timeout).await?;
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

/// Runs `command` to completion within `timeout`; stdout on success, `Corrupt` carrying
/// stderr's last line on a non-zero exit.
async fn run(
    mut command: Command,
    tool: &'static str,
    timeout: Duration,
) -> Result<Vec<u8>, MediaError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn()?;
    // On timeout the `wait_with_output` future, and with it the child, is dropped: kill_on_drop
    // then kills the process.
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| MediaError::Timeout {
            tool,
            after: timeout,
        })??;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(MediaError::Corrupt(format!(
            "{tool} could not read the file: {last_line}"
        )));
    }
    Ok(output.stdout)
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

    #[tokio::test]
    async fn a_hanging_tool_is_killed_at_the_timeout() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let started = std::time::Instant::now();
        let result = run(command, "ffmpeg", Duration::from_millis(200)).await;
        assert!(
            matches!(result, Err(MediaError::Timeout { tool: "ffmpeg", .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
