//! Faststart: an MP4 whose `moov` (the index) comes after its media data is rewritten with the
//! `moov` first, losslessly: the same boxes in the same order, only the `moov` moved up and
//! every chunk offset (`stco`/`co64`) shifted by where its bytes now lie. When an offset no
//! longer fits in 32 bits every `stco` becomes a `co64`. A file whose `moov` already precedes
//! its `mdat` is left alone (the caller serves the original; nothing is copied).
//!
//! Memory stays bounded whatever the file size: only the `moov` (at most
//! `isobmff::MAX_MOOV_BYTES`) is held; the media data is copied file to file in the kernel.
//! It does not touch sample data, edit lists or any other table.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::boxes::{self, Child};
use crate::MediaError;
use crate::isobmff::{BoxSpan, MAX_MOOV_BYTES, top_level_spans};

/// What [`make_faststart`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Faststart {
    /// `moov` already precedes the media data: serve the original.
    AlreadyFast,
    /// A remuxed copy was written; its size in bytes.
    Remuxed { bytes: u64 },
}

/// Boxes whose children are rewritten; every other box is copied as it is.
const CONTAINERS: [&[u8; 4]; 5] = [b"moov", b"trak", b"mdia", b"minf", b"stbl"];

/// Why the chunk offsets could not be rewritten as asked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RewriteError {
    /// An `stco` offset would exceed 32 bits: rewrite again with `promote`.
    NeedsCo64,
    /// A chunk offset points outside every box that is copied.
    Unmapped(u64),
    /// A table's entry count does not fit its box.
    Malformed(&'static str),
}

/// The `moov` box `moov` (header included) with every chunk offset passed through `map`;
/// with `promote`, every `stco` is written as a `co64`.
pub(crate) fn rewrite_chunk_offsets(
    moov: &[u8],
    map: &dyn Fn(u64) -> Option<u64>,
    promote: bool,
) -> Result<Vec<u8>, RewriteError> {
    let top = boxes::children(moov)
        .next()
        .ok_or(RewriteError::Malformed("moov"))?;
    rewrite_box(top, map, promote)
}

fn rewrite_box(
    child: Child<'_>,
    map: &dyn Fn(u64) -> Option<u64>,
    promote: bool,
) -> Result<Vec<u8>, RewriteError> {
    match &child.kind {
        kind if CONTAINERS.contains(&kind) => {
            let mut payload = Vec::with_capacity(child.payload.len());
            for inner in boxes::children(child.payload) {
                payload.extend(rewrite_box(inner, map, promote)?);
            }
            Ok(boxes::boxed(kind, &payload))
        }
        b"stco" | b"co64" => {
            let wide_in = &child.kind == b"co64";
            let offsets = read_offsets(child.payload, wide_in)?;
            let wide_out = wide_in || promote;
            let mut payload = child.payload[..4].to_vec();
            payload.extend_from_slice(&(offsets.len() as u32).to_be_bytes());
            for offset in offsets {
                let moved = map(offset).ok_or(RewriteError::Unmapped(offset))?;
                if wide_out {
                    payload.extend_from_slice(&moved.to_be_bytes());
                } else {
                    let narrow = u32::try_from(moved).map_err(|_| RewriteError::NeedsCo64)?;
                    payload.extend_from_slice(&narrow.to_be_bytes());
                }
            }
            Ok(boxes::boxed(
                if wide_out { b"co64" } else { b"stco" },
                &payload,
            ))
        }
        _ => Ok(child.whole.to_vec()),
    }
}

fn read_offsets(payload: &[u8], wide: bool) -> Result<Vec<u64>, RewriteError> {
    let count = boxes::be32(payload, 4) as usize;
    let width = if wide { 8 } else { 4 };
    let table = payload
        .get(8..)
        .filter(|t| t.len() / width >= count)
        .ok_or(RewriteError::Malformed("chunk offset table"))?;
    Ok(table
        .chunks_exact(width)
        .take(count)
        .map(|e| match wide {
            true => boxes::be64(e, 0).unwrap_or(0),
            false => u64::from(boxes::be32(e, 0)),
        })
        .collect())
}

/// Writes a faststart copy of `source` to `dest`, unless `source` already is one.
pub fn make_faststart(source: &Path, dest: &Path) -> Result<Faststart, MediaError> {
    let mut file = File::open(source)?;
    let file_len = file.metadata()?.len();
    let spans = top_level_spans(&mut file, file_len)?;
    let moov_at = spans
        .iter()
        .position(|s| &s.kind == b"moov")
        .ok_or_else(|| MediaError::Corrupt("no moov box".into()))?;
    let first_mdat = spans.iter().position(|s| &s.kind == b"mdat");
    if first_mdat.is_none_or(|mdat| moov_at < mdat) {
        return Ok(Faststart::AlreadyFast);
    }
    let moov_span = spans[moov_at];
    if moov_span.size > MAX_MOOV_BYTES {
        return Err(MediaError::Corrupt("the moov box is too large".into()));
    }
    let moov = read_span(&mut file, moov_span)?;
    let ftyp = spans.iter().find(|s| &s.kind == b"ftyp").copied();
    let ftyp_bytes = match ftyp {
        Some(span) if span.size <= 4096 => read_span(&mut file, span)?,
        Some(_) => return Err(MediaError::Corrupt("the ftyp box is too large".into())),
        None => Vec::new(),
    };
    // Everything else keeps its order, after ftyp and the moved moov.
    let kept: Vec<BoxSpan> = spans
        .iter()
        .filter(|s| &s.kind != b"moov" && &s.kind != b"ftyp")
        .copied()
        .collect();

    let moved = |new_moov_len: u64| {
        let mut at = ftyp_bytes.len() as u64 + new_moov_len;
        let placed: Vec<(BoxSpan, u64)> = kept
            .iter()
            .map(|span| {
                let new_start = at;
                at += span.size;
                (*span, new_start)
            })
            .collect();
        move |offset: u64| {
            placed
                .iter()
                .find(|(span, _)| offset >= span.start && offset < span.end())
                .map(|(span, new_start)| offset - span.start + new_start)
        }
    };
    // Rewriting keeps the moov's size unless stco becomes co64, so one pass usually does.
    let new_moov = match rewrite_chunk_offsets(&moov, &moved(moov.len() as u64), false) {
        Err(RewriteError::NeedsCo64) => {
            let promoted_len = rewrite_chunk_offsets(&moov, &|o| Some(o), true)
                .map_err(rewrite_error)?
                .len() as u64;
            rewrite_chunk_offsets(&moov, &moved(promoted_len), true)
        }
        other => other,
    }
    .map_err(rewrite_error)?;

    let mut out = BufWriter::new(File::create(dest)?);
    out.write_all(&ftyp_bytes)?;
    out.write_all(&new_moov)?;
    let mut out = out.into_inner().map_err(|e| e.into_error())?;
    for span in &kept {
        file.seek(SeekFrom::Start(span.start))?;
        let copied = std::io::copy(&mut (&mut file).take(span.size), &mut out)?;
        if copied != span.size {
            return Err(MediaError::Corrupt(
                "the file changed while remuxing".into(),
            ));
        }
    }
    // Not synced here: the caller makes its output durable (`playback::durable`).
    Ok(Faststart::Remuxed {
        bytes: out.metadata()?.len(),
    })
}

fn read_span(file: &mut File, span: BoxSpan) -> Result<Vec<u8>, MediaError> {
    let mut bytes = vec![0u8; span.size as usize];
    file.seek(SeekFrom::Start(span.start))?;
    file.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn rewrite_error(error: RewriteError) -> MediaError {
    MediaError::Corrupt(match error {
        RewriteError::NeedsCo64 => "chunk offsets overflow even as co64".into(),
        RewriteError::Unmapped(offset) => {
            format!("a chunk offset ({offset}) points outside the media data")
        }
        RewriteError::Malformed(what) => format!("malformed {what}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use boxes::boxed;

    fn words(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    fn moov_with(table: Vec<u8>) -> Vec<u8> {
        let stbl = boxed(
            b"stbl",
            &[boxed(b"stsz", &words(&[0, 0, 0])), table].concat(),
        );
        let minf = boxed(b"minf", &stbl);
        let mdia = boxed(b"mdia", &[boxed(b"mdhd", &[0; 24]), minf].concat());
        let trak = boxed(b"trak", &[boxed(b"tkhd", &[0; 84]), mdia].concat());
        boxed(b"moov", &[boxed(b"mvhd", &[0; 100]), trak].concat())
    }

    fn stco(offsets: &[u32]) -> Vec<u8> {
        let mut payload = words(&[0, offsets.len() as u32]);
        payload.extend(words(offsets));
        boxed(b"stco", &payload)
    }

    fn offsets_of(moov: &[u8]) -> (bool, Vec<u64>) {
        let moov = boxes::children(moov).next().unwrap();
        let stbl = boxes::find_path(moov.payload, &[b"trak", b"mdia", b"minf", b"stbl"]).unwrap();
        match boxes::find(stbl.payload, b"co64") {
            Some(co64) => (true, read_offsets(co64.payload, true).unwrap()),
            None => {
                let stco = boxes::find(stbl.payload, b"stco").unwrap();
                (false, read_offsets(stco.payload, false).unwrap())
            }
        }
    }

    #[test]
    fn offsets_are_shifted_and_everything_else_is_kept() {
        let moov = moov_with(stco(&[100, 200, 300]));
        let rewritten = rewrite_chunk_offsets(&moov, &|o| Some(o + 1000), false).unwrap();
        assert_eq!(rewritten.len(), moov.len());
        assert_eq!(offsets_of(&rewritten), (false, vec![1100, 1200, 1300]));
        // Only the offsets changed.
        let differing = moov.iter().zip(&rewritten).filter(|(a, b)| a != b).count();
        assert!(differing <= 6, "{differing} bytes changed");
    }

    #[test]
    fn an_offset_past_4_gib_needs_co64_and_promotion_widens_every_entry() {
        let moov = moov_with(stco(&[100, u32::MAX - 10]));
        let shift = |o: u64| Some(o + 100);
        assert_eq!(
            rewrite_chunk_offsets(&moov, &shift, false),
            Err(RewriteError::NeedsCo64)
        );
        let promoted = rewrite_chunk_offsets(&moov, &shift, true).unwrap();
        assert_eq!(promoted.len(), moov.len() + 8);
        assert_eq!(
            offsets_of(&promoted),
            (true, vec![200, u64::from(u32::MAX) + 90])
        );
        // Sizes of every enclosing box grew with it: the tree still parses.
        let moov_box = boxes::children(&promoted).next().unwrap();
        assert_eq!(moov_box.whole.len(), promoted.len());
    }

    #[test]
    fn co64_stays_co64_and_unmapped_or_lying_tables_are_refused() {
        let mut payload = words(&[0, 1]);
        payload.extend(5u64.to_be_bytes());
        let moov = moov_with(boxed(b"co64", &payload));
        let rewritten = rewrite_chunk_offsets(&moov, &|o| Some(o * 2), false).unwrap();
        assert_eq!(offsets_of(&rewritten), (true, vec![10]));
        assert_eq!(
            rewrite_chunk_offsets(&moov, &|_| None, false),
            Err(RewriteError::Unmapped(5))
        );
        let lying = moov_with(boxed(b"stco", &words(&[0, 1_000_000, 1])));
        assert!(matches!(
            rewrite_chunk_offsets(&lying, &|o| Some(o), false),
            Err(RewriteError::Malformed(_))
        ));
    }

    #[test]
    fn a_file_with_moov_at_the_end_is_rewritten_with_the_same_sample_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let ftyp = boxed(b"ftyp", b"isom\0\0\0\0isom");
        let mdat = boxed(b"mdat", b"AAAABBBBCCCC");
        let data_at = (ftyp.len() + 8) as u32;
        let moov = moov_with(stco(&[data_at, data_at + 4, data_at + 8]));
        let source = dir.path().join("in.mp4");
        std::fs::write(&source, [ftyp.clone(), mdat.clone(), moov.clone()].concat()).unwrap();
        let dest = dir.path().join("out.mp4");
        let outcome = make_faststart(&source, &dest).unwrap();
        let out = std::fs::read(&dest).unwrap();
        assert_eq!(
            outcome,
            Faststart::Remuxed {
                bytes: out.len() as u64
            }
        );
        assert_eq!(&out[..ftyp.len()], &ftyp[..]);
        assert_eq!(&out[ftyp.len() + 4..ftyp.len() + 8], b"moov");
        let new_moov = &out[ftyp.len()..ftyp.len() + moov.len()];
        let (_, offsets) = offsets_of(new_moov);
        let samples: Vec<&[u8]> = offsets
            .iter()
            .map(|o| &out[*o as usize..*o as usize + 4])
            .collect();
        assert_eq!(samples, [b"AAAA", b"BBBB", b"CCCC"]);
        // Already fast now: nothing more to do.
        let again = dir.path().join("again.mp4");
        assert_eq!(
            make_faststart(&dest, &again).unwrap(),
            Faststart::AlreadyFast
        );
        assert!(!again.exists());
    }
}
