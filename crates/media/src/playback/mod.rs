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

#[cfg(test)]
mod tests;
