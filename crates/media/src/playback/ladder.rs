//! The ffmpeg rendition ladder: H.264 High + AAC at 360p, 540p, 720p and 1080p (short side;
//! rungs above the source are skipped, not failed), made by ONE ffmpeg run that decodes the
//! source once and `split`s it into one scaler and encoder per rung. Keyframes are forced
//! every [`KEYFRAME_SECONDS`] on the same timestamps in every rung (no scene-cut keyframes),
//! so the built-in packager then cuts every rung's HLS segments at the same times. Each rung
//! is also kept as a faststart MP4 for progressive players.
//!
//! Bounded like every ffmpeg run (`subprocess`): its own process group, parent-death signal,
//! `-threads`, `-max_pixels`; the timeout grows with the video's duration (encoding takes
//! longer than probing) and the memory limit with the number of encoders.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::hls::{HlsPackage, package};
use crate::subprocess::{Bounds, run};
use crate::{MediaConfig, MediaError, Probe};

/// Keyframe interval of every rung.
pub(crate) const KEYFRAME_SECONDS: u32 = 2;
/// (short side, peak video kbit/s) of each rung the ladder may have.
const RUNGS: [(u32, u32); 4] = [(360, 800), (540, 1500), (720, 2800), (1080, 5000)];
/// Extra address space per encoder (x264 lookahead and reference frames at 1080p).
const MEMORY_PER_RUNG: u64 = 256 << 20;

/// One rung to encode, display-oriented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// `360p`, `540p`, …
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub max_kbps: u32,
}

/// The rungs for a `width`×`height` (display) source: every short side up to the source's,
/// the long side scaled to keep the aspect ratio, both even (4:2:0).
pub fn rungs_for(width: u32, height: u32) -> Vec<Rung> {
    let (short, long) = (width.min(height), width.max(height));
    RUNGS
        .iter()
        .filter(|(side, _)| *side <= short)
        .map(|&(side, max_kbps)| {
            let scaled = (u64::from(long) * u64::from(side) + u64::from(short) / 2)
                / u64::from(short.max(1));
            let scaled = (scaled as u32 + 1) & !1;
            let (width, height) = if width <= height {
                (side, scaled)
            } else {
                (scaled, side)
            };
            Rung {
                name: format!("{side}p"),
                width,
                height,
                max_kbps,
            }
        })
        .collect()
}

/// One finished rung: its faststart MP4 and its HLS package.
#[derive(Debug)]
pub struct LadderRendition {
    pub mp4: PathBuf,
    pub hls: HlsPackage,
}

/// Encodes the ladder of `source` (accepted as `probe`) into `out_dir`, then packages each
/// rung. Empty when the source is smaller than the lowest rung.
pub(crate) async fn encode(
    ffmpeg: &Path,
    source: &Path,
    probe: &Probe,
    out_dir: &Path,
    config: &MediaConfig,
) -> Result<Vec<LadderRendition>, MediaError> {
    let rungs = rungs_for(probe.width, probe.height);
    if rungs.is_empty() {
        return Ok(Vec::new());
    }
    let threads = config.ffmpeg_threads.max(1).to_string();
    let mut filter = format!("[0:v]split={}", rungs.len());
    for index in 0..rungs.len() {
        filter.push_str(&format!("[s{index}]"));
    }
    for (index, rung) in rungs.iter().enumerate() {
        filter.push_str(&format!(
            ";[s{index}]scale={}:{}:flags=bicubic,format=yuv420p[v{index}]",
            rung.width, rung.height
        ));
    }
    let mut command = Command::new(ffmpeg);
    command
        .args(["-v", "error", "-nostdin", "-y"])
        .arg("-max_pixels")
        .arg(config.max_pixels.min(i32::MAX as u64).to_string())
        .args(["-threads", &threads])
        .arg("-i")
        .arg(source)
        .args(["-filter_complex", &filter, "-filter_threads", &threads]);
    let mut outputs = Vec::with_capacity(rungs.len());
    for (index, rung) in rungs.iter().enumerate() {
        let output = out_dir.join(format!("{}.mp4", rung.name));
        command
            .args(["-map", &format!("[v{index}]"), "-map", "0:a:0?"])
            .args([
                "-c:v",
                "libx264",
                "-profile:v",
                "high",
                "-preset",
                "veryfast",
            ])
            .args(["-crf", "23", "-threads", &threads])
            .arg("-maxrate")
            .arg(format!("{}k", rung.max_kbps))
            .arg("-bufsize")
            .arg(format!("{}k", rung.max_kbps * 2))
            .args(["-sc_threshold", "0", "-force_key_frames"])
            .arg(format!("expr:gte(t,n_forced*{KEYFRAME_SECONDS})"))
            .args(["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(&output);
        outputs.push(output);
    }
    let bounds = Bounds {
        // Encoding all rungs of a clip is allowed ten times its duration beyond the usual
        // subprocess limit (2 threads on a small machine encode 1080p at about real time).
        timeout: config.subprocess_timeout
            + std::time::Duration::from_secs_f64(probe.duration_seconds.max(0.0) * 10.0),
        memory_bytes: config.ffmpeg_memory_bytes + MEMORY_PER_RUNG * rungs.len() as u64,
        max_stdout_bytes: 4096,
    };
    run(command, "ffmpeg", &bounds).await?;

    let out_dir = out_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        rungs
            .iter()
            .zip(outputs)
            .map(|(rung, mp4)| {
                let dir = out_dir.join(&rung.name);
                std::fs::create_dir_all(&dir)?;
                let mut hls = package(&mp4, &dir, (rung.width, rung.height))?.ok_or_else(|| {
                    MediaError::Corrupt(format!("ffmpeg's {} rung has no video", rung.name))
                })?;
                hls.rendition.name = rung.name.clone();
                Ok(LadderRendition { mp4, hls })
            })
            .collect::<Result<Vec<_>, MediaError>>()
            .and_then(|ladder| {
                let files = ladder
                    .iter()
                    .flat_map(|rung| std::iter::once(rung.mp4.as_path()).chain(rung.hls.files()));
                super::durable(&out_dir, files)?;
                Ok(ladder)
            })
    })
    .await
    .map_err(|e| MediaError::Io(std::io::Error::other(format!("packaging task failed: {e}"))))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(rungs: &[Rung]) -> Vec<(u32, u32)> {
        rungs.iter().map(|r| (r.width, r.height)).collect()
    }

    #[test]
    fn rungs_never_exceed_the_source_and_keep_its_orientation_and_aspect() {
        assert_eq!(
            sizes(&rungs_for(1080, 1920)),
            [(360, 640), (540, 960), (720, 1280), (1080, 1920)]
        );
        assert_eq!(
            sizes(&rungs_for(1280, 720)),
            [(640, 360), (960, 540), (1280, 720)]
        );
        assert_eq!(sizes(&rungs_for(360, 640)), [(360, 640)]);
        assert!(
            rungs_for(320, 240).is_empty(),
            "below the lowest rung: skipped"
        );
        // An odd aspect ratio still gives even sides.
        assert!(rungs_for(1000, 1777).iter().all(|r| r.height % 2 == 0));
        assert_eq!(rungs_for(3840, 2160).last().unwrap().name, "1080p");
    }
}
