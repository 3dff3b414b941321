//! Recognises a file's kind from its first bytes, before any parser sees it. This is what
//! separates "not a video at all" (text, images, random bytes) from "a video container we may
//! or may not be able to read". It never trusts the file name and never parses past the
//! magic numbers: the real parsers do that.

use crate::Container;

/// How many leading bytes [`sniff`] wants (an MPEG-TS needs its second sync byte at 188);
/// fewer is fine for short files.
pub(crate) const SNIFF_LEN: usize = 256;

/// What the leading bytes say the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// ISO base media (MP4, MOV, 3GP): the built-in pipeline's home ground.
    IsoBmff,
    /// Another video container that only ffmpeg can open.
    OtherVideo(Container),
    /// A still image format that ISO BMFF also carries (HEIF/AVIF): not a video.
    StillImage(&'static str),
    /// Nothing we recognise as video.
    NotVideo(&'static str),
}

/// Top-level ISO BMFF box types that may legitimately open a file.
const LEADING_BOX_TYPES: &[&[u8; 4]] = &[
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx",
];

/// `ftyp` major brands of still-image files that share the MP4 box structure.
const IMAGE_BRANDS: &[&[u8; 4]] = &[b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"];

pub(crate) fn sniff(head: &[u8]) -> Sniffed {
    if head.len() >= 8 && LEADING_BOX_TYPES.iter().any(|t| &head[4..8] == *t) {
        if &head[4..8] == b"ftyp"
            && head.len() >= 12
            && IMAGE_BRANDS.iter().any(|b| &head[8..12] == *b)
        {
            return Sniffed::StillImage("HEIF/AVIF image");
        }
        return Sniffed::IsoBmff;
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Sniffed::OtherVideo(Container::WebM);
    }
    if head.starts_with(b"OggS") {
        return Sniffed::OtherVideo(Container::Ogg);
    }
    if head.starts_with(&[0, 0, 1, 0xBA]) || head.starts_with(&[0, 0, 1, 0xB3]) {
        return Sniffed::OtherVideo(Container::Mpeg);
    }
    if is_mpeg_transport_stream(head) {
        return Sniffed::OtherVideo(Container::Mpeg);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"AVI " {
        return Sniffed::OtherVideo(Container::Other);
    }
    if head.starts_with(b"FLV\x01") {
        return Sniffed::OtherVideo(Container::Other);
    }
    // ASF / WMV header object GUID.
    if head.starts_with(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Sniffed::OtherVideo(Container::Other);
    }
    Sniffed::NotVideo(describe_non_video(head))
}

/// A transport stream has a 0x47 sync byte every 188 bytes; two in a row is a fair sign
/// (a single 'G' at offset 0 is just as likely to be text).
fn is_mpeg_transport_stream(head: &[u8]) -> bool {
    head.first() == Some(&0x47) && head.get(188) == Some(&0x47)
}

/// A short human description for the `NotAVideo` message.
fn describe_non_video(head: &[u8]) -> &'static str {
    if head.is_empty() {
        "the file is empty"
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "a JPEG image"
    } else if head.starts_with(b"\x89PNG") {
        "a PNG image"
    } else if head.starts_with(b"GIF8") {
        "a GIF image"
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        "a WebP image"
    } else if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if head.starts_with(b"ID3") || head.starts_with(b"fLaC") {
        "an audio file"
    } else if looks_like_text(head) {
        "a text file"
    } else {
        "no known video signature"
    }
}

/// Valid UTF-8 (allowing a character cut at the end of the window) without NUL bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && !head.contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp4_with_ftyp_is_iso_bmff() {
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Sniffed::IsoBmff);
    }

    #[test]
    fn heic_is_a_still_image() {
        assert!(matches!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Sniffed::StillImage(_)
        ));
    }

    #[test]
    fn webm_ogg_and_mpeg_are_other_video() {
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]),
            Sniffed::OtherVideo(Container::WebM)
        );
        assert_eq!(sniff(b"OggS\0\x02"), Sniffed::OtherVideo(Container::Ogg));
        assert_eq!(
            sniff(&[0, 0, 1, 0xBA, 0x44]),
            Sniffed::OtherVideo(Container::Mpeg)
        );
    }

    #[test]
    fn text_and_jpeg_are_not_video() {
        assert_eq!(sniff(b"hello, world\n"), Sniffed::NotVideo("a text file"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Sniffed::NotVideo("a JPEG image")
        );
        assert_eq!(sniff(b""), Sniffed::NotVideo("the file is empty"));
    }
}
