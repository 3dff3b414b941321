//! Walks the top-level boxes of an MP4/MOV file with seeks, so a 1 GB `mdat` is skipped
//! rather than read, and returns only the `ftyp` and `moov` bytes for `mp4parse` to parse.
//! Every size field is treated as hostile: boxes are bounded by the file length, the number
//! of boxes by [`MAX_TOP_LEVEL_BOXES`] and the `moov` by [`MAX_MOOV_BYTES`]. It does not
//! interpret what is inside `moov`; that is `mp4_track`'s job.

use std::io::{Read, Seek, SeekFrom};

use crate::MediaError;

/// Larger than any real moov (a 2-hour 60 fps video has about 20 MB of sample tables).
pub(crate) const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;
/// Real files have a handful; a long run of tiny boxes is an attack or garbage.
const MAX_TOP_LEVEL_BOXES: usize = 4096;

/// The parts of a file that the built-in probe needs.
#[derive(Debug)]
pub(crate) struct TopLevelBoxes {
    /// `ftyp` box bytes (header included), or a synthetic one for old QuickTime files.
    pub ftyp: Vec<u8>,
    /// `moov` box bytes (header included).
    pub moov: Vec<u8>,
    /// The `ftyp` major brand, e.g. `isom`, `qt  `.
    pub major_brand: [u8; 4],
    pub file_len: u64,
}

impl TopLevelBoxes {
    /// `ftyp` followed by `moov`: the stream `mp4parse::read_mp4` expects.
    pub(crate) fn header_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.ftyp.len() + self.moov.len());
        bytes.extend_from_slice(&self.ftyp);
        bytes.extend_from_slice(&self.moov);
        bytes
    }
}

/// A box header as found in the file.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: [u8; 4],
    /// Offset of the box's first byte.
    start: u64,
    /// Header plus payload.
    size: u64,
    header_len: u64,
}

/// Reads the top-level box list. `Corrupt` when the structure is broken or truncated (no
/// `moov`, a box running past the end of the file), `NotAVideo` when the very first box is
/// not a box at all.
pub(crate) fn read_top_level<R: Read + Seek>(
    file: &mut R,
    file_len: u64,
) -> Result<TopLevelBoxes, MediaError> {
    let mut ftyp: Option<Vec<u8>> = None;
    let mut moov: Option<Vec<u8>> = None;
    let mut offset = 0u64;
    let mut count = 0usize;

    while offset < file_len {
        count += 1;
        if count > MAX_TOP_LEVEL_BOXES {
            return Err(MediaError::Corrupt("too many top-level boxes".into()));
        }
        let header = match read_box_header(file, offset, file_len)? {
            Some(header) => header,
            // Fewer than 8 bytes left: trailing padding after a complete moov is harmless.
            None if moov.is_some() => break,
            None => return Err(MediaError::Corrupt("file ends inside a box header".into())),
        };
        if !header
            .kind
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ')
        {
            return Err(if offset == 0 {
                MediaError::NotAVideo("no MP4 box structure".into())
            } else {
                MediaError::Corrupt(format!("garbage box type at offset {offset}"))
            });
        }
        let end = header
            .start
            .checked_add(header.size)
            .filter(|end| *end <= file_len);
        match &header.kind {
            b"ftyp" if ftyp.is_none() => {
                if header.size > 4096 || end.is_none() {
                    return Err(MediaError::Corrupt(
                        "ftyp box has an impossible size".into(),
                    ));
                }
                ftyp = Some(read_box_bytes(file, &header)?);
            }
            b"moov" if moov.is_none() => {
                if end.is_none() {
                    return Err(MediaError::Corrupt(
                        "the moov box runs past the end of the file (truncated upload?)".into(),
                    ));
                }
                if header.size > MAX_MOOV_BYTES {
                    return Err(MediaError::Corrupt(format!(
                        "moov box of {} bytes exceeds the {MAX_MOOV_BYTES} byte limit",
                        header.size
                    )));
                }
                moov = Some(read_box_bytes(file, &header)?);
            }
            _ => {}
        }
        match end {
            Some(end) => offset = end,
            // The media data cut short: an upload that did not finish.
            None if &header.kind == b"mdat" => {
                return Err(MediaError::Corrupt(format!(
                    "the mdat box declares {} bytes but the file ends after {} (truncated upload?)",
                    header.size,
                    file_len - header.start
                )));
            }
            // Any other box running past the end is trailing junk after a complete file.
            None => break,
        }
    }

    let moov = moov.ok_or_else(|| {
        MediaError::Corrupt("no moov box: the file is truncated or not finished writing".into())
    })?;
    let ftyp = ftyp.unwrap_or_else(synthetic_quicktime_ftyp);
    let major_brand = ftyp
        .get(8..12)
        .and_then(|b| b.try_into().ok())
        .unwrap_or(*b"    ");
    Ok(TopLevelBoxes {
        ftyp,
        moov,
        major_brand,
        file_len,
    })
}

/// Where one top-level box lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoxSpan {
    pub kind: [u8; 4],
    /// Offset of the box's first byte.
    pub start: u64,
    /// Header plus payload.
    pub size: u64,
}

impl BoxSpan {
    pub(crate) fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// The top-level boxes in file order, for the remuxers. Same bounds as [`read_top_level`]; a
/// box running past the end of the file ends the list (trailing junk is not part of the
/// movie, and a sample pointing into it is caught by whoever maps offsets).
pub(crate) fn top_level_spans<R: Read + Seek>(
    file: &mut R,
    file_len: u64,
) -> Result<Vec<BoxSpan>, MediaError> {
    let mut spans = Vec::new();
    let mut offset = 0u64;
    while offset < file_len {
        if spans.len() >= MAX_TOP_LEVEL_BOXES {
            return Err(MediaError::Corrupt("too many top-level boxes".into()));
        }
        let Some(header) = read_box_header(file, offset, file_len)? else {
            break;
        };
        match header.start.checked_add(header.size) {
            Some(end) if end <= file_len => {
                spans.push(BoxSpan {
                    kind: header.kind,
                    start: header.start,
                    size: header.size,
                });
                offset = end;
            }
            _ => break,
        }
    }
    Ok(spans)
}

/// `None` when fewer than 8 bytes remain.
fn read_box_header<R: Read + Seek>(
    file: &mut R,
    offset: u64,
    file_len: u64,
) -> Result<Option<BoxHeader>, MediaError> {
    if file_len - offset < 8 {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut small = [0u8; 8];
    file.read_exact(&mut small)?;
    let size32 = u32::from_be_bytes([small[0], small[1], small[2], small[3]]);
    let kind = [small[4], small[5], small[6], small[7]];
    let (size, header_len) = match size32 {
        0 => (file_len - offset, 8),
        1 => {
            if file_len - offset < 16 {
                return Err(MediaError::Corrupt(
                    "file ends inside a 64-bit box header".into(),
                ));
            }
            let mut large = [0u8; 8];
            file.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len {
        return Err(
            if offset == 0 && !kind.iter().all(u8::is_ascii_alphanumeric) {
                MediaError::NotAVideo("no MP4 box structure".into())
            } else {
                MediaError::Corrupt(format!(
                    "box at offset {offset} has an impossible size {size}"
                ))
            },
        );
    }
    Ok(Some(BoxHeader {
        kind,
        start: offset,
        size,
        header_len,
    }))
}

fn read_box_bytes<R: Read + Seek>(file: &mut R, header: &BoxHeader) -> Result<Vec<u8>, MediaError> {
    // Sizes were bounded by the caller, so this allocation is at most MAX_MOOV_BYTES.
    let len = usize::try_from(header.size)
        .map_err(|_| MediaError::Corrupt("box too large for this platform".into()))?;
    let mut bytes = vec![0u8; len];
    file.seek(SeekFrom::Start(header.start))?;
    file.read_exact(&mut bytes)?;
    if header.header_len == 16 {
        // mp4parse handles 64-bit sizes, but rewriting to a compact header keeps the
        // concatenated ftyp+moov stream simple when the box fits in 32 bits.
        if let Ok(size32) = u32::try_from(header.size - 8) {
            let mut compact = Vec::with_capacity(len - 8);
            compact.extend_from_slice(&size32.to_be_bytes());
            compact.extend_from_slice(&header.kind);
            compact.extend_from_slice(&bytes[16..]);
            return Ok(compact);
        }
    }
    Ok(bytes)
}

/// Pre-2001 QuickTime files have no `ftyp`; mp4parse wants one.
fn synthetic_quicktime_ftyp() -> Vec<u8> {
    let mut ftyp = Vec::with_capacity(16);
    ftyp.extend_from_slice(&16u32.to_be_bytes());
    ftyp.extend_from_slice(b"ftypqt  ");
    ftyp.extend_from_slice(&0u32.to_be_bytes());
    ftyp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn scan(bytes: &[u8]) -> Result<TopLevelBoxes, MediaError> {
        read_top_level(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn finds_moov_after_a_large_mdat_without_reading_it() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"mdat", &[7u8; 10_000]));
        file.extend(boxed(b"moov", b"payload"));
        let boxes = scan(&file).unwrap();
        assert_eq!(&boxes.major_brand, b"isom");
        assert_eq!(&boxes.moov[4..8], b"moov");
        assert_eq!(boxes.moov.len(), 15);
    }

    #[test]
    fn missing_moov_is_corrupt() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"mdat", &[7u8; 100]));
        file.truncate(50);
        assert!(matches!(scan(&file), Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn mdat_running_past_the_end_is_corrupt() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"moov", b"payload"));
        file.extend(boxed(b"mdat", &[7u8; 100]));
        file.truncate(file.len() - 1);
        assert!(matches!(scan(&file), Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn moov_running_past_the_end_is_corrupt() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"moov", &[0u8; 100]));
        file.truncate(60);
        assert!(matches!(scan(&file), Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn absurd_sizes_do_not_allocate() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"moov");
        file.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(scan(&file), Err(MediaError::Corrupt(_))));
    }
}
