//! Small ISO-BMFF helpers for the remuxers: walking the boxes inside an already checked
//! `moov` (`moov_scan` ran first, so sizes fit their parents; a box that does not fit simply
//! ends the walk here) and writing boxes whose payload is already built. Big-endian reads
//! that never panic.

/// One box inside a payload: its type, all its bytes (header included) and its payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child<'a> {
    pub kind: [u8; 4],
    pub whole: &'a [u8],
    pub payload: &'a [u8],
}

/// The boxes in `payload`, in order, stopping at the first one that does not fit.
pub(crate) fn children(payload: &[u8]) -> impl Iterator<Item = Child<'_>> {
    let mut rest = payload;
    std::iter::from_fn(move || {
        if rest.len() < 8 {
            return None;
        }
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (size, header) = match be32(rest, 0) {
            0 => (rest.len() as u64, 8),
            1 => (be64(rest, 8)?, 16),
            n => (u64::from(n), 8),
        };
        if size < header || size > rest.len() as u64 {
            rest = &[];
            return None;
        }
        let (whole, next) = rest.split_at(size as usize);
        rest = next;
        Some(Child {
            kind,
            whole,
            payload: &whole[header as usize..],
        })
    })
}

/// The payload of the first `kind` box in `payload`.
pub(crate) fn find<'a>(payload: &'a [u8], kind: &[u8; 4]) -> Option<Child<'a>> {
    children(payload).find(|c| &c.kind == kind)
}

/// Follows a path of box types from `payload`.
pub(crate) fn find_path<'a>(payload: &'a [u8], path: &[&[u8; 4]]) -> Option<Child<'a>> {
    let (first, rest) = path.split_first()?;
    let mut found = find(payload, first)?;
    for kind in rest {
        found = find(found.payload, kind)?;
    }
    Some(found)
}

/// A box around `payload`; a 64-bit header only when the box needs it.
pub(crate) fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = header(kind, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// The header of a box with `payload_len` bytes of payload.
pub(crate) fn header(kind: &[u8; 4], payload_len: u64) -> Vec<u8> {
    match u32::try_from(payload_len + 8) {
        Ok(size) => [size.to_be_bytes().as_slice(), kind].concat(),
        Err(_) => [
            1u32.to_be_bytes().as_slice(),
            kind,
            &(payload_len + 16).to_be_bytes(),
        ]
        .concat(),
    }
}

/// A full box: version, 24 bits of flags, then `payload`.
pub(crate) fn full_box(kind: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut body = ((u32::from(version) << 24) | (flags & 0x00FF_FFFF))
        .to_be_bytes()
        .to_vec();
    body.extend_from_slice(payload);
    boxed(kind, &body)
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 8)?;
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_round_trip_and_a_box_too_big_for_its_parent_ends_the_walk() {
        let inner = boxed(b"stco", &[1, 2, 3]);
        let outer = boxed(b"stbl", &[inner.clone(), boxed(b"free", &[])].concat());
        let stbl = find(&outer, b"stbl").unwrap();
        let kinds: Vec<_> = children(stbl.payload).map(|c| c.kind).collect();
        assert_eq!(kinds, [*b"stco", *b"free"]);
        assert_eq!(find(stbl.payload, b"stco").unwrap().whole, &inner[..]);
        let mut lying = inner.clone();
        lying[3] = 200;
        assert_eq!(children(&lying).count(), 0);
        assert_eq!(header(b"mdat", 1 << 33).len(), 16);
    }
}
