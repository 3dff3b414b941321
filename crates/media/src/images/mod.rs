//! Images made from a stored video on request: pictures at chosen times (built-in H.264
//! decoding, ffmpeg for everything else) and their encoding as stills, animations and
//! storyboard sprites. Parameters and geometry are `domain::images`; caching is the caller's.
//!
//! - `frames`: the built-in decoder's pictures at given times.
//! - `render`: pictures into JPEG/WebP/GIF/sprite bytes.

mod frames;
mod render;

pub use frames::Pick;
pub use render::{apply_geometry, decode_jpeg, encode_animation, encode_sprite, encode_still};

use std::path::Path;

pub use image::RgbImage;
use image::imageops::{self, FilterType};

use crate::{MediaError, Pipeline, limits};

/// Which pictures to decode: `times` (seconds, evenly spaced when more than one), chosen by
/// `pick`, each upright and shrunk to fit `bounds` (never enlarged).
#[derive(Debug, Clone)]
pub struct FrameRequest {
    pub times: Vec<f64>,
    pub pick: Pick,
    pub bounds: (u32, u32),
}

/// Most pictures one request may ask for (a 5 s animation is 50, a storyboard 100).
pub const MAX_FRAMES_PER_REQUEST: usize = 100;

impl Pipeline {
    /// The pictures `request` asks for from the video at `path`, whose display size is
    /// `display`: in-process for H.264 MP4, else through ffmpeg (one run) when available.
    pub async fn frames(
        &self,
        path: &Path,
        display: (u32, u32),
        request: FrameRequest,
    ) -> Result<Vec<RgbImage>, MediaError> {
        if request.times.is_empty() || request.times.len() > MAX_FRAMES_PER_REQUEST {
            return Err(MediaError::LimitExceeded(format!(
                "{} pictures asked for (1 to {MAX_FRAMES_PER_REQUEST})",
                request.times.len()
            )));
        }
        let owned = path.to_path_buf();
        let limits = limits::Limits::from_config(&self.config);
        let builtin_request = request.clone();
        let builtin = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(|| {
                frames::builtin_frames(
                    &owned,
                    &builtin_request.times,
                    builtin_request.pick,
                    builtin_request.bounds,
                    &limits,
                )
            })
            .unwrap_or_else(|_| Err(MediaError::Corrupt("the file crashed the decoder".into())))
        })
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("decoding task failed: {e}"))))?;
        // Past the built-in decoding bound (a long GOP) or failing, ffmpeg may still manage,
        // under its own time and memory limits.
        let builtin_error = match builtin {
            Ok(Some(frames)) => return Ok(frames),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "built-in decoding did not finish; trying ffmpeg");
                Some(error)
            }
        };
        let Some(tools) = &self.ffmpeg else {
            return Err(builtin_error.unwrap_or_else(|| {
                MediaError::Unsupported(
                    "this video needs ffmpeg, which this server does not have".into(),
                )
            }));
        };
        let size = domain::images::fit_within(display, request.bounds, false);
        let times = &request.times;
        let step = if times.len() > 1 {
            times[1] - times[0]
        } else {
            0.0
        };
        tools
            .frames_rgb(path, times[0], step, times.len(), size, &self.config)
            .await
    }
}

/// `picture` turned clockwise by `rotation_degrees`, then shrunk to fit `bounds`.
pub(crate) fn shrink_upright(
    picture: RgbImage,
    rotation_degrees: u16,
    bounds: (u32, u32),
) -> RgbImage {
    let upright = match rotation_degrees {
        90 => imageops::rotate90(&picture),
        180 => imageops::rotate180(&picture),
        270 => imageops::rotate270(&picture),
        _ => picture,
    };
    let size = domain::images::fit_within(upright.dimensions(), bounds, false);
    if size == upright.dimensions() {
        upright
    } else {
        imageops::resize(&upright, size.0, size.1, FilterType::Triangle)
    }
}
