//! Making uploads play fast: without re-encoding, a faststart copy of an MP4 whose index is
//! at the end and HLS (fragmented MP4) segments and playlists from the same samples; with
//! ffmpeg, an H.264 rendition ladder packaged the same way.
//!
//! - `boxes`: walking and writing ISO-BMFF boxes inside a checked `moov`.
//! - `faststart`: `moov` first, chunk offsets rewritten (`stco` promoted to `co64` if needed).
//! - `tracks`: the raw sample tables expanded into per-sample offsets, durations and flags.
//! - `segments`: where segments are cut (keyframes, 2–6 s).
//! - `cmaf`: the init segment and `moof`+`mdat` media segments.
//! - `hls`: packaging a file into those segments and describing the result.
//! - `playlist`: the master and media playlists' text.
//! - `ladder`: the ffmpeg H.264 rendition ladder (one run, `split` into every rung).

mod boxes;
mod cmaf;
pub(crate) mod faststart;
pub(crate) mod hls;
pub(crate) mod ladder;
pub(crate) mod playlist;
mod segments;
mod tracks;

/// Above this many files, one `syncfs` is cheaper than a `fsync` each.
const FSYNC_AT_MOST: usize = 16;

/// Makes `files` (all written under `dir`) and the directories holding them durable before
/// the caller records that they exist. A few files get a `fsync` each (and their directories),
/// which costs the same whatever else the machine is writing; many files (whole HLS segments,
/// ~120 for a 200 MB file, where a `fsync` each cost more than the packaging itself) get one
/// `syncfs` of the filesystem instead.
pub(crate) fn durable<'a>(
    dir: &std::path::Path,
    files: impl IntoIterator<Item = &'a std::path::Path>,
) -> std::io::Result<()> {
    let files: Vec<&std::path::Path> = files.into_iter().collect();
    if files.len() > FSYNC_AT_MOST {
        return sync_filesystem(dir);
    }
    let mut dirs = std::collections::BTreeSet::new();
    for file in &files {
        std::fs::File::open(file)?.sync_all()?;
        if let Some(parent) = file.parent() {
            dirs.insert(parent.to_path_buf());
        }
    }
    for parent in dirs {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Flushes everything written under `dir`: on Linux one `syncfs`.
fn sync_filesystem(dir: &std::path::Path) -> std::io::Result<()> {
    let handle = std::fs::File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `handle` is an open descriptor for the duration of the call.
        if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        fn walk(dir: &std::path::Path) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    walk(&entry.path())?;
                } else {
                    std::fs::File::open(entry.path())?.sync_all()?;
                }
            }
            Ok(())
        }
        walk(dir)?;
        handle.sync_all()
    }
}

#[cfg(test)]
mod tests;
