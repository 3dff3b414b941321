//! Pictures into image files: a still cut to its geometry as JPEG or WebP, an animation as a
//! looping GIF or lossy WebP (libwebp's animation encoder), storyboard tiles as one JPEG
//! sprite. No decoding of video here.

use std::io::Cursor;

use domain::images::{ANIMATION_FPS, AnimationFormat, Geometry, MAX_SIDE, StillFormat, Storyboard};
use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::{self, FilterType};
use image::{Delay, DynamicImage, ExtendedColorType, Frame, ImageEncoder, RgbImage};

use crate::MediaError;
use crate::images::MAX_FRAMES_PER_REQUEST;

const JPEG_QUALITY: u8 = 80;
/// NeuQuant sampling for GIF palettes: 1 best … 30 fastest. 30 took a 50-frame 320×568
/// preview of a phone clip from 2.9 s to 1.9 s (release, busy 2-core machine).
const GIF_SPEED: i32 = 30;
/// libwebp's lossy quality (0–100) for animations: 75 is cwebp's default.
const WEBP_QUALITY: f32 = 75.0;

fn failed(what: &str, error: impl std::fmt::Display) -> MediaError {
    MediaError::Io(std::io::Error::other(format!(
        "{what} encoding failed: {error}"
    )))
}

/// `picture` resized per `geometry` (Triangle filter, as the stored thumbnails).
pub fn apply_geometry(picture: &RgbImage, geometry: Geometry) -> RgbImage {
    match geometry {
        Geometry::Scale(size) if size == picture.dimensions() => picture.clone(),
        Geometry::Scale((w, h)) => imageops::resize(picture, w, h, FilterType::Triangle),
        Geometry::Crop {
            region: (x, y, w, h),
            size,
        } => {
            let (pw, ph) = picture.dimensions();
            let (x, y) = (x.min(pw.saturating_sub(1)), y.min(ph.saturating_sub(1)));
            let (w, h) = (w.clamp(1, pw - x), h.clamp(1, ph - y));
            let cropped = imageops::crop_imm(picture, x, y, w, h).to_image();
            imageops::resize(&cropped, size.0, size.1, FilterType::Triangle)
        }
    }
}

/// One still in `format`. WebP is lossless (the only WebP encoder in `image`).
pub fn encode_still(picture: &RgbImage, format: StillFormat) -> Result<Vec<u8>, MediaError> {
    let mut bytes = Vec::new();
    let (w, h) = picture.dimensions();
    match format {
        StillFormat::Jpeg => JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .write_image(picture.as_raw(), w, h, ExtendedColorType::Rgb8)
            .map_err(|e| failed("JPEG", e))?,
        StillFormat::Webp => WebPEncoder::new_lossless(&mut bytes)
            .write_image(picture.as_raw(), w, h, ExtendedColorType::Rgb8)
            .map_err(|e| failed("WebP", e))?,
    }
    Ok(bytes)
}

/// A looping animation of `frames` in `format`, each scaled to the first one's size. Frame `i`
/// stands for `times[i]` (seconds into the video) and is shown until the next one's time; the
/// last for as long as the one before it (a lone frame: 1/10 s). At most
/// [`MAX_FRAMES_PER_REQUEST`] frames, each side at most [`MAX_SIDE`]: the same bound as the
/// decoding that made them.
pub fn encode_animation(
    frames: &[RgbImage],
    times: &[f64],
    format: AnimationFormat,
) -> Result<Vec<u8>, MediaError> {
    let Some(first) = frames.first() else {
        return Err(MediaError::Corrupt("no pictures to animate".into()));
    };
    if times.len() != frames.len() {
        return Err(MediaError::Corrupt(format!(
            "{} pictures for {} times",
            frames.len(),
            times.len()
        )));
    }
    let (w, h) = first.dimensions();
    if frames.len() > MAX_FRAMES_PER_REQUEST || w > MAX_SIDE || h > MAX_SIDE {
        return Err(MediaError::LimitExceeded(format!(
            "{} pictures of {w}×{h} to animate (at most {MAX_FRAMES_PER_REQUEST} of \
             {MAX_SIDE}×{MAX_SIDE})",
            frames.len()
        )));
    }
    let same_size = frames.iter().map(|frame| sized(frame, (w, h)));
    let timeline = timeline_ms(times);
    match format {
        AnimationFormat::Gif => encode_gif(same_size, &timeline),
        AnimationFormat::Webp => encode_webp(same_size, (w, h), &timeline),
    }
}

/// When each frame starts, in ms from the first, and when the last one ends. Strictly
/// increasing, as libwebp needs: a frame not after the one before it starts 1 ms after it.
fn timeline_ms(times: &[f64]) -> (Vec<i32>, i32) {
    let origin = times.first().copied().unwrap_or(0.0);
    let mut starts: Vec<i32> = Vec::with_capacity(times.len());
    for &time in times {
        let ms = ((time - origin) * 1000.0).round() as i32;
        let floor = starts.last().map_or(0, |previous| previous + 1);
        starts.push(ms.max(floor));
    }
    let last = *starts.last().unwrap_or(&0);
    let last_length = match starts.as_slice() {
        [.., before, last] => last - before,
        _ => (1000 / ANIMATION_FPS) as i32,
    };
    (starts, last + last_length.max(1))
}

fn encode_gif(
    frames: impl Iterator<Item = RgbImage>,
    (starts, end): &(Vec<i32>, i32),
) -> Result<Vec<u8>, MediaError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, GIF_SPEED);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| failed("GIF", e))?;
        let ends = starts.iter().skip(1).chain(std::iter::once(end));
        for ((frame, start), end) in frames.zip(starts).zip(ends) {
            let delay = Delay::from_numer_denom_ms((end - start) as u32, 1);
            let rgba = DynamicImage::ImageRgb8(frame).into_rgba8();
            encoder
                .encode_frame(Frame::from_parts(rgba, 0, 0, delay))
                .map_err(|e| failed("GIF", e))?;
        }
    }
    Ok(bytes)
}

fn encode_webp(
    frames: impl Iterator<Item = RgbImage>,
    size: (u32, u32),
    (starts, end): &(Vec<i32>, i32),
) -> Result<Vec<u8>, MediaError> {
    use webp_animation::{ColorMode, Encoder, EncoderOptions, EncodingConfig};
    let options = EncoderOptions {
        color_mode: ColorMode::Rgb,
        encoding_config: Some(EncodingConfig::new_lossy(WEBP_QUALITY)),
        ..Default::default()
    };
    let mut encoder = Encoder::new_with_options(size, options).map_err(|e| failed("WebP", e))?;
    for (frame, &start) in frames.zip(starts) {
        encoder
            .add_frame(frame.as_raw(), start)
            .map_err(|e| failed("WebP", e))?;
    }
    let bytes = encoder.finalize(*end).map_err(|e| failed("WebP", e))?;
    Ok(bytes.to_vec())
}

/// The storyboard's sprite (JPEG, `columns` tiles a row) and the tile size: tiles are the
/// first picture's size, the others scaled to it.
pub fn encode_sprite(
    tiles: &[RgbImage],
    board: &Storyboard,
) -> Result<(Vec<u8>, (u32, u32)), MediaError> {
    let Some(first) = tiles.first() else {
        return Err(MediaError::Corrupt("no storyboard tiles".into()));
    };
    let (tw, th) = first.dimensions();
    let mut sprite = RgbImage::new(tw * board.columns, th * board.rows());
    for (i, tile) in (0u32..).zip(tiles) {
        let tile = sized(tile, (tw, th));
        let (x, y) = ((i % board.columns) * tw, (i / board.columns) * th);
        imageops::replace(&mut sprite, &tile, i64::from(x), i64::from(y));
    }
    Ok((encode_still(&sprite, StillFormat::Jpeg)?, (tw, th)))
}

/// `picture` at `size`: as it is when it has that size already, else scaled to it.
fn sized(picture: &RgbImage, (w, h): (u32, u32)) -> RgbImage {
    if picture.dimensions() == (w, h) {
        picture.clone()
    } else {
        imageops::resize(picture, w, h, FilterType::Triangle)
    }
}

/// A stored JPEG (the large thumbnail) back into a picture.
pub fn decode_jpeg(bytes: &[u8]) -> Result<RgbImage, MediaError> {
    image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Jpeg)
        .decode()
        .map(DynamicImage::into_rgb8)
        .map_err(|e| MediaError::Corrupt(format!("stored thumbnail does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use image::RgbaImage;

    use super::*;

    #[test]
    fn cover_crops_then_scales_to_the_exact_size() {
        let picture = RgbImage::new(576, 1024);
        let out = apply_geometry(
            &picture,
            Geometry::Crop {
                region: (0, 224, 576, 576),
                size: (200, 200),
            },
        );
        assert_eq!(out.dimensions(), (200, 200));
    }

    #[test]
    fn a_gif_has_one_frame_per_picture_and_a_sprite_one_tile_per_time() {
        let frames = vec![RgbImage::new(32, 18); 3];
        let gif = encode_animation(&frames, &[1.0, 1.1, 1.2], AnimationFormat::Gif).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(&gif)).unwrap();
        use image::AnimationDecoder;
        let frames = decoder.into_frames().collect_frames().unwrap();
        assert_eq!(frames.len(), 3);
        for frame in &frames {
            let (numer, denom) = frame.delay().numer_denom_ms();
            assert_eq!(numer / denom, 100);
        }
        let board = Storyboard::for_duration(25.0);
        let (jpeg, tile) = encode_sprite(&vec![RgbImage::new(16, 9); 13], &board).unwrap();
        assert_eq!(tile, (16, 9));
        assert_eq!(decode_jpeg(&jpeg).unwrap().dimensions(), (160, 18));
    }

    #[test]
    fn frame_times_become_a_strictly_increasing_timeline() {
        assert_eq!(timeline_ms(&[3.0, 3.1, 3.2]), (vec![0, 100, 200], 300));
        assert_eq!(timeline_ms(&[7.0]), (vec![0], 100));
        // Equal or backward times still move forward (libwebp refuses anything else).
        assert_eq!(
            timeline_ms(&[1.0, 1.0, 0.5, 1.5]),
            (vec![0, 1, 2, 500], 998)
        );
    }

    #[test]
    fn too_many_or_too_large_pictures_are_refused_before_encoding() {
        let many = vec![RgbImage::new(4, 4); MAX_FRAMES_PER_REQUEST + 1];
        let times: Vec<f64> = (0..many.len()).map(|i| i as f64 / 10.0).collect();
        let tall = vec![RgbImage::new(4, MAX_SIDE + 1)];
        for format in [AnimationFormat::Gif, AnimationFormat::Webp] {
            assert!(matches!(
                encode_animation(&many, &times, format),
                Err(MediaError::LimitExceeded(_))
            ));
            assert!(matches!(
                encode_animation(&tall, &[0.0], format),
                Err(MediaError::LimitExceeded(_))
            ));
            assert!(encode_animation(&many[..2], &[0.0], format).is_err());
        }
    }

    /// The 5 s preview the server makes of the B-frame fixture (360×640, a burnt-in clock),
    /// in both formats: the WebP is a real animation of the same frames, far smaller.
    #[test]
    fn a_lossy_webp_animation_has_every_frame_and_is_much_smaller_than_the_gif() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/h264-high-bframes.mp4");
        let limits = crate::limits::Limits::from_config(&crate::MediaConfig::default());
        let times: Vec<f64> = (0..50).map(|i| 3.0 + f64::from(i) / 10.0).collect();
        let frames = crate::images::frames::builtin_frames(
            &path,
            &times,
            crate::images::Pick::Exact,
            (320, MAX_SIDE),
            &limits,
        )
        .unwrap()
        .unwrap();
        assert_eq!(frames[0].dimensions(), (320, 568));
        let started = std::time::Instant::now();
        let gif = encode_animation(&frames, &times, AnimationFormat::Gif).unwrap();
        let gif_time = started.elapsed();
        let started = std::time::Instant::now();
        let webp = encode_animation(&frames, &times, AnimationFormat::Webp).unwrap();
        let webp_time = started.elapsed();
        println!(
            "50 frames of 320×568: GIF {} bytes in {gif_time:.2?}, WebP {} bytes in \
             {webp_time:.2?} ({:.1}× smaller)",
            gif.len(),
            webp.len(),
            gif.len() as f64 / webp.len() as f64
        );
        assert_eq!((&webp[..4], &webp[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
        assert!(webp.len() * 4 < gif.len(), "WebP not much smaller");

        let decoder = webp_animation::Decoder::new(&webp).unwrap();
        assert_eq!(decoder.dimensions(), (320, 568));
        let decoded: Vec<_> = decoder.into_iter().collect();
        assert_eq!(decoded.len(), 50);
        // libwebp reports when each frame ends: every 100 ms, 5 s in all.
        let ends: Vec<i32> = decoded.iter().map(|f| f.timestamp()).collect();
        assert_eq!(ends, (1..=50).map(|i| i * 100).collect::<Vec<_>>());
        // Lossy, but the same pictures: each close to its source, far from the last one.
        let rgb = |frame: &webp_animation::Frame| {
            DynamicImage::ImageRgba8(RgbaImage::from_raw(320, 568, frame.data().to_vec()).unwrap())
                .into_rgb8()
        };
        let difference = |a: &RgbImage, b: &RgbImage| {
            let total: u64 = a
                .as_raw()
                .iter()
                .zip(b.as_raw())
                .map(|(x, y)| u64::from(x.abs_diff(*y)))
                .sum();
            total as f64 / a.as_raw().len() as f64
        };
        let first = rgb(&decoded[0]);
        let (own, last_own) = (
            difference(&first, &frames[0]),
            difference(&rgb(&decoded[49]), &frames[49]),
        );
        let other = difference(&first, &frames[49]);
        println!("mean difference to its own frame {own:.2}, {last_own:.2}; to another {other:.2}");
        assert!(own < 5.0 && last_own < 5.0);
        assert!(other > 2.0 * own);
    }
}
