//! A decoded picture in planar YUV 4:2:0 and the two things we ask of it: "is it nearly
//! uniform?" (black fades, white flashes make useless thumbnails) and conversion to RGB.
//! The conversion uses BT.601 limited-range coefficients, the default ffmpeg applies to
//! untagged H.264; a swapped or misread chroma plane shows up as the infamous green frame,
//! which the integration tests check for.

use image::RgbImage;

/// Luma standard deviation below which a frame counts as uniform (a black, white or flat
/// frame). Real content sits well above 20; fades and title cards under 6.
pub(crate) const UNIFORM_LUMA_STD_DEV: f64 = 6.0;

/// Planar 4:2:0 picture with tightly packed rows.
#[derive(Debug, Clone)]
pub(crate) struct YuvFrame {
    pub width: usize,
    pub height: usize,
    /// `width × height` luma samples.
    pub y: Vec<u8>,
    /// `chroma_width × chroma_height` samples each.
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl YuvFrame {
    pub(crate) fn chroma_width(&self) -> usize {
        self.width.div_ceil(2)
    }

    /// Standard deviation of luma over a sparse grid (every 4th pixel of every 4th row:
    /// plenty to tell a flat frame from a real one, 16× cheaper than every pixel).
    pub(crate) fn luma_std_dev(&self) -> f64 {
        let (mut n, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
        for row in (0..self.height).step_by(4) {
            for col in (0..self.width).step_by(4) {
                let value = f64::from(self.y[row * self.width + col]);
                n += 1.0;
                sum += value;
                sum_sq += value * value;
            }
        }
        if n == 0.0 {
            return 0.0;
        }
        let mean = sum / n;
        (sum_sq / n - mean * mean).max(0.0).sqrt()
    }

    pub(crate) fn is_nearly_uniform(&self) -> bool {
        self.luma_std_dev() < UNIFORM_LUMA_STD_DEV
    }

    /// BT.601 limited range → full-range RGB, fixed point (coefficients × 2^16).
    pub(crate) fn to_rgb(&self) -> RgbImage {
        let (width, height) = (self.width, self.height);
        let chroma_width = self.chroma_width();
        let mut rgb = vec![0u8; width * height * 3];
        for (row, out_row) in rgb.chunks_exact_mut(width * 3).enumerate() {
            let luma_row = &self.y[row * width..(row + 1) * width];
            let chroma_start = (row / 2) * chroma_width;
            let u_row = &self.u[chroma_start..chroma_start + chroma_width];
            let v_row = &self.v[chroma_start..chroma_start + chroma_width];
            for (col, pixel) in out_row.chunks_exact_mut(3).enumerate() {
                let c = 76_309 * (i32::from(luma_row[col]) - 16);
                let d = i32::from(u_row[col / 2]) - 128;
                let e = i32::from(v_row[col / 2]) - 128;
                pixel[0] = clamp_fixed(c + 104_597 * e);
                pixel[1] = clamp_fixed(c - 25_675 * d - 53_279 * e);
                pixel[2] = clamp_fixed(c + 132_201 * d);
            }
        }
        RgbImage::from_raw(width as u32, height as u32, rgb).expect("buffer sized from dimensions")
    }
}

fn clamp_fixed(value: i32) -> u8 {
    ((value + 32_768) >> 16).clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(y: u8, u: u8, v: u8) -> YuvFrame {
        YuvFrame {
            width: 4,
            height: 4,
            y: vec![y; 16],
            u: vec![u; 4],
            v: vec![v; 4],
        }
    }

    #[test]
    fn limited_range_black_and_white_map_to_full_range() {
        assert_eq!(flat(16, 128, 128).to_rgb().get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(
            flat(235, 128, 128).to_rgb().get_pixel(3, 3).0,
            [255, 255, 255]
        );
    }

    #[test]
    fn bt601_red_comes_out_red() {
        // BT.601 limited-range pure red.
        let [r, g, b] = flat(81, 90, 240).to_rgb().get_pixel(1, 1).0;
        assert!(r > 240 && g < 15 && b < 15, "{r} {g} {b}");
    }

    #[test]
    fn a_flat_frame_is_uniform_and_a_gradient_is_not() {
        assert!(flat(16, 128, 128).is_nearly_uniform());
        let mut gradient = flat(0, 128, 128);
        gradient.y = (0..16).map(|i| (i * 16) as u8).collect();
        gradient.width = 16;
        gradient.height = 1;
        assert!(!gradient.is_nearly_uniform());
    }
}
