//! Images made from a video on request (Mux-style): a still at a time, a short animation (GIF
//! or WebP), a storyboard. This module holds the parameters, parsed once into values that
//! cannot be out of bounds, the geometry formulas, and the stable names the results are cached
//! under. Pure: no decoding, no I/O.
//!
//! Bounds: `time`/`start` within the video's duration (else refused), `width`/`height`
//! 1..=1920 for stills and 1..=320 for animations (else refused), at most 5 s at 10 fps per
//! animation, at most 100 storyboard tiles.
//!
//! `fit`, after Mux's `fit_mode`:
//! - `contain` (default): the whole picture, aspect kept, as large as fits `width`×`height`
//!   (only one given: that side exact, the other from the aspect ratio);
//! - `cover`: exactly `width`×`height`, aspect kept, the overflow cropped around the centre;
//! - `fill`: exactly `width`×`height`, stretched.
//!
//! `cover` and `fill` need both sides; with one they behave as `contain`. Without `width`
//! and `height` a still fits within 360×200 and is never upscaled: today's thumbnail.

use std::fmt;

/// Largest side of a still.
pub const MAX_SIDE: u32 = 1920;
/// The box a still fits in without `width` and `height` (the Video API's thumbnail size).
pub const DEFAULT_BOUNDS: (u32, u32) = (360, 200);
/// Widest (and default) animation.
pub const ANIMATION_MAX_WIDTH: u32 = 320;
/// Longest animation, in milliseconds.
pub const ANIMATION_MAX_MS: u32 = 5_000;
/// Frames per second of an animation.
pub const ANIMATION_FPS: u32 = 10;
/// Width of a storyboard tile (never wider than the video).
pub const STORYBOARD_TILE_WIDTH: u32 = 160;
/// Tiles per sprite row.
pub const STORYBOARD_COLUMNS: u32 = 10;
/// Most tiles in a storyboard; longer videos get a longer interval.
pub const STORYBOARD_MAX_TILES: u32 = 100;
/// Shortest interval between storyboard tiles, in seconds.
pub const STORYBOARD_MIN_INTERVAL_SECONDS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fit {
    Contain,
    Cover,
    Fill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StillFormat {
    Jpeg,
    Webp,
}

impl StillFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// How an animation is encoded: a looping GIF, or a looping lossy WebP (far smaller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnimationFormat {
    Gif,
    Webp,
}

impl AnimationFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

/// One refused query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageParamError {
    pub param: &'static str,
    pub message: String,
}

impl fmt::Display for ImageParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

/// A still: `time` (ms; `None` = the stored thumbnail's picture), size and fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StillSpec {
    time_ms: Option<u32>,
    width: Option<u32>,
    height: Option<u32>,
    fit: Fit,
    format: StillFormat,
}

/// An animation: `start` (ms), width and format; length, frame rate and height follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnimationSpec {
    start_ms: u32,
    width: u32,
    format: AnimationFormat,
}

/// What is cached for a video, by a name stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKey {
    Still(StillSpec),
    Animation(AnimationSpec),
    StoryboardVtt,
    StoryboardSprite,
}

impl ImageKey {
    /// The object's name under the video's `images/` prefix.
    pub fn object_name(&self) -> String {
        let side = |v: Option<u32>| v.map_or_else(|| "a".to_owned(), |v| v.to_string());
        match self {
            Self::Still(s) => format!(
                "still-t{}-w{}-h{}-{}.{}",
                s.time_ms.map_or_else(|| "d".to_owned(), |t| t.to_string()),
                side(s.width),
                side(s.height),
                match s.fit {
                    Fit::Contain => "contain",
                    Fit::Cover => "cover",
                    Fit::Fill => "fill",
                },
                s.format.extension()
            ),
            Self::Animation(a) => format!(
                "animated-s{}-w{}.{}",
                a.start_ms,
                a.width,
                a.format.extension()
            ),
            Self::StoryboardVtt => "storyboard.vtt".into(),
            Self::StoryboardSprite => "storyboard.jpg".into(),
        }
    }
}

/// Query parameters by name (absent → `None`).
pub type Params<'p, 'v> = &'p dyn Fn(&str) -> Option<&'v str>;

/// Milliseconds within `0..=duration`, from seconds as text.
fn parse_time(
    param: &'static str,
    raw: &str,
    duration_seconds: f64,
) -> Result<u32, ImageParamError> {
    let refuse = |message: String| ImageParamError { param, message };
    let seconds: f64 = raw
        .trim()
        .parse()
        .map_err(|_| refuse("Input should be a valid number".into()))?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(refuse("Input should be greater than or equal to 0".into()));
    }
    if seconds > duration_seconds.max(0.0) {
        return Err(refuse(format!(
            "Input should be less than or equal to the video's duration ({duration_seconds:.3})"
        )));
    }
    Ok((seconds * 1000.0).round() as u32)
}

fn parse_side(param: &'static str, raw: &str, max: u32) -> Result<u32, ImageParamError> {
    let refuse = |message: String| ImageParamError { param, message };
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| refuse("Input should be a valid integer".into()))?;
    if !(1..=i64::from(max)).contains(&value) {
        return Err(refuse(format!("Input should be between 1 and {max}")));
    }
    Ok(value as u32)
}

/// Runs each parser on its parameter when present, collecting every refusal.
fn field<T>(
    params: Params<'_, '_>,
    name: &'static str,
    errors: &mut Vec<ImageParamError>,
    parse: impl FnOnce(&str) -> Result<T, ImageParamError>,
) -> Option<T> {
    match params(name).map(parse)? {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

impl StillSpec {
    pub fn parse(
        params: Params<'_, '_>,
        format: StillFormat,
        duration_seconds: f64,
    ) -> Result<Self, Vec<ImageParamError>> {
        let mut errors = Vec::new();
        let time_ms = field(params, "time", &mut errors, |raw| {
            parse_time("time", raw, duration_seconds)
        });
        let width = field(params, "width", &mut errors, |raw| {
            parse_side("width", raw, MAX_SIDE)
        });
        let height = field(params, "height", &mut errors, |raw| {
            parse_side("height", raw, MAX_SIDE)
        });
        let fit = field(params, "fit", &mut errors, |raw| match raw {
            "contain" => Ok(Fit::Contain),
            "cover" => Ok(Fit::Cover),
            "fill" => Ok(Fit::Fill),
            _ => Err(ImageParamError {
                param: "fit",
                message: "Input should be 'contain', 'cover' or 'fill'".into(),
            }),
        })
        .unwrap_or(Fit::Contain);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            time_ms,
            width,
            height,
            fit,
            format,
        })
    }

    pub fn time_ms(&self) -> Option<u32> {
        self.time_ms
    }

    pub fn format(&self) -> StillFormat {
        self.format
    }

    /// Exactly today's thumbnail: no parameters, JPEG.
    pub fn is_default_thumbnail(&self) -> bool {
        self.time_ms.is_none()
            && self.width.is_none()
            && self.height.is_none()
            && self.format == StillFormat::Jpeg
    }

    /// How a picture of `source` size becomes this still.
    pub fn geometry(&self, source: (u32, u32)) -> Geometry {
        let source = (source.0.max(1), source.1.max(1));
        match (self.width, self.height, self.fit) {
            (None, None, _) => Geometry::Scale(fit_within(source, DEFAULT_BOUNDS, false)),
            (Some(w), Some(h), Fit::Fill) => Geometry::Scale((w, h)),
            (Some(w), Some(h), Fit::Cover) => Geometry::Crop {
                region: cover_region(source, (w, h)),
                size: (w, h),
            },
            (w, h, _) => Geometry::Scale(fit_within(
                source,
                (w.unwrap_or(MAX_SIDE), h.unwrap_or(MAX_SIDE)),
                true,
            )),
        }
    }
}

/// Scale the whole picture to `size`, or crop `region` (x, y, w, h) and scale it to `size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geometry {
    Scale((u32, u32)),
    Crop {
        region: (u32, u32, u32, u32),
        size: (u32, u32),
    },
}

/// The largest size with `size`'s aspect ratio within `bounds` (rounded down, at least
/// 1 px, as the stored thumbnails); without `upscale`, never larger than `size`.
pub fn fit_within(size: (u32, u32), bounds: (u32, u32), upscale: bool) -> (u32, u32) {
    let (w, h) = (u64::from(size.0.max(1)), u64::from(size.1.max(1)));
    let (bw, bh) = (u64::from(bounds.0.max(1)), u64::from(bounds.1.max(1)));
    if !upscale && w <= bw && h <= bh {
        return (w as u32, h as u32);
    }
    if w * bh <= bw * h {
        // Height is the limiting side.
        ((w * bh / h).max(1) as u32, bh as u32)
    } else {
        (bw as u32, (h * bw / w).max(1) as u32)
    }
}

/// The centred region of `source` with `target`'s aspect ratio.
fn cover_region(source: (u32, u32), target: (u32, u32)) -> (u32, u32, u32, u32) {
    let (sw, sh) = (u64::from(source.0), u64::from(source.1));
    let (tw, th) = (u64::from(target.0), u64::from(target.1));
    if sw * th > tw * sh {
        // Source is wider: keep its height.
        let w = (sh * tw / th).clamp(1, sw);
        (((sw - w) / 2) as u32, 0, w as u32, sh as u32)
    } else {
        let h = (sw * th / tw).clamp(1, sh);
        (0, ((sh - h) / 2) as u32, sw as u32, h as u32)
    }
}

impl AnimationSpec {
    pub fn parse(
        params: Params<'_, '_>,
        format: AnimationFormat,
        duration_seconds: f64,
    ) -> Result<Self, Vec<ImageParamError>> {
        let mut errors = Vec::new();
        let start_ms = field(params, "start", &mut errors, |raw| {
            parse_time("start", raw, duration_seconds)
        })
        .unwrap_or(0);
        let width = field(params, "width", &mut errors, |raw| {
            parse_side("width", raw, ANIMATION_MAX_WIDTH)
        })
        .unwrap_or(ANIMATION_MAX_WIDTH);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            start_ms,
            width,
            format,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn format(&self) -> AnimationFormat {
        self.format
    }

    /// Frame times in seconds: every 1/10 s from `start` for up to 5 s, within the video;
    /// at least one frame.
    pub fn frame_times(&self, duration_seconds: f64) -> Vec<f64> {
        let duration_ms = (duration_seconds.max(0.0) * 1000.0) as u32;
        let length_ms = duration_ms
            .saturating_sub(self.start_ms)
            .min(ANIMATION_MAX_MS);
        let step_ms = 1000 / ANIMATION_FPS;
        let count = (length_ms / step_ms).max(1);
        (0..count)
            .map(|i| f64::from(self.start_ms + i * step_ms) / 1000.0)
            .collect()
    }
}

/// The storyboard of a video of `duration_seconds`: tiles every `interval_seconds`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Storyboard {
    pub duration_seconds: f64,
    pub interval_seconds: u32,
    pub tiles: u32,
    pub columns: u32,
}

impl Storyboard {
    pub fn for_duration(duration_seconds: f64) -> Self {
        let duration_seconds = duration_seconds.max(0.0);
        let needed = (duration_seconds / f64::from(STORYBOARD_MAX_TILES)).ceil() as u32;
        let interval_seconds = needed.max(STORYBOARD_MIN_INTERVAL_SECONDS);
        let tiles = ((duration_seconds / f64::from(interval_seconds)).ceil() as u32)
            .clamp(1, STORYBOARD_MAX_TILES);
        Self {
            duration_seconds,
            interval_seconds,
            tiles,
            columns: tiles.min(STORYBOARD_COLUMNS),
        }
    }

    pub fn rows(&self) -> u32 {
        self.tiles.div_ceil(self.columns)
    }

    /// When each tile starts, in seconds.
    pub fn tile_times(&self) -> Vec<f64> {
        (0..self.tiles)
            .map(|i| f64::from(i * self.interval_seconds))
            .collect()
    }

    /// The WebVTT text: one cue per tile, together covering `0..duration`, pointing at
    /// `sprite_url#xywh=x,y,w,h` for tiles of `tile` size.
    pub fn vtt(&self, sprite_url: &str, tile: (u32, u32)) -> String {
        let mut out = String::from("WEBVTT\n");
        for i in 0..self.tiles {
            let start = f64::from(i * self.interval_seconds);
            let end = if i + 1 == self.tiles {
                self.duration_seconds
            } else {
                f64::from((i + 1) * self.interval_seconds)
            };
            let (x, y) = ((i % self.columns) * tile.0, (i / self.columns) * tile.1);
            out.push_str(&format!(
                "\n{} --> {}\n{sprite_url}#xywh={x},{y},{},{}\n",
                vtt_time(start),
                vtt_time(end),
                tile.0,
                tile.1
            ));
        }
        out
    }
}

/// `hh:mm:ss.mmm`.
fn vtt_time(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    fn still(pairs: &[(&str, &str)]) -> Result<StillSpec, Vec<ImageParamError>> {
        let get = params(pairs);
        StillSpec::parse(&get, StillFormat::Jpeg, 10.0)
    }

    #[test]
    fn no_parameters_is_todays_thumbnail() {
        let spec = still(&[]).unwrap();
        assert!(spec.is_default_thumbnail());
        assert_eq!(spec.geometry((576, 1024)), Geometry::Scale((112, 200)));
        assert_eq!(spec.geometry((100, 50)), Geometry::Scale((100, 50)));
    }

    #[test]
    fn contain_with_one_side_keeps_the_aspect_ratio() {
        let spec = still(&[("width", "288")]).unwrap();
        assert_eq!(spec.geometry((576, 1024)), Geometry::Scale((288, 512)));
        let spec = still(&[("width", "400"), ("height", "400")]).unwrap();
        assert_eq!(spec.geometry((576, 1024)), Geometry::Scale((225, 400)));
    }

    #[test]
    fn cover_crops_the_centre_and_fill_stretches() {
        let spec = still(&[("width", "200"), ("height", "200"), ("fit", "cover")]).unwrap();
        assert_eq!(
            spec.geometry((576, 1024)),
            Geometry::Crop {
                region: (0, 224, 576, 576),
                size: (200, 200)
            }
        );
        let spec = still(&[("width", "200"), ("height", "100"), ("fit", "fill")]).unwrap();
        assert_eq!(spec.geometry((576, 1024)), Geometry::Scale((200, 100)));
    }

    #[test]
    fn out_of_bounds_parameters_are_all_refused() {
        let errors = still(&[
            ("time", "10.5"),
            ("width", "1921"),
            ("height", "0"),
            ("fit", "zoom"),
        ])
        .unwrap_err();
        let params: Vec<_> = errors.iter().map(|e| e.param).collect();
        assert_eq!(params, ["time", "width", "height", "fit"]);
        assert!(still(&[("time", "-1")]).is_err());
        assert!(still(&[("time", "NaN")]).is_err());
        assert_eq!(still(&[("time", "2.5")]).unwrap().time_ms(), Some(2500));
    }

    #[test]
    fn an_animation_is_at_most_five_seconds_at_ten_fps_within_the_video() {
        let get = params(&[("start", "1")]);
        let spec = AnimationSpec::parse(&get, AnimationFormat::Gif, 3.0).unwrap();
        let times = spec.frame_times(3.0);
        assert_eq!(times.len(), 20);
        assert_eq!((times[0], times[19]), (1.0, 2.9));
        let get = params(&[]);
        assert_eq!(
            AnimationSpec::parse(&get, AnimationFormat::Webp, 60.0)
                .unwrap()
                .frame_times(60.0)
                .len(),
            50
        );
        let get = params(&[("width", "321")]);
        assert!(AnimationSpec::parse(&get, AnimationFormat::Webp, 60.0).is_err());
    }

    #[test]
    fn an_animations_format_is_kept_and_its_bounds_are_the_same_in_both() {
        for format in [AnimationFormat::Gif, AnimationFormat::Webp] {
            let get = params(&[("start", "2.5"), ("width", "120")]);
            let spec = AnimationSpec::parse(&get, format, 10.0).unwrap();
            assert_eq!((spec.format(), spec.width()), (format, 120));
            assert_eq!(spec.frame_times(10.0).len(), 50);
            let get = params(&[]);
            let spec = AnimationSpec::parse(&get, format, 10.0).unwrap();
            assert_eq!(spec.width(), ANIMATION_MAX_WIDTH);
            let get = params(&[("start", "11"), ("width", "0")]);
            let errors = AnimationSpec::parse(&get, format, 10.0).unwrap_err();
            let params: Vec<_> = errors.iter().map(|e| e.param).collect();
            assert_eq!(params, ["start", "width"], "{format:?}");
        }
        assert_eq!(AnimationFormat::Gif.mime_type(), "image/gif");
        assert_eq!(AnimationFormat::Webp.mime_type(), "image/webp");
    }

    #[test]
    fn storyboard_cues_cover_the_whole_duration() {
        let board = Storyboard::for_duration(5.5);
        assert_eq!(
            (board.interval_seconds, board.tiles, board.rows()),
            (2, 3, 1)
        );
        let vtt = board.vtt("s.jpg", (160, 90));
        assert!(vtt.starts_with("WEBVTT\n"));
        assert!(vtt.contains("00:00:00.000 --> 00:00:02.000\ns.jpg#xywh=0,0,160,90"));
        assert!(vtt.contains("00:00:04.000 --> 00:00:05.500\ns.jpg#xywh=320,0,160,90"));
        let long = Storyboard::for_duration(3600.0);
        assert_eq!(
            (long.interval_seconds, long.tiles, long.rows()),
            (36, 100, 10)
        );
    }

    #[test]
    fn cache_names_tell_the_parameters_apart() {
        let a = ImageKey::Still(still(&[("time", "1")]).unwrap()).object_name();
        let b = ImageKey::Still(still(&[("time", "1"), ("fit", "cover")]).unwrap()).object_name();
        assert_eq!(a, "still-t1000-wa-ha-contain.jpg");
        assert_ne!(a, b);
    }

    #[test]
    fn a_gif_and_a_webp_of_one_animation_are_cached_side_by_side() {
        let get = params(&[("start", "2.5"), ("width", "120")]);
        let name = |format| {
            ImageKey::Animation(AnimationSpec::parse(&get, format, 10.0).unwrap()).object_name()
        };
        // The GIF keeps the name it was cached under before WebP existed.
        assert_eq!(name(AnimationFormat::Gif), "animated-s2500-w120.gif");
        assert_eq!(name(AnimationFormat::Webp), "animated-s2500-w120.webp");
    }
}
