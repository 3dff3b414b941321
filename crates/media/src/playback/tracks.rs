//! The tracks of a checked `moov` as the packager needs them: each sample's file offset,
//! size, decode duration, composition offset and sync flag, expanded from the raw tables
//! (`stts`, `ctts`, `stss`, `stsz`, `stsc`, `stco`/`co64`). mp4parse's sample table has no
//! decode durations (the last sample's is lost), hence this reader.
//!
//! Bounded: at most [`MAX_PACKAGED_SAMPLES`] samples per track (24 bytes each), every entry
//! count checked against its box, every sample inside the file and at most 32 MiB. It reads
//! no sample data.

use super::boxes::{self, Child};
use crate::MediaError;

/// More samples than an hour of 60 fps video or 48 kHz AAC.
pub(crate) const MAX_PACKAGED_SAMPLES: usize = 1_000_000;
/// A sample bigger than this is not a real frame.
const MAX_SAMPLE_BYTES: u32 = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackSample {
    pub offset: u64,
    pub size: u32,
    /// Decode duration, in track ticks.
    pub duration: u32,
    /// Presentation minus decode time, in track ticks.
    pub composition_offset: i32,
    pub sync: bool,
}

/// One track of the movie.
#[derive(Debug)]
pub(crate) struct Track<'a> {
    pub id: u32,
    /// `vide`, `soun`, …
    pub handler: [u8; 4],
    /// The first sample entry's type: `avc1`, `mp4a`, …
    pub entry: [u8; 4],
    pub timescale: u32,
    /// The whole `trak` box, for copying its headers into an init segment.
    pub trak: Child<'a>,
    pub samples: Vec<TrackSample>,
}

impl Track<'_> {
    /// The `stsd` box, header included.
    pub(crate) fn stsd(&self) -> Option<&[u8]> {
        self.stbl_child(b"stsd").map(|c| c.whole)
    }

    pub(crate) fn stbl_child(&self, kind: &[u8; 4]) -> Option<Child<'_>> {
        let stbl = boxes::find_path(self.trak.payload, &[b"mdia", b"minf", b"stbl"])?;
        boxes::find(stbl.payload, kind)
    }

    /// The MPEG-4 audio object type of an `mp4a` entry (2 for AAC-LC, 5 for HE-AAC, 29 for
    /// HE-AAC v2), from the `AudioSpecificConfig` in its `esds`; `None` when it is absent or
    /// malformed.
    pub(crate) fn audio_object_type(&self) -> Option<u8> {
        // An audio sample entry has 28 bytes of fixed fields before its boxes; `esds` is a
        // full box (4 bytes of version and flags) holding descriptors.
        let esds = self.sample_entry_child(28, b"esds")?;
        audio_object_type(esds.payload.get(4..)?)
    }

    /// The `avcC` record of an `avc1`/`avc3` entry (without its box header).
    pub(crate) fn avc_config(&self) -> Option<&[u8]> {
        // A visual sample entry has 78 bytes of fixed fields before its boxes.
        self.sample_entry_child(78, b"avcC").map(|c| c.payload)
    }

    /// The `kind` box inside the first sample entry, whose boxes follow `fixed` bytes of
    /// fixed fields.
    fn sample_entry_child(&self, fixed: usize, kind: &[u8; 4]) -> Option<Child<'_>> {
        let stsd = self.stbl_child(b"stsd")?;
        let entry = boxes::children(stsd.payload.get(8..)?).next()?;
        boxes::find(entry.payload.get(fixed..)?, kind)
    }
}

/// The audio object type in an `ES_Descriptor` (ISO 14496-1 §7.2.6.5): its
/// `DecoderConfigDescriptor` (tag 4) for MPEG-4 audio (object type indication 0x40) holds a
/// `DecoderSpecificInfo` (tag 5) whose first 5 bits are the type (31: 6 more bits, plus 32).
fn audio_object_type(descriptors: &[u8]) -> Option<u8> {
    /// A descriptor's tag and payload, and what follows it.
    fn descriptor(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, mut rest) = bytes.split_first()?;
        let mut len = 0usize;
        for _ in 0..4 {
            let (&byte, after) = rest.split_first()?;
            rest = after;
            len = (len << 7) | usize::from(byte & 0x7f);
            if byte & 0x80 == 0 {
                break;
            }
        }
        let payload = rest.get(..len)?;
        Some((tag, payload, &rest[len..]))
    }
    let (tag, es, _) = descriptor(descriptors)?;
    if tag != 3 {
        return None;
    }
    let flags = *es.get(2)?;
    let mut skip = 3;
    if flags & 0x80 != 0 {
        skip += 2; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        skip += 1 + usize::from(*es.get(skip)?); // URL
    }
    if flags & 0x20 != 0 {
        skip += 2; // OCR_ES_Id
    }
    let (tag, config, _) = descriptor(es.get(skip..)?)?;
    if tag != 4 || *config.first()? != 0x40 {
        return None;
    }
    // objectTypeIndication, streamType, bufferSizeDB (3), maxBitrate (4), avgBitrate (4).
    let (tag, specific, _) = descriptor(config.get(13..)?)?;
    if tag != 5 {
        return None;
    }
    let first = *specific.first()?;
    match first >> 3 {
        0 => None,
        31 => {
            let next = *specific.get(1)?;
            Some(32 + (((first & 0x07) << 3) | (next >> 5)))
        }
        object_type => Some(object_type),
    }
}

/// Every track of `moov` (the whole box) whose tables expand cleanly. `file_len` bounds the
/// sample offsets.
pub(crate) fn read_tracks(moov: &[u8], file_len: u64) -> Result<Vec<Track<'_>>, MediaError> {
    let moov = boxes::children(moov)
        .next()
        .ok_or_else(|| corrupt("no moov"))?;
    boxes::children(moov.payload)
        .filter(|c| &c.kind == b"trak")
        .map(|trak| read_track(trak, file_len))
        .collect()
}

fn read_track(trak: Child<'_>, file_len: u64) -> Result<Track<'_>, MediaError> {
    let tkhd = boxes::find(trak.payload, b"tkhd").ok_or_else(|| corrupt("no tkhd"))?;
    let id = match tkhd.payload.first() {
        Some(1) => boxes::be32(tkhd.payload, 20),
        _ => boxes::be32(tkhd.payload, 12),
    };
    let mdia = boxes::find(trak.payload, b"mdia").ok_or_else(|| corrupt("no mdia"))?;
    let mdhd = boxes::find(mdia.payload, b"mdhd").ok_or_else(|| corrupt("no mdhd"))?;
    let timescale = match mdhd.payload.first() {
        Some(1) => boxes::be32(mdhd.payload, 20),
        _ => boxes::be32(mdhd.payload, 12),
    };
    let handler = boxes::find(mdia.payload, b"hdlr")
        .and_then(|h| h.payload.get(8..12))
        .and_then(|h| h.try_into().ok())
        .unwrap_or(*b"    ");
    let stbl =
        boxes::find_path(mdia.payload, &[b"minf", b"stbl"]).ok_or_else(|| corrupt("no stbl"))?;
    let entry = boxes::find(stbl.payload, b"stsd")
        .and_then(|s| s.payload.get(12..16))
        .and_then(|e| e.try_into().ok())
        .unwrap_or(*b"    ");
    if timescale == 0 {
        return Err(corrupt("a track has no timescale"));
    }
    let samples = expand(stbl.payload, file_len)?;
    Ok(Track {
        id,
        handler,
        entry,
        timescale,
        trak,
        samples,
    })
}

/// A table's entries: `width`-byte rows after the full-box header and the count at `count_at`.
fn rows<'a>(
    stbl: &'a [u8],
    kind: &[u8; 4],
    count_at: usize,
    width: usize,
) -> Result<Option<impl Iterator<Item = &'a [u8]>>, MediaError> {
    let Some(table) = boxes::find(stbl, kind) else {
        return Ok(None);
    };
    let count = boxes::be32(table.payload, count_at) as usize;
    let entries = table
        .payload
        .get(count_at + 4..)
        .filter(|e| e.len() / width >= count)
        .ok_or_else(|| {
            corrupt(&format!(
                "{} claims more entries than it holds",
                String::from_utf8_lossy(kind)
            ))
        })?;
    Ok(Some(entries.chunks_exact(width).take(count)))
}

fn expand(stbl: &[u8], file_len: u64) -> Result<Vec<TrackSample>, MediaError> {
    let stsz = boxes::find(stbl, b"stsz").ok_or_else(|| corrupt("no stsz"))?;
    let constant_size = boxes::be32(stsz.payload, 4);
    let count = boxes::be32(stsz.payload, 8) as usize;
    if count > MAX_PACKAGED_SAMPLES {
        return Err(MediaError::LimitExceeded(format!(
            "a track of {count} samples is too long to package"
        )));
    }
    let mut samples = vec![
        TrackSample {
            offset: 0,
            size: constant_size,
            duration: 0,
            composition_offset: 0,
            sync: true,
        };
        count
    ];
    if constant_size == 0
        && let Some(sizes) = rows(stbl, b"stsz", 8, 4)?
    {
        let mut filled = 0;
        for (sample, row) in samples.iter_mut().zip(sizes) {
            sample.size = boxes::be32(row, 0);
            filled += 1;
        }
        if filled != count {
            return Err(corrupt("stsz is shorter than its count"));
        }
    }

    // stts: (count, delta) runs.
    let mut at = 0usize;
    for row in rows(stbl, b"stts", 4, 8)?.ok_or_else(|| corrupt("no stts"))? {
        let (run, delta) = (boxes::be32(row, 0) as usize, boxes::be32(row, 4));
        for sample in samples.iter_mut().skip(at).take(run) {
            sample.duration = delta;
        }
        at = at.saturating_add(run);
    }
    // ctts: (count, offset) runs; version 1 offsets are signed, version 0 are read the same
    // way because writers put negative values there too.
    if let Some(ctts) = rows(stbl, b"ctts", 4, 8)? {
        let mut at = 0usize;
        for row in ctts {
            let (run, offset) = (boxes::be32(row, 0) as usize, boxes::be32(row, 4) as i32);
            for sample in samples.iter_mut().skip(at).take(run) {
                sample.composition_offset = offset;
            }
            at = at.saturating_add(run);
        }
    }
    // stss: the sync samples (1-based); without it, every sample is one.
    if let Some(sync) = rows(stbl, b"stss", 4, 4)? {
        samples.iter_mut().for_each(|s| s.sync = false);
        for row in sync {
            if let Some(sample) = (boxes::be32(row, 0) as usize)
                .checked_sub(1)
                .and_then(|i| samples.get_mut(i))
            {
                sample.sync = true;
            }
        }
    }
    place_in_chunks(stbl, &mut samples, file_len)?;
    Ok(samples)
}

/// Sets each sample's offset from `stsc` and the chunk offsets, and checks it lies in the file.
fn place_in_chunks(
    stbl: &[u8],
    samples: &mut [TrackSample],
    file_len: u64,
) -> Result<(), MediaError> {
    let chunks: Vec<u64> = match rows(stbl, b"co64", 4, 8)? {
        Some(rows) => rows.map(|r| boxes::be64(r, 0).unwrap_or(0)).collect(),
        None => rows(stbl, b"stco", 4, 4)?
            .ok_or_else(|| corrupt("no chunk offsets"))?
            .map(|r| u64::from(boxes::be32(r, 0)))
            .collect(),
    };
    let runs: Vec<(u32, u32)> = rows(stbl, b"stsc", 4, 12)?
        .ok_or_else(|| corrupt("no stsc"))?
        .map(|r| (boxes::be32(r, 0), boxes::be32(r, 4)))
        .collect();
    let mut next = 0usize;
    // The run in force: the last one whose first chunk is at or before this chunk. Runs are
    // walked once, so this stays linear however many chunks and runs a file claims.
    let mut run = 0usize;
    let mut per_chunk = 0usize;
    for (index, chunk_offset) in chunks.iter().enumerate() {
        let chunk_number = index as u32 + 1;
        while let Some((first, n)) = runs.get(run)
            && *first <= chunk_number
        {
            per_chunk = *n as usize;
            run += 1;
        }
        let mut offset = *chunk_offset;
        for sample in samples.iter_mut().skip(next).take(per_chunk) {
            if sample.size == 0 || sample.size > MAX_SAMPLE_BYTES {
                return Err(corrupt("a sample has an impossible size"));
            }
            sample.offset = offset;
            offset += u64::from(sample.size);
            if offset > file_len {
                return Err(corrupt("a sample lies past the end of the file"));
            }
        }
        next = next.saturating_add(per_chunk);
        if next >= samples.len() {
            break;
        }
    }
    if next < samples.len() {
        return Err(corrupt("the chunks hold fewer samples than stsz lists"));
    }
    Ok(())
}

fn corrupt(what: &str) -> MediaError {
    MediaError::Corrupt(format!("cannot package the track: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use boxes::boxed;

    fn words(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// An `ES_Descriptor` as ffmpeg writes it (4-byte lengths), around `specific`.
    fn es_descriptor(specific: &[u8]) -> Vec<u8> {
        let long = |tag: u8, payload: &[u8]| {
            let len = payload.len() as u8;
            [&[tag, 0x80, 0x80, 0x80, len][..], payload].concat()
        };
        let config = [
            &[0x40, 0x15, 0, 0, 0, 0, 1, 0xf4, 0, 0, 1, 0xf4, 0][..],
            &long(5, specific),
        ]
        .concat();
        long(
            3,
            &[&[0, 1, 0][..], &long(4, &config), &long(6, &[2])].concat(),
        )
    }

    #[test]
    fn the_aac_object_type_comes_from_the_audio_specific_config() {
        // AAC-LC 44.1 kHz stereo (0x12 0x10), HE-AAC (object type 5), an escaped type 42.
        assert_eq!(audio_object_type(&es_descriptor(&[0x12, 0x10])), Some(2));
        assert_eq!(
            audio_object_type(&es_descriptor(&[0x2b, 0x92, 0x08])),
            Some(5)
        );
        assert_eq!(
            audio_object_type(&es_descriptor(&[0xf9, 0x40, 0x00])),
            Some(42)
        );
        // Short lengths, as other muxers write them.
        let short = [
            3, 25, 0, 1, 0, 4, 17, 0x40, 0x15, 0, 0, 0, 0, 1, 0xf4, 0, 0, 1, 0xf4, 0, 5, 2, 0x13,
            0x90, 6, 1, 2,
        ];
        assert_eq!(audio_object_type(&short), Some(2));
        // Truncated or not MPEG-4 audio: none.
        let whole = es_descriptor(&[0x12, 0x10]);
        for cut in 0..whole.len() - 6 {
            assert_eq!(audio_object_type(&whole[..cut]), None, "cut at {cut}");
        }
        let mut mp3 = es_descriptor(&[0x12, 0x10]);
        mp3[13] = 0x6b;
        assert_eq!(audio_object_type(&mp3), None);
    }

    #[test]
    fn tables_expand_to_samples_with_offsets_durations_and_sync_flags() {
        let stbl = [
            boxed(b"stsz", &words(&[0, 0, 5, 10, 20, 30, 40, 50])),
            boxed(b"stts", &words(&[0, 3, 2, 4, 2, 1000, 1, 1001])),
            boxed(b"ctts", &words(&[0, 3, 2, 0, 2, 2000, 1, 4294967295])),
            boxed(b"stss", &words(&[0, 2, 1, 4])),
            // Chunks 1–2 hold 2 samples, chunk 3 holds 1.
            boxed(b"stsc", &words(&[0, 2, 1, 2, 1, 3, 1, 1])),
            boxed(b"stco", &words(&[0, 3, 100, 200, 300])),
        ]
        .concat();
        let samples = expand(&stbl, 1000).unwrap();
        let offsets: Vec<u64> = samples.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, [100, 110, 200, 230, 300]);
        let durations: Vec<u32> = samples.iter().map(|s| s.duration).collect();
        assert_eq!(durations, [4, 4, 1000, 1000, 1001]);
        let ctts: Vec<i32> = samples.iter().map(|s| s.composition_offset).collect();
        assert_eq!(ctts, [0, 0, 2000, 2000, -1]);
        let sync: Vec<bool> = samples.iter().map(|s| s.sync).collect();
        assert_eq!(sync, [true, false, false, true, false]);
        // A sample past the end of the file is refused.
        assert!(expand(&stbl, 320).is_err());
    }
}
