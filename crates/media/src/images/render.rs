//! Pictures into image files: a still cut to its geometry as JPEG or WebP, an animation as a
//! looping GIF, storyboard tiles as one JPEG sprite. No decoding of video here.

use std::io::Cursor;

use domain::images::{ANIMATION_FPS, Geometry, StillFormat, Storyboard};
use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::{self, FilterType};
use image::{Delay, DynamicImage, ExtendedColorType, Frame, ImageEncoder, RgbImage};

use crate::MediaError;

const JPEG_QUALITY: u8 = 80;
/// NeuQuant sampling for GIF palettes: 1 best … 30 fastest. 30 took a 50-frame 320×568
/// preview of a phone clip from 2.9 s to 1.9 s (release, busy 2-core machine).
const GIF_SPEED: i32 = 30;

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

/// A looping GIF of `frames` at [`ANIMATION_FPS`], each scaled to the first one's size.
pub fn encode_animation(frames: &[RgbImage]) -> Result<Vec<u8>, MediaError> {
    let Some(first) = frames.first() else {
        return Err(MediaError::Corrupt("no pictures to animate".into()));
    };
    let (w, h) = first.dimensions();
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, GIF_SPEED);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| failed("GIF", e))?;
        let delay = Delay::from_numer_denom_ms(1000, ANIMATION_FPS);
        for frame in frames {
            let frame = if frame.dimensions() == (w, h) {
                frame.clone()
            } else {
                imageops::resize(frame, w, h, FilterType::Triangle)
            };
            let rgba = DynamicImage::ImageRgb8(frame).into_rgba8();
            encoder
                .encode_frame(Frame::from_parts(rgba, 0, 0, delay))
                .map_err(|e| failed("GIF", e))?;
        }
    }
    Ok(bytes)
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
        let tile = if tile.dimensions() == (tw, th) {
            tile.clone()
        } else {
            imageops::resize(tile, tw, th, FilterType::Triangle)
        };
        let (x, y) = ((i % board.columns) * tw, (i / board.columns) * th);
        imageops::replace(&mut sprite, &tile, i64::from(x), i64::from(y));
    }
    Ok((encode_still(&sprite, StillFormat::Jpeg)?, (tw, th)))
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
        let gif = encode_animation(&frames).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(&gif)).unwrap();
        use image::AnimationDecoder;
        assert_eq!(decoder.into_frames().count(), 3);
        let board = Storyboard::for_duration(25.0);
        let (jpeg, tile) = encode_sprite(&vec![RgbImage::new(16, 9); 13], &board).unwrap();
        assert_eq!(tile, (16, 9));
        assert_eq!(decode_jpeg(&jpeg).unwrap().dimensions(), (160, 18));
    }
}
