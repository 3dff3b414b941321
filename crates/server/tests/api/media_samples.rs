//! Bad "videos" made in the test itself: what the Creator API must refuse.

/// The same MP4 with the video `trak` cut out of `moov` (sizes fixed up): an audio-only MP4.
pub fn without_video_track(mp4: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(mp4.len());
    for (kind, start, end) in boxes(mp4) {
        if kind != *b"moov" {
            out.extend_from_slice(&mp4[start..end]);
            continue;
        }
        let moov = &mp4[start + 8..end];
        let mut kept = Vec::new();
        for (child, c_start, c_end) in boxes(moov) {
            let bytes = &moov[c_start..c_end];
            let is_video_track = child == *b"trak" && bytes.windows(4).any(|w| w == b"vide");
            if !is_video_track {
                kept.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(&((kept.len() + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"moov");
        out.extend_from_slice(&kept);
    }
    out
}

/// (type, start, end) of the top-level boxes in `bytes`.
fn boxes(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut found = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if size < 8 || pos + size > bytes.len() {
            break;
        }
        found.push((bytes[pos + 4..pos + 8].try_into().unwrap(), pos, pos + size));
        pos += size;
    }
    found
}

/// A small valid JPEG.
pub fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(32, 32, |x, y| image::Rgb([x as u8 * 8, y as u8 * 8, 90]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    bytes
}

/// Deterministic pseudo-random bytes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
