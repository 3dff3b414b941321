//! Checks the raw `moov` bytes before `mp4parse` sees them, because mp4parse trusts counts:
//! it reserves `entry_count` elements for every sample table and `create_sample_table`
//! allocates ~56 bytes per sample that `stsc` × `stco` imply, so an 18 kB file claiming 10⁷
//! samples cost half a gigabyte before it was refused. This scan allocates nothing that
//! depends on the input (a fixed-size path stack, recursion bounded by [`MAX_DEPTH`]) and
//! answers in one pass over the bytes:
//!
//! - every box that mp4parse reads fits inside its parent (a 4 GB size claim inside `moov`
//!   is refused here, not skipped): mp4parse reserves a box's *claimed* size when it reads
//!   it, so the walk follows mp4parse's own descent (the track and sample tables, the sample
//!   entries and their `avcC`/`esds`/`sinf`, `udta`/`meta`/`ilst` data), and container boxes
//!   nest at most [`MAX_DEPTH`] deep;
//! - every counted table (`stsd`, `stts`, `ctts`, `stsc`, `stsz`, `stco`, `co64`, `stss`,
//!   `elst`, `pssh` key ids) has room in its box for the entries it claims;
//! - for video tracks, the samples that `stsc`/`stco` imply are no more than `stsz` lists,
//!   their sizes add up to no more than the file, and there are at most
//!   [`MAX_VIDEO_SAMPLES`].
//!
//! It also reads the few numbers mp4parse does not expose (the `mvhd` duration, the video
//! track's total `stts` duration) for the duration checks. It does not interpret codecs,
//! sample entries, or anything outside the boxes listed above, and it does not replace
//! mp4parse's own validation: a file that passes can still be refused later.

use crate::MediaError;

/// moov is depth 0; real files reach about 6 (moov/udta/meta/ilst/…/data).
pub(crate) const MAX_DEPTH: usize = 16;
/// Real files have a handful of tracks; mp4parse keeps a few hundred bytes per `trak`, so
/// thousands of empty ones would amplify a small moov into a large allocation.
const MAX_TRACKS: usize = 64;
/// Real files have one sample description per track, rarely a few.
const MAX_SAMPLE_DESCRIPTIONS: u32 = 16;
/// The most samples a video track may have. A 1-hour video at 240 fps (phone slow motion)
/// has 864 000. Building the sample table costs ~90 bytes per sample (mp4parse's table and
/// sort index plus our own), so this bounds that memory at ~90 MB for a file that really
/// has this many samples; a small file cannot get near it because of the size checks.
pub(crate) const MAX_VIDEO_SAMPLES: u64 = 1_000_000;

/// Boxes that contain only boxes, which the scan descends into wherever they are.
const CONTAINERS: [&[u8; 4]; 13] = [
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"udta", b"tref",
    b"sinf", b"schi", b"wave",
];

const MOOV: &[u8; 4] = b"moov";
const TRAK: &[u8; 4] = b"trak";
const MDIA: &[u8; 4] = b"mdia";
const UDTA: &[u8; 4] = b"udta";
const META: &[u8; 4] = b"meta";
const ILST: &[u8; 4] = b"ilst";
const STBL_PATH: [&[u8; 4]; 5] = [MOOV, TRAK, MDIA, b"minf", b"stbl"];
const STSD_PATH: [&[u8; 4]; 6] = [MOOV, TRAK, MDIA, b"minf", b"stbl", b"stsd"];
/// Containers whose children mp4parse reads (and reserves memory for): every child must fit.
const STRICT_PATHS: [&[&[u8; 4]]; 9] = [
    &[MOOV],
    &[MOOV, TRAK],
    &[MOOV, TRAK, b"edts"],
    &[MOOV, TRAK, b"tref"],
    &[MOOV, TRAK, MDIA],
    &[MOOV, TRAK, MDIA, b"minf"],
    &STBL_PATH,
    &[MOOV, b"mvex"],
    &[MOOV, UDTA, META, ILST],
];

/// Which children of a box must fit inside it.
#[derive(Debug, Clone, Copy)]
enum Fit {
    /// All of them: a child that overruns its parent is `Corrupt`.
    All,
    /// Only children of this type (the one mp4parse reads); an overrun of another type ends
    /// the walk of the parent, as it ends mp4parse's. Vendor `udta` data is often sloppy.
    Only([u8; 4]),
    /// None: an overrun ends the walk (boxes mp4parse skips, walked only for the depth limit).
    Lenient,
}

/// What the scan learned that mp4parse does not report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MoovFacts {
    /// `mvhd` timescale and duration; the duration is `None` when unknown (all ones).
    pub movie_timescale: u32,
    pub movie_duration: Option<u64>,
    /// The first video track's sample-table facts (the track the pipeline uses).
    pub video: Option<VideoTableFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VideoTableFacts {
    /// `mdhd` timescale (0 when missing).
    pub timescale: u32,
    /// Sum of the `stts` sample deltas, in track ticks: how long the samples really last.
    pub stts_duration: u64,
    /// Samples listed in `stsz`.
    pub sample_count: u64,
}

/// Scans a whole `moov` box (header included). `Corrupt` when a box or table claims more
/// than its bytes hold or than the file could contain; `LimitExceeded` for a video track
/// with more than [`MAX_VIDEO_SAMPLES`] samples.
pub(crate) fn scan_moov(moov: &[u8], file_len: u64) -> Result<MoovFacts, MediaError> {
    let mut children = Children::new(moov, Fit::All);
    let Some(root) = children.next().transpose()? else {
        return Err(corrupt("the moov box is empty"));
    };
    if &root.kind != b"moov" {
        return Err(corrupt("expected a moov box"));
    }
    let mut scan = Scan {
        file_len,
        path: [[0; 4]; MAX_DEPTH + 1],
        depth: 0,
        facts: MoovFacts::default(),
        tracks: 0,
        track: None,
    };
    scan.path[0] = *b"moov";
    scan.walk(root.payload)?;
    Ok(scan.facts)
}

fn corrupt(what: impl Into<String>) -> MediaError {
    MediaError::Corrupt(what.into())
}

struct Scan<'a> {
    file_len: u64,
    /// Box types from moov down to the box being walked; `path[..=depth]` is valid.
    path: [[u8; 4]; MAX_DEPTH + 1],
    depth: usize,
    facts: MoovFacts,
    tracks: usize,
    /// The `trak` being walked.
    track: Option<TrackTables<'a>>,
}

/// The tables of one track, as slices of the moov: kept only until the track ends.
#[derive(Default)]
struct TrackTables<'a> {
    handler: Option<[u8; 4]>,
    timescale: u32,
    /// `stsc` entries (12 bytes each), count already checked against the box.
    stsc: Option<&'a [u8]>,
    chunk_count: Option<u32>,
    stsz: Option<SampleSizes>,
    stts_duration: Option<u64>,
}

#[derive(Clone, Copy)]
struct SampleSizes {
    count: u32,
    /// Sum of all sample sizes in bytes (saturating).
    total_bytes: u64,
}

impl<'a> Scan<'a> {
    /// Whether the box being walked is at exactly `path`.
    fn at(&self, path: &[&[u8; 4]]) -> bool {
        self.depth + 1 == path.len() && self.within(path)
    }

    /// Whether the box being walked is at `path` or below it.
    fn within(&self, path: &[&[u8; 4]]) -> bool {
        self.depth + 1 >= path.len() && path.iter().zip(&self.path).all(|(a, b)| *a == b)
    }

    /// How strictly the children of the box being walked must fit it: as strictly as
    /// mp4parse trusts them.
    fn fit(&self) -> Fit {
        if STRICT_PATHS.iter().any(|path| self.at(path)) || self.within(&STSD_PATH) {
            Fit::All
        } else if self.at(&[MOOV, UDTA]) {
            Fit::Only(*META)
        } else if self.at(&[MOOV, UDTA, META]) {
            Fit::Only(*ILST)
        } else if self.depth == 4 && self.within(&[MOOV, UDTA, META, ILST]) {
            // An ilst item: mp4parse reads its `data` boxes.
            Fit::Only(*b"data")
        } else {
            Fit::Lenient
        }
    }

    /// Walks the children of the box at `path[depth]`, whose payload is `payload`.
    fn walk(&mut self, payload: &'a [u8]) -> Result<(), MediaError> {
        for child in Children::new(payload, self.fit()) {
            let child = child?;
            self.visit(child)?;
        }
        Ok(())
    }

    fn visit(&mut self, child: BoxRef<'a>) -> Result<(), MediaError> {
        let kind = child.kind;
        let body = child.payload;

        if self.at(&[MOOV]) {
            match &kind {
                b"mvhd" => {
                    let (timescale, duration) = header_time(body, "mvhd")?;
                    self.facts.movie_timescale = timescale;
                    self.facts.movie_duration = duration;
                }
                b"pssh" => check_pssh(body)?,
                b"trak" => {
                    self.tracks += 1;
                    if self.tracks > MAX_TRACKS {
                        return Err(corrupt(format!("more than {MAX_TRACKS} tracks")));
                    }
                    self.track = Some(TrackTables::default());
                    self.descend(kind, body)?;
                    let track = self.track.take().unwrap_or_default();
                    return self.finish_track(track);
                }
                _ => {}
            }
        } else if self.at(&[MOOV, TRAK, MDIA]) {
            if let Some(track) = self.track.as_mut() {
                match &kind {
                    b"hdlr" => {
                        // Full box header, pre_defined, then the handler type.
                        track.handler = body.get(8..12).and_then(|h| h.try_into().ok());
                    }
                    b"mdhd" => track.timescale = header_time(body, "mdhd")?.0,
                    _ => {}
                }
            }
        } else if self.at(&[MOOV, TRAK, b"edts"]) && &kind == b"elst" {
            let version = *body.first().ok_or_else(|| corrupt("empty elst"))?;
            check_count(body, "elst", 4, if version == 1 { 20 } else { 12 })?;
        } else if self.at(&STBL_PATH) {
            self.table(kind, body)?;
        }

        // Where the children start, for the boxes mp4parse reads children of that are not
        // plain containers.
        let children_at = if self.at(&STBL_PATH) && &kind == b"stsd" {
            Some(8) // version/flags, entry count
        } else if self.at(&STSD_PATH) {
            self.sample_entry_fields(body)
        } else if self.at(&[MOOV, UDTA]) && &kind == META {
            Some(4) // version/flags
        } else if self.at(&[MOOV, UDTA, META]) && &kind == ILST
            || self.at(&[MOOV, UDTA, META, ILST])
            || CONTAINERS.contains(&&kind)
        {
            Some(0)
        } else {
            None
        };
        if let Some(children) = children_at.and_then(|at| body.get(at..)) {
            self.descend(kind, children)?;
        }
        Ok(())
    }

    /// The length of a sample entry's fixed fields, after which come its child boxes, as
    /// mp4parse reads them for this track's handler; `None` when mp4parse reads no children.
    fn sample_entry_fields(&self, entry: &[u8]) -> Option<usize> {
        match &self.track.as_ref()?.handler? {
            b"vide" | b"pict" | b"auxv" => Some(78),
            // QuickTime sound description versions 0, 1 and 2.
            b"soun" => match entry.get(8..10).map(|v| u16::from_be_bytes([v[0], v[1]])) {
                Some(0) => Some(28),
                Some(1) => Some(44),
                Some(2) => Some(64),
                _ => None,
            },
            _ => None,
        }
    }

    fn descend(&mut self, kind: [u8; 4], body: &'a [u8]) -> Result<(), MediaError> {
        if self.depth + 1 > MAX_DEPTH {
            return Err(corrupt(format!(
                "boxes are nested more than {MAX_DEPTH} deep"
            )));
        }
        self.depth += 1;
        self.path[self.depth] = kind;
        let result = self.walk(body);
        self.depth -= 1;
        result
    }

    /// One box inside `stbl`: checks its entry count against its size and remembers what
    /// the track-level checks need.
    fn table(&mut self, kind: [u8; 4], body: &'a [u8]) -> Result<(), MediaError> {
        let Some(track) = self.track.as_mut() else {
            return Ok(());
        };
        let duplicate = || corrupt(format!("duplicate {} box", String::from_utf8_lossy(&kind)));
        match &kind {
            b"stsd" => {
                // Each sample entry is a box of at least 8 bytes.
                let count = check_count(body, "stsd", 4, 8)?;
                if count > MAX_SAMPLE_DESCRIPTIONS {
                    return Err(corrupt(format!("stsd claims {count} sample descriptions")));
                }
            }
            b"stts" => {
                let count = check_count(body, "stts", 4, 8)?;
                if track.stts_duration.is_some() {
                    return Err(duplicate());
                }
                let entries = entries(body, 8, count, 8);
                let duration = entries.fold(0u64, |sum, e| {
                    sum.saturating_add(u64::from(be32(e, 0)) * u64::from(be32(e, 4)))
                });
                track.stts_duration = Some(duration);
            }
            b"ctts" => {
                check_count(body, "ctts", 4, 8)?;
            }
            b"stss" => {
                check_count(body, "stss", 4, 4)?;
            }
            b"stsc" => {
                let count = check_count(body, "stsc", 4, 12)?;
                if track.stsc.is_some() {
                    return Err(duplicate());
                }
                track.stsc = Some(&body[8..8 + count as usize * 12]);
            }
            b"stco" | b"co64" => {
                let width = if &kind == b"stco" { 4 } else { 8 };
                let count = check_count(body, "stco/co64", 4, width)?;
                if track.chunk_count.is_some() {
                    return Err(duplicate());
                }
                track.chunk_count = Some(count);
            }
            b"stsz" => {
                if track.stsz.is_some() {
                    return Err(duplicate());
                }
                let sample_size = body
                    .get(4..8)
                    .map(|b| be32(b, 0))
                    .ok_or_else(|| corrupt("stsz box is too short"))?;
                let sizes = if sample_size == 0 {
                    let count = check_count(body, "stsz", 8, 4)?;
                    let total_bytes = entries(body, 12, count, 4)
                        .fold(0u64, |sum, e| sum.saturating_add(u64::from(be32(e, 0))));
                    SampleSizes { count, total_bytes }
                } else {
                    let count = body
                        .get(8..12)
                        .map(|b| be32(b, 0))
                        .ok_or_else(|| corrupt("stsz box is too short"))?;
                    SampleSizes {
                        count,
                        total_bytes: u64::from(count) * u64::from(sample_size),
                    }
                };
                track.stsz = Some(sizes);
            }
            _ => {}
        }
        Ok(())
    }

    /// The per-track checks, once all its tables are known. Only video tracks get the
    /// sample-count checks: the pipeline builds a sample table for video only, and audio
    /// tracks legitimately have millions of samples (uncompressed PCM in MOV has one per
    /// audio frame).
    fn finish_track(&mut self, track: TrackTables<'a>) -> Result<(), MediaError> {
        if track.handler != Some(*b"vide") {
            return Ok(());
        }
        if let (Some(stsc), Some(chunks), Some(sizes)) = (track.stsc, track.chunk_count, track.stsz)
        {
            let implied = implied_sample_count(stsc, chunks);
            if implied > u64::from(sizes.count) {
                return Err(corrupt(format!(
                    "the video sample tables claim {implied} samples but stsz lists {}",
                    sizes.count
                )));
            }
            if sizes.total_bytes > self.file_len {
                return Err(corrupt(format!(
                    "the video samples add up to {} bytes but the file has {}",
                    sizes.total_bytes, self.file_len
                )));
            }
            if u64::from(sizes.count) > MAX_VIDEO_SAMPLES {
                return Err(MediaError::LimitExceeded(format!(
                    "the video has {} samples; at most {MAX_VIDEO_SAMPLES} are accepted",
                    sizes.count
                )));
            }
        }
        if self.facts.video.is_none() {
            self.facts.video = Some(VideoTableFacts {
                timescale: track.timescale,
                stts_duration: track.stts_duration.unwrap_or(0),
                sample_count: track.stsz.map_or(0, |s| u64::from(s.count)),
            });
        }
        Ok(())
    }
}

/// How many samples `create_sample_table` will allocate for these `stsc` entries and
/// `chunks` chunk offsets: the same walk as mp4parse's `SampleToChunkIterator`, done with
/// arithmetic per run of chunks instead of per chunk. Saturates rather than overflowing.
fn implied_sample_count(stsc: &[u8], chunks: u32) -> u64 {
    let entry = |i: usize| {
        stsc.get(i * 12..i * 12 + 8)
            .map(|e| (be32(e, 0), be32(e, 4)))
    };
    let mut remaining = chunks;
    let mut total = 0u64;
    let mut i = 0usize;
    while let Some((first_chunk, samples_per_chunk)) = entry(i) {
        i += 1;
        let run = match entry(i) {
            // Repeated first_chunk: mp4parse skips the earlier entry.
            Some((next_first, _)) if next_first == first_chunk => continue,
            Some((next_first, _)) if first_chunk > 0 && next_first > 0 => {
                next_first.saturating_sub(first_chunk)
            }
            // The last entry covers the remaining chunks (none if the chunk ids overflow).
            None if first_chunk > 0 && first_chunk.checked_add(remaining).is_some() => remaining,
            _ => 0,
        };
        // mp4parse stops at an empty run or one longer than the chunks that are left.
        if run == 0 || run > remaining {
            break;
        }
        remaining -= run;
        total = total.saturating_add(u64::from(run) * u64::from(samples_per_chunk));
    }
    total
}

/// Reads the entry count at `count_at` (after the version/flags word and any fixed
/// fields) and checks that `count` entries of `entry_len` bytes fit in `body`.
fn check_count(
    body: &[u8],
    what: &str,
    count_at: usize,
    entry_len: u64,
) -> Result<u32, MediaError> {
    let count = body
        .get(count_at..count_at + 4)
        .map(|b| be32(b, 0))
        .ok_or_else(|| corrupt(format!("{what} box is too short")))?;
    let room = (body.len() - (count_at + 4)) as u64;
    if u64::from(count) * entry_len > room {
        return Err(corrupt(format!(
            "{what} claims {count} entries but its box holds {room} bytes"
        )));
    }
    Ok(count)
}

/// `count` fixed-size entries starting at `start` (already checked to fit).
fn entries(body: &[u8], start: usize, count: u32, len: usize) -> impl Iterator<Item = &[u8]> {
    body[start..].chunks_exact(len).take(count as usize)
}

/// `pssh`: version 1 lists key ids of 16 bytes each after the system id; then comes a data
/// size, which mp4parse reserves before reading.
fn check_pssh(body: &[u8]) -> Result<(), MediaError> {
    let mut data_at = 20;
    if body.first().copied().unwrap_or(0) > 0 {
        data_at = 24 + check_count(body, "pssh", 20, 16)? as usize * 16;
    }
    if let Some(size) = body.get(data_at..data_at + 4).map(|b| be32(b, 0)) {
        let room = body.len() - (data_at + 4);
        if size as usize > room {
            return Err(corrupt(format!(
                "pssh claims {size} bytes of data but its box holds {room}"
            )));
        }
    }
    Ok(())
}

/// (timescale, duration) of an `mvhd` or `mdhd` payload; the duration is `None` when all
/// ones ("unknown").
fn header_time(body: &[u8], what: &str) -> Result<(u32, Option<u64>), MediaError> {
    let short = || corrupt(format!("{what} box is too short"));
    let (timescale, duration) = match body.first() {
        Some(1) => {
            let b = body.get(20..32).ok_or_else(short)?;
            let duration = u64::from_be_bytes(b[4..12].try_into().unwrap_or_default());
            (be32(b, 0), (duration != u64::MAX).then_some(duration))
        }
        Some(_) => {
            let b = body.get(12..20).ok_or_else(short)?;
            let duration = be32(b, 4);
            (
                be32(b, 0),
                (duration != u32::MAX).then_some(u64::from(duration)),
            )
        }
        None => return Err(short()),
    };
    Ok((timescale, duration))
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(b) = bytes.get(at..at + 4) {
        word.copy_from_slice(b);
    }
    u32::from_be_bytes(word)
}

struct BoxRef<'a> {
    kind: [u8; 4],
    payload: &'a [u8],
}

/// The boxes inside a payload. Fewer than 8 trailing bytes are padding. A size of 0 means
/// "to the end of the parent". A box that claims more than its parent holds is `Corrupt`
/// when `fit` requires it to fit, and otherwise ends the iteration.
struct Children<'a> {
    rest: &'a [u8],
    fit: Fit,
}

impl<'a> Children<'a> {
    fn new(payload: &'a [u8], fit: Fit) -> Self {
        Self { rest: payload, fit }
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<BoxRef<'a>, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        if rest.len() < 8 {
            return None;
        }
        let kind: [u8; 4] = [rest[4], rest[5], rest[6], rest[7]];
        let (size, header) = match be32(rest, 0) {
            0 => (rest.len() as u64, 8),
            1 => match rest.get(8..16) {
                Some(b) => (u64::from_be_bytes(b.try_into().unwrap_or_default()), 16),
                None => (u64::MAX, 16),
            },
            n => (u64::from(n), 8),
        };
        if size < header || size > rest.len() as u64 {
            self.rest = &[];
            let must_fit = match self.fit {
                Fit::All => true,
                Fit::Only(only) => only == kind,
                Fit::Lenient => false,
            };
            if !must_fit {
                return None;
            }
            return Some(Err(corrupt(format!(
                "the {} box claims {size} bytes but its parent has {} left",
                String::from_utf8_lossy(&kind),
                rest.len()
            ))));
        }
        let size = size as usize;
        self.rest = &rest[size..];
        Some(Ok(BoxRef {
            kind,
            payload: &rest[header as usize..size],
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn words(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// A moov with one video track whose stbl holds `tables`.
    fn moov_with_stbl(tables: &[Vec<u8>]) -> Vec<u8> {
        let stbl = boxed(b"stbl", &tables.concat());
        let hdlr = boxed(
            b"hdlr",
            &[words(&[0, 0]), b"vide".to_vec(), vec![0; 12]].concat(),
        );
        let mdhd = boxed(b"mdhd", &words(&[0, 0, 0, 1000, 5000, 0]));
        let minf = boxed(b"minf", &stbl);
        let mdia = boxed(b"mdia", &[mdhd, hdlr, minf].concat());
        let trak = boxed(b"trak", &mdia);
        let mvhd = boxed(
            b"mvhd",
            &[words(&[0, 0, 0, 600, 3000]), vec![0; 80]].concat(),
        );
        boxed(b"moov", &[mvhd, trak].concat())
    }

    /// Ten 100-byte samples in one chunk, 10 ticks each.
    fn honest_tables() -> Vec<Vec<u8>> {
        vec![
            boxed(b"stts", &words(&[0, 1, 10, 10])),
            boxed(b"stsc", &words(&[0, 1, 1, 10, 1])),
            boxed(b"stsz", &[words(&[0, 0, 10]), words(&[100; 10])].concat()),
            boxed(b"stco", &words(&[0, 1, 48])),
        ]
    }

    #[test]
    fn an_honest_moov_passes_and_reports_its_durations() {
        let facts = scan_moov(&moov_with_stbl(&honest_tables()), 10_000).unwrap();
        assert_eq!(facts.movie_timescale, 600);
        assert_eq!(facts.movie_duration, Some(3000));
        assert_eq!(
            facts.video,
            Some(VideoTableFacts {
                timescale: 1000,
                stts_duration: 100,
                sample_count: 10
            })
        );
    }

    fn assert_corrupt(result: Result<MoovFacts, MediaError>, needle: &str) {
        match result {
            Err(MediaError::Corrupt(why)) => assert!(why.contains(needle), "{why}"),
            other => panic!("expected Corrupt({needle}), got {other:?}"),
        }
    }

    #[test]
    fn table_counts_larger_than_their_boxes_are_corrupt() {
        for (index, kind, count_at) in [
            (0, "stts", 4),
            (1, "stsc", 4),
            (2, "stsz", 8),
            (3, "stco", 4),
        ] {
            let mut tables = honest_tables();
            // Payload offset = 8 (box header) + count_at.
            tables[index][8 + count_at..12 + count_at]
                .copy_from_slice(&100_000_000u32.to_be_bytes());
            assert_corrupt(scan_moov(&moov_with_stbl(&tables), 10_000), kind);
        }
    }

    #[test]
    fn an_stsc_that_implies_more_samples_than_stsz_lists_is_corrupt() {
        // 1000 chunks at the same offset, 10 000 samples each: 10^7 samples.
        let mut tables = honest_tables();
        tables[1] = boxed(b"stsc", &words(&[0, 1, 1, 10_000, 1]));
        tables[3] = boxed(b"stco", &[words(&[0, 1000]), words(&[48; 1000])].concat());
        assert_corrupt(
            scan_moov(&moov_with_stbl(&tables), 10_000),
            "claim 10000000 samples",
        );
    }

    #[test]
    fn constant_size_samples_must_fit_in_the_file() {
        let mut tables = honest_tables();
        tables[1] = boxed(b"stsc", &words(&[0, 1, 1, 10_000, 1]));
        tables[2] = boxed(b"stsz", &words(&[0, 1, 10_000_000]));
        tables[3] = boxed(b"stco", &[words(&[0, 1000]), words(&[48; 1000])].concat());
        assert_corrupt(
            scan_moov(&moov_with_stbl(&tables), 18_000),
            "add up to 10000000 bytes",
        );
    }

    #[test]
    fn too_many_real_samples_exceed_the_limit() {
        let mut tables = honest_tables();
        tables[1] = boxed(b"stsc", &words(&[0, 1, 1, 2_000_000, 1]));
        tables[2] = boxed(b"stsz", &words(&[0, 1, 2_000_000]));
        tables[3] = boxed(b"stco", &words(&[0, 1, 48]));
        let result = scan_moov(&moov_with_stbl(&tables), 10_000_000);
        assert!(
            matches!(result, Err(MediaError::LimitExceeded(_))),
            "{result:?}"
        );
    }

    #[test]
    fn implied_count_follows_mp4parse_runs() {
        let stsc = words(&[1, 5, 1, 3, 2, 1]);
        // Chunks 1–2 have 5 samples, chunks 3.. have 2: with 10 chunks, 10 + 8 × 2.
        assert_eq!(implied_sample_count(&stsc, 10), 26);
        // A run longer than the chunks left ends the walk, as in mp4parse.
        assert_eq!(implied_sample_count(&stsc, 1), 0);
        // Duplicate first_chunk entries are skipped; reversed runs end the walk.
        assert_eq!(implied_sample_count(&words(&[1, 7, 1, 1, 4, 1]), 4), 16);
        assert_eq!(implied_sample_count(&words(&[3, 7, 1, 1, 4, 1]), 4), 0);
        assert_eq!(
            implied_sample_count(&words(&[u32::MAX, u32::MAX, 1]), u32::MAX),
            0
        );
        assert_eq!(implied_sample_count(&words(&[1, u32::MAX, 1]), u32::MAX), 0);
        assert_eq!(
            implied_sample_count(&words(&[1, u32::MAX, 1]), u32::MAX - 1),
            u64::from(u32::MAX - 1) * u64::from(u32::MAX)
        );
    }

    #[test]
    fn a_box_claiming_4_gb_inside_moov_is_corrupt() {
        let mut moov = moov_with_stbl(&honest_tables());
        let trak = moov.windows(4).position(|w| w == b"trak").unwrap() - 4;
        moov[trak..trak + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        assert_corrupt(scan_moov(&moov, 10_000), "trak box claims");
        // The same with a 64-bit size on a table.
        let mut tables = honest_tables();
        let stsz = tables.remove(2);
        let mut large = words(&[1]);
        large.extend_from_slice(b"stsz");
        large.extend_from_slice(&(1u64 << 62).to_be_bytes());
        large.extend_from_slice(&stsz[8..]);
        tables.push(large);
        assert_corrupt(
            scan_moov(&moov_with_stbl(&tables), 10_000),
            "stsz box claims",
        );
    }

    fn deeply_nested(depth: usize) -> Vec<u8> {
        // Built inside out in one buffer: each level is an 8-byte header.
        let mut moov = vec![0u8; 8 * (depth + 1)];
        for level in 0..=depth {
            let at = 8 * level;
            let size = (8 * (depth + 1 - level)) as u32;
            moov[at..at + 4].copy_from_slice(&size.to_be_bytes());
            moov[at + 4..at + 8].copy_from_slice(if level == 0 { b"moov" } else { b"udta" });
        }
        moov
    }

    #[test]
    fn nesting_100_000_deep_is_refused_quickly() {
        let moov = deeply_nested(100_000);
        let started = Instant::now();
        assert_corrupt(scan_moov(&moov, 1 << 20), "nested more than");
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(scan_moov(&deeply_nested(MAX_DEPTH), 1 << 20).is_ok());
    }

    #[test]
    fn a_10_8_entry_table_claim_is_answered_quickly() {
        let mut tables = honest_tables();
        tables[0] = boxed(b"stts", &words(&[0, 100_000_000, 1, 1]));
        let moov = moov_with_stbl(&tables);
        let started = Instant::now();
        assert_corrupt(scan_moov(&moov, 10_000), "stts claims 100000000 entries");
        assert!(started.elapsed() < Duration::from_millis(20));
    }

    #[test]
    fn duplicate_tables_and_many_tracks_are_corrupt() {
        let mut tables = honest_tables();
        tables.push(tables[1].clone());
        assert_corrupt(
            scan_moov(&moov_with_stbl(&tables), 10_000),
            "duplicate stsc",
        );
        let trak = boxed(b"trak", &[]);
        let moov = boxed(b"moov", &trak.repeat(MAX_TRACKS + 1));
        assert_corrupt(scan_moov(&moov, 10_000), "tracks");
    }

    #[test]
    fn audio_tracks_may_have_millions_of_samples() {
        // Uncompressed PCM: one 4-byte sample per audio frame.
        let mut moov = moov_with_stbl(&[
            boxed(b"stsc", &words(&[0, 1, 1, 4_800_000, 1])),
            boxed(b"stsz", &words(&[0, 4, 4_800_000])),
            boxed(b"stco", &words(&[0, 1, 48])),
        ]);
        let vide = moov.windows(4).position(|w| w == b"vide").unwrap();
        moov[vide..vide + 4].copy_from_slice(b"soun");
        assert!(scan_moov(&moov, 20_000_000).is_ok());
    }

    /// An stsd with one sample entry: `fields` bytes of fixed fields, then `children`.
    fn stsd(entry: &[u8; 4], fields: Vec<u8>, children: &[u8]) -> Vec<u8> {
        boxed(
            b"stsd",
            &[
                words(&[0, 1]),
                boxed(entry, &[fields, children.to_vec()].concat()),
            ]
            .concat(),
        )
    }

    /// A box header claiming `size` bytes, followed by only `real` bytes.
    fn lying_box(kind: &[u8; 4], size: u32, real: usize) -> Vec<u8> {
        [size.to_be_bytes().to_vec(), kind.to_vec(), vec![1; real]].concat()
    }

    #[test]
    fn a_box_inside_a_sample_entry_must_fit_it() {
        // mp4parse reserves an avcC's claimed size before reading it: 64 MB here.
        let avcc = lying_box(b"avcC", 0x0400_0038, 40);
        let mut tables = honest_tables();
        tables.push(stsd(b"avc1", vec![0; 78], &avcc));
        assert_corrupt(
            scan_moov(&moov_with_stbl(&tables), 10_000),
            "avcC box claims",
        );
        // The honest avcC passes.
        let mut tables = honest_tables();
        tables.push(stsd(b"avc1", vec![0; 78], &boxed(b"avcC", &[1; 40])));
        assert!(scan_moov(&moov_with_stbl(&tables), 10_000).is_ok());
    }

    #[test]
    fn audio_sample_entries_are_walked_by_their_version() {
        for (version, fields) in [(0u16, 28usize), (1, 44), (2, 64)] {
            let mut entry_fields = vec![0; fields];
            entry_fields[8..10].copy_from_slice(&version.to_be_bytes());
            let mut tables = honest_tables();
            tables.push(stsd(
                b"mp4a",
                entry_fields,
                &lying_box(b"esds", 0x7FFF_0000, 30),
            ));
            let mut moov = moov_with_stbl(&tables);
            let vide = moov.windows(4).position(|w| w == b"vide").unwrap();
            moov[vide..vide + 4].copy_from_slice(b"soun");
            assert_corrupt(scan_moov(&moov, 10_000), "esds box claims");
        }
    }

    #[test]
    fn metadata_data_and_pssh_data_must_fit() {
        let item = boxed(b"\xa9nam", &lying_box(b"data", 0x1000_0000, 20));
        let meta = boxed(b"meta", &[words(&[0]), boxed(b"ilst", &item)].concat());
        let mut moov = moov_with_stbl(&honest_tables());
        moov.extend_from_slice(&boxed(b"udta", &meta));
        let len = moov.len() as u32;
        moov[..4].copy_from_slice(&len.to_be_bytes());
        assert_corrupt(scan_moov(&moov, 10_000), "data box claims");

        let pssh = boxed(
            b"pssh",
            &[vec![0; 20], words(&[0x4000_0000]), vec![0; 8]].concat(),
        );
        let mut moov = moov_with_stbl(&honest_tables());
        moov.extend_from_slice(&pssh);
        let len = moov.len() as u32;
        moov[..4].copy_from_slice(&len.to_be_bytes());
        assert_corrupt(scan_moov(&moov, 10_000), "pssh claims");
    }

    #[test]
    fn sloppy_user_data_is_tolerated() {
        let udta = boxed(
            b"udta",
            &[
                boxed(b"\xa9nam", b"title"),
                words(&[0x7FFF_FFFF]),
                b"free".to_vec(),
            ]
            .concat(),
        );
        let mut moov = moov_with_stbl(&honest_tables());
        moov.extend_from_slice(&udta);
        let len = moov.len() as u32;
        moov[..4].copy_from_slice(&len.to_be_bytes());
        assert!(scan_moov(&moov, 10_000).is_ok());
    }
}
