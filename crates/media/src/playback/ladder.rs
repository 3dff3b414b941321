//! The ffmpeg rendition ladder: H.264 High + AAC at 360p, 540p, 720p and 1080p (short side;
//! rungs above the source are skipped, not failed), made by ONE ffmpeg run that decodes the
//! source once and `split`s it into one scaler and encoder per rung, and encodes the audio
//! once for all rungs (the `tee` muxer writes each encoded packet into every rung). Keyframes are forced
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
/// Every rung's video encoder settings (the rate limits are per rung); the ladder bench's
/// one-run-per-rung baseline uses them too.
pub const VIDEO_ENCODER: [&str; 10] = [
    "-c:v",
    "libx264",
    "-profile:v",
    "high",
    "-preset",
    "veryfast",
    "-crf",
    "23",
    "-sc_threshold",
    "0",
];
/// Every rung's audio encoder settings.
pub const AUDIO_ENCODER: [&str; 8] = ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"];
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

impl Rung {
    /// The filter scaling a decoded source to this rung.
    pub fn scale_filter(&self) -> String {
        format!(
            "scale={}:{}:flags=bicubic,format=yuv420p",
            self.width, self.height
        )
    }
}

/// `-force_key_frames`' value: a keyframe every [`KEYFRAME_SECONDS`], on the same timestamps
/// in every rung.
pub fn forced_keyframes() -> String {
    format!("expr:gte(t,n_forced*{KEYFRAME_SECONDS})")
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

/// The rung's faststart MP4, relative to the ladder's directory.
fn rung_file(rung: &Rung) -> String {
    format!("{}.mp4", rung.name)
}

/// The filter graph: the decoded source split once per rung, each branch scaled to its rung
/// (`[v0]`, `[v1]`, …), straight from the source so every rung is one resampling away from it.
fn split_and_scale(rungs: &[Rung]) -> String {
    let mut filter = format!("[0:v]split={}", rungs.len());
    for index in 0..rungs.len() {
        filter.push_str(&format!("[s{index}]"));
    }
    for (index, rung) in rungs.iter().enumerate() {
        filter.push_str(&format!(";[s{index}]{}[v{index}]", rung.scale_filter()));
    }
    filter
}

/// `tee`'s outputs: one faststart MP4 per rung holding that rung's video stream and the one
/// audio stream (when the source has one).
fn tee_outputs(rungs: &[Rung]) -> String {
    rungs
        .iter()
        .enumerate()
        .map(|(index, rung)| {
            format!(
                "[f=mp4:movflags=+faststart:select=\\'v:{index},a\\']{}",
                rung_file(rung)
            )
        })
        .collect::<Vec<_>>()
        .join("|")
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
    let mut command = Command::new(ffmpeg);
    // The rungs are written by name into `out_dir`, so no path has to be escaped for `tee`.
    command
        .current_dir(out_dir)
        .args(["-v", "error", "-nostdin", "-y"])
        .arg("-max_pixels")
        .arg(config.max_pixels.min(i32::MAX as u64).to_string())
        .args(["-threads", &threads])
        .arg("-i")
        .arg(std::path::absolute(source)?)
        .args(["-filter_complex", &split_and_scale(&rungs)])
        .args(["-filter_threads", &threads]);
    for (index, rung) in rungs.iter().enumerate() {
        command
            .args(["-map", &format!("[v{index}]")])
            .arg(format!("-maxrate:v:{index}"))
            .arg(format!("{}k", rung.max_kbps))
            .arg(format!("-bufsize:v:{index}"))
            .arg(format!("{}k", rung.max_kbps * 2));
    }
    command
        .args(["-map", "0:a:0?"])
        .args(VIDEO_ENCODER)
        .args([
            "-threads",
            &threads,
            "-force_key_frames",
            &forced_keyframes(),
        ])
        .args(AUDIO_ENCODER)
        // `tee` hands each encoded packet to the outputs that select its stream: the audio is
        // encoded once and muxed into every rung. MP4 wants the encoders' global headers.
        .args(["-flags", "+global_header", "-f", "tee"])
        .arg(tee_outputs(&rungs));
    let outputs: Vec<PathBuf> = rungs
        .iter()
        .map(|rung| out_dir.join(rung_file(rung)))
        .collect();
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
