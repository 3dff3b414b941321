//! Turns one upright-or-rotated RGB frame into the two JPEG thumbnails: rotate to display
//! orientation, fit within 720×1280 and 360×200 keeping the aspect ratio and never
//! upscaling, encode at quality 80. Shared by the built-in and ffmpeg pipelines, so both
//! produce identical sizes. No decoding here.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{ExtendedColorType, ImageEncoder, RgbImage};

use crate::{Jpeg, MediaError, Thumbnails};

/// Bounding box of the small thumbnail (lists, the Video API).
pub(crate) const SMALL_BOUNDS: (u32, u32) = (360, 200);
/// Bounding box of the large thumbnail (the Creator API).
pub(crate) const LARGE_BOUNDS: (u32, u32) = (720, 1280);
const JPEG_QUALITY: u8 = 80;

/// The largest size that fits `bounds` with the aspect ratio of `size`; `size` itself when it
/// already fits. Rounds down, and never below 1 pixel.
pub(crate) fn fit_within(size: (u32, u32), bounds: (u32, u32)) -> (u32, u32) {
    let (w, h) = (u64::from(size.0.max(1)), u64::from(size.1.max(1)));
    let (max_w, max_h) = (u64::from(bounds.0), u64::from(bounds.1));
    if w <= max_w && h <= max_h {
        return (w as u32, h as u32);
    }
    if w * max_h <= max_w * h {
        // Height is the limiting side.
        ((w * max_h / h).max(1) as u32, max_h as u32)
    } else {
        (max_w as u32, (h * max_w / w).max(1) as u32)
    }
}

/// Rotates `frame` clockwise by `rotation_degrees` and renders both thumbnails.
pub(crate) fn render(frame: RgbImage, rotation_degrees: u16) -> Result<Thumbnails, MediaError> {
    let upright = match rotation_degrees {
        90 => imageops::rotate90(&frame),
        180 => imageops::rotate180(&frame),
        270 => imageops::rotate270(&frame),
        _ => frame,
    };
    let large = resize_to_fit(upright, LARGE_BOUNDS);
    let small = resize_to_fit(large.clone(), SMALL_BOUNDS);
    Ok(Thumbnails {
        small: encode_jpeg(&small)?,
        large: encode_jpeg(&large)?,
    })
}

fn resize_to_fit(image: RgbImage, bounds: (u32, u32)) -> RgbImage {
    let (w, h) = fit_within(image.dimensions(), bounds);
    if (w, h) == image.dimensions() {
        image
    } else {
        // Triangle (bilinear with a support scaled to the reduction) avoids aliasing on big
        // reductions and costs a third of CatmullRom; at thumbnail sizes they look the same.
        imageops::resize(&image, w, h, FilterType::Triangle)
    }
}

fn encode_jpeg(image: &RgbImage) -> Result<Jpeg, MediaError> {
    let mut bytes = Vec::with_capacity(image.as_raw().len() / 8);
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("JPEG encoding failed: {e}"))))?;
    Ok(Jpeg {
        bytes,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portrait_video_fits_the_small_box_by_height() {
        assert_eq!(fit_within((576, 1024), SMALL_BOUNDS), (112, 200));
    }

    #[test]
    fn small_videos_are_never_upscaled() {
        assert_eq!(fit_within((576, 1024), LARGE_BOUNDS), (576, 1024));
        assert_eq!(fit_within((160, 90), SMALL_BOUNDS), (160, 90));
    }

    #[test]
    fn landscape_video_fits_by_width_or_height() {
        assert_eq!(fit_within((1920, 1080), SMALL_BOUNDS), (355, 200));
        assert_eq!(fit_within((1920, 1080), LARGE_BOUNDS), (720, 405));
        assert_eq!(fit_within((4000, 10), SMALL_BOUNDS), (360, 1));
    }

    #[test]
    fn rotation_swaps_the_thumbnail_orientation() {
        let thumbs = render(RgbImage::new(400, 100), 90).unwrap();
        assert_eq!((thumbs.large.width, thumbs.large.height), (100, 400));
        assert_eq!((thumbs.small.width, thumbs.small.height), (50, 200));
    }
}
