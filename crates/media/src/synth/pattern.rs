//! Paints the test picture, straight into planar YUV 4:2:0 (what the encoder takes), so there
//! is no per-pixel colour conversion: every shape is a solid rectangle whose colour is
//! converted once. The picture, top to bottom: colour bars, a caption with the seed, the
//! label in large type on a dark band, a square bouncing left and right, a frame counter
//! and time, and a progress bar; behind it all a vertical gradient in the seed's hue.
//!
//! The static layers are painted once; each frame copies them and adds the moving square,
//! the counter and the progress bar. It does not encode anything, and it draws nothing but
//! axis-aligned rectangles (text is rectangles too, one per lit font pixel).

use openh264::formats::YUVSource;

use super::font::{self, ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, LINE_HEIGHT};

/// An 8-bit sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

/// A colour in BT.601 limited-range YCbCr: what `frame.rs` assumes when it decodes, and
/// what untagged H.264 means to ffmpeg and browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Yuv {
    pub y: u8,
    pub u: u8,
    pub v: u8,
}

impl From<Rgb> for Yuv {
    /// BT.601 limited range in 8-bit fixed point (the usual integer approximation).
    fn from(Rgb(r, g, b): Rgb) -> Self {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        let clamp = |value: i32| value.clamp(0, 255) as u8;
        Self {
            y: clamp(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16),
            u: clamp(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128),
            v: clamp(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128),
        }
    }
}

/// HSV to RGB in integers: `hue` in degrees (any value, taken mod 360), `saturation` and
/// `value` out of 255. Integers so the picture is bit-for-bit the same everywhere.
pub(crate) fn hsv(hue: u32, saturation: u8, value: u8) -> Rgb {
    let hue = hue % 360;
    let (s, v) = (u32::from(saturation), u32::from(value));
    let rising = (hue % 60) * 255 / 60;
    let p = (v * (255 - s) / 255) as u8;
    let q = (v * (255 - s * rising / 255) / 255) as u8;
    let t = (v * (255 - s * (255 - rising) / 255) / 255) as u8;
    let v = v as u8;
    match hue / 60 {
        0 => Rgb(v, t, p),
        1 => Rgb(q, v, p),
        2 => Rgb(p, v, t),
        3 => Rgb(p, q, v),
        4 => Rgb(t, p, v),
        _ => Rgb(v, p, q),
    }
}

/// The seed's hue, spread by the golden ratio so consecutive seeds look far apart. Only
/// 180°–420° (cyan, blue, magenta, red, orange, yellow) is used: a mostly green picture is
/// what misread chroma looks like, to people and to the tests that check for it.
pub(crate) fn hue_for_seed(seed: u64) -> u32 {
    let fraction = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (180 + ((fraction * 240) >> 32) as u32) % 360
}

/// A planar YUV 4:2:0 picture with tightly packed rows; even width and height.
#[derive(Debug, Clone)]
pub(crate) struct Canvas {
    width: usize,
    height: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Canvas {
    pub(crate) fn new(width: usize, height: usize, colour: Yuv) -> Self {
        debug_assert!(width.is_multiple_of(2) && height.is_multiple_of(2));
        let chroma = (width / 2) * (height / 2);
        Self {
            width,
            height,
            y: vec![colour.y; width * height],
            u: vec![colour.u; chroma],
            v: vec![colour.v; chroma],
        }
    }

    /// Fills the rectangle, clipped to the picture. Chroma is shared by 2×2 luma pixels, so
    /// a rectangle starting or ending on an odd pixel also tints the chroma of its
    /// neighbour; shapes are laid out on even pixels where it matters.
    pub(crate) fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, colour: Yuv) {
        let (x1, y1) = ((x + w).min(self.width), (y + h).min(self.height));
        if x >= x1 || y >= y1 {
            return;
        }
        for row in y..y1 {
            self.y[row * self.width + x..row * self.width + x1].fill(colour.y);
        }
        let chroma_width = self.width / 2;
        for row in y / 2..y1.div_ceil(2) {
            let span = row * chroma_width + x / 2..row * chroma_width + x1.div_ceil(2);
            self.u[span.clone()].fill(colour.u);
            self.v[span].fill(colour.v);
        }
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel `scale`×`scale`.
    pub(crate) fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, colour: Yuv) {
        for (index, c) in text.chars().enumerate() {
            let left = x + index * ADVANCE * scale;
            for row in 0..GLYPH_HEIGHT {
                for column in 0..GLYPH_WIDTH {
                    if font::is_lit(c, column, row) {
                        let (px, py) = (left + column * scale, y + row * scale);
                        self.fill_rect(px, py, scale, scale, colour);
                    }
                }
            }
        }
    }

    /// Overwrites this picture with `other`, which has the same size.
    pub(crate) fn copy_from(&mut self, other: &Canvas) {
        self.y.copy_from_slice(&other.y);
        self.u.copy_from_slice(&other.u);
        self.v.copy_from_slice(&other.v);
    }

    #[cfg(test)]
    pub(crate) fn luma(&self, x: usize, y: usize) -> u8 {
        self.y[y * self.width + x]
    }
}

impl YUVSource for Canvas {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.width, self.width / 2, self.width / 2)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}

/// Width in pixels of `chars` characters at `scale` (no trailing blank column).
fn text_width(chars: usize, scale: usize) -> usize {
    (chars * ADVANCE).saturating_sub(1) * scale
}

/// Rounds down to an even number, so shapes start and end on chroma sample boundaries.
fn even(value: usize) -> usize {
    value & !1
}

/// Largest number of label lines, and the share of the height the label may take.
const MAX_LABEL_LINES: usize = 4;
const LABEL_HEIGHT_SHARE: f64 = 0.34;

/// The label's lines and the font scale that fits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelLayout {
    pub lines: Vec<String>,
    pub scale: usize,
}

/// The largest scale at which the whole label fits within the margins and its share of the
/// height; at scale 1 whatever still does not fit is cut short with `...`.
pub(crate) fn layout_label(label: &str, width: usize, height: usize) -> LabelLayout {
    let available_width = width - 2 * margin(width);
    let available_height = (height as f64 * LABEL_HEIGHT_SHARE) as usize;
    // Beyond ~9 characters per line on a phone-sized picture the text gains nothing.
    let max_scale = (width.min(height) / 45).max(1);
    let fits = |scale: usize| {
        let columns = (available_width + scale) / (ADVANCE * scale);
        let lines = (available_height / (LINE_HEIGHT * scale)).min(MAX_LABEL_LINES);
        (columns.max(1), lines.max(1))
    };
    for scale in (2..=max_scale).rev() {
        let (columns, lines) = fits(scale);
        let wrapped = font::wrap(label, columns, lines);
        if !wrapped.truncated {
            return LabelLayout {
                lines: wrapped.lines,
                scale,
            };
        }
    }
    let (columns, lines) = fits(1);
    LabelLayout {
        lines: font::wrap(label, columns, lines).lines,
        scale: 1,
    }
}

fn margin(width: usize) -> usize {
    even(width / 16).max(2)
}

/// The static picture of one clip and what changes per frame.
pub(crate) struct TestPattern {
    base: Canvas,
    width: usize,
    height: usize,
    frames: usize,
    fps: u32,
    hue: u32,
    /// Top of the strip the moving square runs along, and the square's side.
    lane_top: usize,
    square: usize,
    /// Frame counter text: top and scale.
    counter_top: usize,
    counter_scale: usize,
    /// Progress bar: top and thickness.
    bar_top: usize,
    bar_height: usize,
}

impl TestPattern {
    /// Lays out and paints the static layers for a `width`×`height` clip of `frames`
    /// frames at `fps`.
    pub(crate) fn new(
        label: &str,
        seed: u64,
        width: usize,
        height: usize,
        frames: usize,
        fps: u32,
    ) -> Self {
        let hue = hue_for_seed(seed);
        let at = |share: f64| even((height as f64 * share) as usize);
        let margin = margin(width);
        let small = width.min(height);
        let mut base = Canvas::new(width, height, Yuv::from(hsv(hue, 200, 120)));

        // Background: a vertical gradient from a dark to a bright shade of the hue, two rows
        // (one chroma row) at a time.
        for row in (0..height).step_by(2) {
            let value = 70 + 150 * row / height;
            base.fill_rect(0, row, width, 2, Yuv::from(hsv(hue, 190, value as u8)));
        }

        // Colour bars, 75% intensity, in the SMPTE order.
        let bars = [
            Rgb(191, 191, 191),
            Rgb(191, 191, 0),
            Rgb(0, 191, 191),
            Rgb(0, 191, 0),
            Rgb(191, 0, 191),
            Rgb(191, 0, 0),
            Rgb(0, 0, 191),
        ];
        let bars_bottom = at(0.10);
        for (index, colour) in bars.iter().enumerate() {
            let (left, right) = (
                even(width * index / bars.len()),
                even(width * (index + 1) / bars.len()),
            );
            base.fill_rect(left, 0, right - left, bars_bottom, Yuv::from(*colour));
        }

        let white = Yuv::from(Rgb(255, 255, 255));
        let shade = Yuv::from(hsv(hue, 150, 35));

        // Caption under the bars: what this is and which seed made it.
        let caption = format!("TEST CLIP #{seed}");
        let caption_scale = (small / 180).max(1);
        let caption_top = bars_bottom + even(small / 40).max(2);
        let caption_x = width.saturating_sub(text_width(caption.len(), caption_scale)) / 2;
        base.text(caption_x, caption_top, caption_scale, &caption, white);

        // The label, centred on a dark band around the 36% line.
        let layout = layout_label(label, width, height);
        let scale = layout.scale;
        let text_height = (layout.lines.len() * LINE_HEIGHT).saturating_sub(3) * scale;
        let padding = even(3 * scale).max(2);
        let band_height = even(text_height + 2 * padding);
        let band_top = even(at(0.36).saturating_sub(band_height / 2));
        base.fill_rect(0, band_top, width, band_height, shade);
        for (index, line) in layout.lines.iter().enumerate() {
            let line_width = text_width(line.chars().count(), scale);
            let x = even(width.saturating_sub(line_width) / 2);
            let y = band_top + padding + index * LINE_HEIGHT * scale;
            base.text(x, y, scale, line, white);
        }

        // The lane of the moving square: a darker strip so the square stands out. In
        // landscape the square is bounded by the lane's share of the height.
        let square = even((small / 6).min(height * 14 / 100)).max(2);
        let lane_top = at(0.62);
        base.fill_rect(0, lane_top - 2, width, square + 4, shade);

        // A strip behind the counter, and the progress bar's track.
        let counter_scale = (small / 150).max(1);
        let counter_top = at(0.80);
        let counter_height = (2 * LINE_HEIGHT - 3) * counter_scale;
        base.fill_rect(
            0,
            counter_top - 4,
            width,
            even(counter_height + 9),
            Yuv::from(Rgb(16, 16, 16)),
        );
        let bar_top = at(0.92);
        let bar_height = even(small / 40).max(2);
        base.fill_rect(
            margin,
            bar_top,
            width - 2 * margin,
            bar_height,
            Yuv::from(Rgb(40, 40, 40)),
        );

        Self {
            base,
            width,
            height,
            frames,
            fps,
            hue,
            lane_top,
            square,
            counter_top,
            counter_scale,
            bar_top,
            bar_height,
        }
    }

    /// A blank canvas of the clip's size, to pass to [`TestPattern::paint`].
    pub(crate) fn canvas(&self) -> Canvas {
        self.base.clone()
    }

    /// Paints frame `index` (0-based) into `out`.
    pub(crate) fn paint(&self, index: usize, out: &mut Canvas) {
        out.copy_from(&self.base);
        let margin = margin(self.width);

        // The square runs from margin to margin and back every two seconds.
        let period = (2 * self.fps as usize).max(2);
        let phase = index % period;
        let travel = self.width.saturating_sub(2 * margin + self.square);
        let forward = if phase < period / 2 {
            phase
        } else {
            period - phase
        };
        let x = even(margin + travel * forward / (period / 2));
        let accent = Yuv::from(hsv(self.hue + 180, 230, 250));
        out.fill_rect(x, self.lane_top, self.square, self.square, accent);

        // Counter and time.
        let scale = self.counter_scale;
        let x = even(margin);
        let digits = self.frames.to_string().len();
        let counter = format!("FRAME {:0digits$}/{}", index + 1, self.frames);
        let fps = f64::from(self.fps);
        let time = format!(
            "{:.2}s / {:.2}s",
            index as f64 / fps,
            self.frames as f64 / fps
        );
        let white = Yuv::from(Rgb(255, 255, 255));
        out.text(x, self.counter_top, scale, &counter, white);
        out.text(
            x,
            self.counter_top + LINE_HEIGHT * scale,
            scale,
            &time,
            white,
        );

        // Progress bar: full after the last frame.
        let track = self.width - 2 * margin;
        let done = even(track * (index + 1) / self.frames.max(1));
        out.fill_rect(margin, self.bar_top, done, self.bar_height, accent);
        debug_assert!(self.bar_top + self.bar_height <= self.height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_white_and_red_convert_to_bt601_limited_range() {
        assert_eq!(
            Yuv::from(Rgb(0, 0, 0)),
            Yuv {
                y: 16,
                u: 128,
                v: 128
            }
        );
        assert_eq!(
            Yuv::from(Rgb(255, 255, 255)),
            Yuv {
                y: 235,
                u: 128,
                v: 128
            }
        );
        // BT.601 red is about (81, 90, 240).
        let red = Yuv::from(Rgb(255, 0, 0));
        assert!(red.y.abs_diff(81) <= 1 && red.u.abs_diff(90) <= 1 && red.v.abs_diff(240) <= 1);
    }

    #[test]
    fn hsv_primaries_and_grey() {
        assert_eq!(hsv(0, 255, 255), Rgb(255, 0, 0));
        assert_eq!(hsv(120, 255, 255), Rgb(0, 255, 0));
        assert_eq!(hsv(240, 255, 255), Rgb(0, 0, 255));
        assert_eq!(hsv(400, 0, 128), Rgb(128, 128, 128));
    }

    #[test]
    fn seed_hues_avoid_green_and_neighbouring_seeds_differ() {
        let hues: Vec<u32> = (0..10).map(hue_for_seed).collect();
        for hue in &hues {
            assert!(!(61..180).contains(hue), "{hue} is greenish");
        }
        for pair in hues.windows(2) {
            let apart = pair[0]
                .abs_diff(pair[1])
                .min(360 - pair[0].abs_diff(pair[1]));
            assert!(apart >= 40, "{hues:?}");
        }
    }

    #[test]
    fn text_lights_scaled_glyph_pixels_and_nothing_else() {
        let (black, white) = (Yuv::from(Rgb(0, 0, 0)), Yuv::from(Rgb(255, 255, 255)));
        let mut canvas = Canvas::new(16, 20, black);
        canvas.text(2, 2, 2, "L", white);
        for y in 0..20 {
            for x in 0..16 {
                // 'L': the left column and the bottom row of the 5×7 glyph, doubled.
                let (column, row) = ((x as isize - 2) / 2, (y as isize - 2) / 2);
                let inside = x >= 2 && y >= 2 && column < 5 && row < 7;
                let lit = inside && (column == 0 || row == 6);
                let expected = if lit { 235 } else { 16 };
                assert_eq!(canvas.luma(x, y), expected, "pixel ({x}, {y})");
            }
        }
    }

    #[test]
    fn rectangles_are_clipped_to_the_canvas() {
        let mut canvas = Canvas::new(8, 8, Yuv { y: 0, u: 0, v: 0 });
        canvas.fill_rect(6, 6, 10, 10, Yuv { y: 9, u: 9, v: 9 });
        assert_eq!(canvas.luma(7, 7), 9);
        assert_eq!(canvas.luma(5, 7), 0);
        canvas.fill_rect(20, 20, 4, 4, Yuv { y: 1, u: 1, v: 1 });
    }

    #[test]
    fn a_short_label_is_drawn_large_and_a_long_one_smaller_or_cut() {
        let short = layout_label("Clip 1", 360, 640);
        assert_eq!(short.lines, ["Clip 1"]);
        assert!(short.scale >= 6, "{short:?}");
        let title = layout_label("Demo: clip 3 by demo creator 2", 360, 640);
        assert!(title.scale >= 4 && title.lines.len() <= 4, "{title:?}");
        let long = layout_label(&"word ".repeat(40), 64, 64);
        assert_eq!(long.scale, 1);
        assert!(long.lines.last().unwrap().ends_with("..."), "{long:?}");
    }

    #[test]
    fn consecutive_frames_differ_and_the_same_frame_is_the_same() {
        let pattern = TestPattern::new("Hello", 3, 96, 160, 20, 10);
        let (mut a, mut b) = (pattern.canvas(), pattern.canvas());
        pattern.paint(4, &mut a);
        pattern.paint(5, &mut b);
        assert_ne!(a.y, b.y);
        pattern.paint(4, &mut b);
        assert_eq!((a.y, a.u, a.v), (b.y, b.u, b.v));
    }

    #[test]
    fn different_seeds_paint_different_colours() {
        let (one, two) = (
            TestPattern::new("Same", 1, 96, 160, 10, 10),
            TestPattern::new("Same", 2, 96, 160, 10, 10),
        );
        let (mut a, mut b) = (one.canvas(), two.canvas());
        one.paint(0, &mut a);
        two.paint(0, &mut b);
        assert_ne!(a.u, b.u);
    }
}
