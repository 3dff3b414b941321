//! Fragmented MP4 for HLS, from the samples of an ordinary MP4, without re-encoding: an init
//! segment (`ftyp` + `moov` with the original track headers and sample descriptions, empty
//! sample tables and `mvex`/`trex`) and media segments (`moof` with one `traf` per track,
//! each `tfhd` + `tfdt` + `trun`s, then one `mdat`).
//!
//! A segment's `mdat` is either its samples copied back to back ([`write_segment`]) or, when
//! they lie close together in the source, the source's bytes from the first to the last of
//! them unchanged ([`referencing_head`]): then only the head (`moof` and `mdat` header) is
//! written, one `trun` per stretch of a track's samples points into those bytes, and the
//! segment is served as the head followed by that range of the source, with no copy.
//!
//! Audio is muxed into the video's segments (one `traf` each) rather than offered as a
//! separate rendition: the built-in path has exactly one audio and one video stream, so a
//! player makes one request per segment instead of two, audio is cut at the video's segment
//! times (no drift between two playlists), and the playlist stays a single variant. A ladder
//! with several video sizes is where a shared audio rendition pays; that is ffmpeg's path.
//!
//! Memory per segment is its sample table and one 1 MiB copy buffer.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;

use super::boxes::{self, boxed, full_box};
use super::tracks::{Track, TrackSample};
use crate::MediaError;

/// `trun` flags: data offset, then per sample duration, size, flags, composition offset.
const TRUN_VIDEO: u32 = 0x01 | 0x100 | 0x200 | 0x400 | 0x800;
/// `trun` flags for audio: every sample is a sync sample (the `trex` default).
const TRUN_AUDIO: u32 = 0x01 | 0x100 | 0x200;
/// `tfhd` flag: offsets are relative to the `moof`.
const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
const SYNC_SAMPLE: u32 = 0x0200_0000;
/// Depends on others, and not a sync sample.
const NON_SYNC_SAMPLE: u32 = 0x0101_0000;
/// Largest read while copying samples, and the output buffer's size.
const COPY_BLOCK: usize = 1 << 20;

/// The init segment for `tracks`, copying `mvhd` from the original `moov` payload.
pub(crate) fn init_segment(moov_payload: &[u8], tracks: &[&Track<'_>]) -> Vec<u8> {
    let ftyp = boxed(b"ftyp", b"iso6\0\0\0\0iso6mp41");
    let mut moov = boxes::find(moov_payload, b"mvhd")
        .map(|c| c.whole.to_vec())
        .unwrap_or_default();
    for track in tracks {
        moov.extend(init_trak(track));
    }
    let trex: Vec<u8> = tracks
        .iter()
        .flat_map(|t| full_box(b"trex", 0, 0, &words(&[t.id, 1, 0, 0, 0])))
        .collect();
    moov.extend(boxed(b"mvex", &trex));
    [ftyp, boxed(b"moov", &moov)].concat()
}

fn init_trak(track: &Track<'_>) -> Vec<u8> {
    let copy = |payload: &[u8], kind: &[u8; 4]| {
        boxes::find(payload, kind)
            .map(|c| c.whole.to_vec())
            .unwrap_or_default()
    };
    let trak = track.trak.payload;
    let mdia = boxes::find(trak, b"mdia").map_or(&[][..], |c| c.payload);
    let minf = boxes::find(mdia, b"minf").map_or(&[][..], |c| c.payload);
    let stbl = [
        track.stsd().unwrap_or_default().to_vec(),
        full_box(b"stts", 0, 0, &words(&[0])),
        full_box(b"stsc", 0, 0, &words(&[0])),
        full_box(b"stsz", 0, 0, &words(&[0, 0])),
        full_box(b"stco", 0, 0, &words(&[0])),
    ]
    .concat();
    let minf = [
        copy(minf, b"vmhd"),
        copy(minf, b"smhd"),
        copy(minf, b"dinf"),
        boxed(b"stbl", &stbl),
    ]
    .concat();
    let mdia = [
        copy(mdia, b"mdhd"),
        copy(mdia, b"hdlr"),
        boxed(b"minf", &minf),
    ]
    .concat();
    // The edit list carries the B-frame delay exactly as in the original.
    let trak = [
        copy(trak, b"tkhd"),
        copy(trak, b"edts"),
        boxed(b"mdia", &mdia),
    ]
    .concat();
    boxed(b"trak", &trak)
}

/// One track's share of a segment.
pub(crate) struct Run<'a> {
    pub track: &'a Track<'a>,
    pub samples: Range<usize>,
    /// Decode time of the first sample, in track ticks.
    pub base_decode: u64,
}

impl Run<'_> {
    fn samples(&self) -> &[TrackSample] {
        &self.track.samples[self.samples.clone()]
    }

    fn bytes(&self) -> u64 {
        self.samples().iter().map(|s| u64::from(s.size)).sum()
    }
}

/// Where one `trun`'s samples are: a stretch of a run's samples (indices into
/// [`Run::samples`]) and the offset of the first one's bytes from the start of the `moof`.
type TrunPlace = (Range<usize>, u64);

/// Writes media segment `sequence` (from 1) holding `runs` to `out`, each run's samples copied
/// into the `mdat` back to back; returns its size.
pub(crate) fn write_segment(
    source: &File,
    out: File,
    sequence: u32,
    runs: &[Run<'_>],
) -> Result<u64, MediaError> {
    let payload: u64 = runs.iter().map(Run::bytes).sum();
    let mdat_header = boxes::header(b"mdat", payload);
    let places = |data_start: u64| -> Vec<Vec<TrunPlace>> {
        let mut offset = data_start;
        runs.iter()
            .map(|run| {
                let place = (0..run.samples.len(), offset);
                offset += run.bytes();
                vec![place]
            })
            .collect()
    };
    let moof = measured_moof(
        sequence,
        runs,
        mdat_header.len() as u64 + payload,
        |start| places(start + mdat_header.len() as u64),
    )?;
    let mut writer = BufWriter::with_capacity(COPY_BLOCK, out);
    writer.write_all(&moof)?;
    writer.write_all(&mdat_header)?;
    let mut buffer = Vec::new();
    for run in runs {
        copy_samples(source, &mut writer, run.samples(), &mut buffer)?;
    }
    // Not synced here: the caller makes the whole directory durable once (`durable`).
    writer.into_inner().map_err(|e| e.into_error())?;
    Ok(moof.len() as u64 + mdat_header.len() as u64 + payload)
}

/// A segment's `moof` and `mdat` header, and the range of the source its media data is.
pub(crate) type SegmentHead = (Vec<u8>, Range<u64>);

/// The head of media segment `sequence` whose `mdat` is the source's bytes in the returned
/// range, unchanged: its `moof` (one `trun` per stretch of a track's samples that lie back to
/// back in the source) and the `mdat` header. The segment is the head followed by those
/// bytes, so it need not be copied: it can be served from the source. `None` when the
/// segment's samples are not close together in the source (more than a quarter of the range,
/// plus 64 KiB, would be other data), as in a file that stores all its audio after its video.
pub(crate) fn referencing_head(
    sequence: u32,
    runs: &[Run<'_>],
) -> Result<Option<SegmentHead>, MediaError> {
    let samples = || runs.iter().flat_map(|run| run.samples());
    let (Some(start), Some(end)) = (
        samples().map(|s| s.offset).min(),
        samples().map(|s| s.offset + u64::from(s.size)).max(),
    ) else {
        return Ok(None);
    };
    let payload: u64 = runs.iter().map(Run::bytes).sum();
    if end - start > payload + payload / 4 + (64 << 10) {
        return Ok(None);
    }
    let mdat_header = boxes::header(b"mdat", end - start);
    let stretches: Vec<Vec<(Range<usize>, u64)>> =
        runs.iter().map(|run| stretches(run.samples())).collect();
    let moof = measured_moof(
        sequence,
        runs,
        mdat_header.len() as u64 + (end - start),
        |at| {
            let data_start = at + mdat_header.len() as u64;
            stretches
                .iter()
                .map(|run| {
                    run.iter()
                        .map(|(samples, offset)| (samples.clone(), data_start + offset - start))
                        .collect()
                })
                .collect()
        },
    )?;
    Ok(Some(([moof, mdat_header].concat(), start..end)))
}

/// A run's samples as stretches lying back to back in the source: their indices and the
/// source offset of the first one.
fn stretches(samples: &[TrackSample]) -> Vec<(Range<usize>, u64)> {
    let mut stretches: Vec<(Range<usize>, u64)> = Vec::new();
    let mut next = None;
    for (index, sample) in samples.iter().enumerate() {
        match stretches.last_mut() {
            Some((range, _)) if next == Some(sample.offset) => range.end = index + 1,
            _ => stretches.push((index..index + 1, sample.offset)),
        }
        next = Some(sample.offset + u64::from(sample.size));
    }
    stretches
}

/// The `moof` for `runs`, given where their samples lie for a `moof` of a given length
/// (`places(moof_len)`). Its size does not depend on the offsets in it: measured, then made
/// for real. `after` is what follows it (the `mdat`), to refuse segments past 2 GiB, whose
/// offsets would not fit.
fn measured_moof(
    sequence: u32,
    runs: &[Run<'_>],
    after: u64,
    places: impl Fn(u64) -> Vec<Vec<TrunPlace>>,
) -> Result<Vec<u8>, MediaError> {
    let measured = moof(sequence, runs, &places(0)).len() as u64;
    if measured + after > i32::MAX as u64 {
        return Err(MediaError::LimitExceeded(
            "an HLS segment (one GOP) would exceed 2 GiB".into(),
        ));
    }
    let moof = moof(sequence, runs, &places(measured));
    if moof.len() as u64 != measured {
        return Err(MediaError::Corrupt("moof size changed".into()));
    }
    Ok(moof)
}

fn moof(sequence: u32, runs: &[Run<'_>], places: &[Vec<TrunPlace>]) -> Vec<u8> {
    let mut body = full_box(b"mfhd", 0, 0, &words(&[sequence]));
    for (run, places) in runs.iter().zip(places) {
        body.extend(traf(run, places));
    }
    boxed(b"moof", &body)
}

fn traf(run: &Run<'_>, places: &[TrunPlace]) -> Vec<u8> {
    let video = &run.track.handler == b"vide";
    let (version, flags) = if video {
        (1, TRUN_VIDEO)
    } else {
        (0, TRUN_AUDIO)
    };
    let mut body = [
        full_box(b"tfhd", 0, DEFAULT_BASE_IS_MOOF, &words(&[run.track.id])),
        full_box(b"tfdt", 1, 0, &run.base_decode.to_be_bytes()),
    ]
    .concat();
    for (samples, data_offset) in places {
        let samples = &run.samples()[samples.clone()];
        let mut trun = words(&[samples.len() as u32]);
        // `measured_moof` refused segments past 2 GiB, so the offset fits.
        trun.extend((i32::try_from(*data_offset).unwrap_or(i32::MAX)).to_be_bytes());
        for sample in samples {
            trun.extend(sample.duration.to_be_bytes());
            trun.extend(sample.size.to_be_bytes());
            if video {
                let flags = if sample.sync {
                    SYNC_SAMPLE
                } else {
                    NON_SYNC_SAMPLE
                };
                trun.extend(flags.to_be_bytes());
                trun.extend(sample.composition_offset.to_be_bytes());
            }
        }
        body.extend(full_box(b"trun", version, flags, &trun));
    }
    boxed(b"traf", &body)
}

/// Copies the samples' bytes in order, one positioned read per contiguous stretch of the
/// source, through one reused buffer of at most [`COPY_BLOCK`] bytes (segments interleave
/// audio and video in stretches of a few hundred KB; going through the kernel's
/// copy_file_range per stretch would flush the writer each time).
fn copy_samples(
    source: &File,
    out: &mut impl Write,
    samples: &[TrackSample],
    buffer: &mut Vec<u8>,
) -> Result<(), MediaError> {
    let mut copy = |(mut at, mut left): (u64, u64)| -> Result<(), MediaError> {
        while left > 0 {
            let block = left.min(COPY_BLOCK as u64) as usize;
            buffer.resize(block, 0);
            source
                .read_exact_at(buffer, at)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => {
                        MediaError::Corrupt("the file ends inside a sample".into())
                    }
                    _ => MediaError::Io(e),
                })?;
            out.write_all(buffer)?;
            at += block as u64;
            left -= block as u64;
        }
        Ok(())
    };
    for (indices, offset) in stretches(samples) {
        let length = samples[indices].iter().map(|s| u64::from(s.size)).sum();
        copy((offset, length))?;
    }
    Ok(())
}

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}
