//! Images made from a video on request, cached in the object store under the video's
//! `images/` prefix (so `DELETE` removes them with everything else): a repeated request costs
//! one lookup. A miss takes a processing-pool slot (the same bound as uploads: decoding is the
//! expensive part; a full queue is 503 before anything is decoded), decodes and encodes on the
//! blocking pool, and stores the result. What it made is counted, for tests and operators.
//! Access rules and HTTP live in `video_api/videos/images.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use domain::images::{
    AnimationSpec, ImageKey, MAX_SIDE, STORYBOARD_TILE_WIDTH, StillSpec, Storyboard,
};
use domain::video::Video;
use media::MediaError;
use media::images::{self, FrameRequest, Pick};
use store::StoreError;
use store::media_store::MediaObject;

use crate::state::AppState;

/// The sprite name the cached storyboard VTT points at, relative to the VTT's own URL.
pub const SPRITE_NAME: &str = "storyboard.jpg";

/// How many images this process has made (cache misses that decoded the video), and the
/// images being made now: concurrent misses for one image wait for the first instead of
/// decoding the same thing again.
#[derive(Debug, Default)]
pub struct ImageRenders {
    made: AtomicU64,
    in_progress: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ImageRenders {
    pub fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }

    /// The lock of one image's making (shared by everyone asking for it now).
    fn lock_for(&self, name: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.in_progress.lock().expect("not poisoned");
        map.entry(name).or_default().clone()
    }

    /// Forgets the lock once nobody else holds or waits for it.
    fn release(&self, name: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut map = self.in_progress.lock().expect("not poisoned");
        // Ours and the map's: nobody else is waiting.
        if Arc::strong_count(&lock) <= 2 {
            map.remove(name);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Media(#[from] MediaError),
    /// Every processing slot is taken and the queue is full.
    #[error("busy")]
    Busy,
}

/// Ensures `key` of `video` is stored, making it on a miss.
pub async fn ensure(state: &AppState, video: &Video, key: ImageKey) -> Result<(), ImageError> {
    let object = MediaObject::Image(key);
    match state.media.info(&video.hash_id, object).await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let name = format!("{}/{}", video.hash_id, key.object_name());
    let lock = state.images.lock_for(name.clone());
    let made = {
        let _making = lock.lock().await;
        make_unless_stored(state, video, key).await
    };
    state.images.release(&name, lock);
    made
}

async fn make_unless_stored(
    state: &AppState,
    video: &Video,
    key: ImageKey,
) -> Result<(), ImageError> {
    let object = MediaObject::Image(key);
    // Another request may have made it while this one waited.
    if state.media.info(&video.hash_id, object).await.is_ok() {
        return Ok(());
    }
    let _slot = state
        .processing
        .enter()
        .await
        .map_err(|_| ImageError::Busy)?;
    match key {
        ImageKey::Still(spec) => {
            let bytes = make_still(state, video, spec).await?;
            state.media.put_bytes(&video.hash_id, object, bytes).await?;
        }
        ImageKey::Animation(spec) => {
            let bytes = make_animation(state, video, spec).await?;
            state.media.put_bytes(&video.hash_id, object, bytes).await?;
        }
        ImageKey::StoryboardVtt | ImageKey::StoryboardSprite => {
            let (sprite, vtt) = make_storyboard(state, video).await?;
            // The sprite first: a stored VTT always has its sprite.
            let sprite_object = MediaObject::Image(ImageKey::StoryboardSprite);
            state
                .media
                .put_bytes(&video.hash_id, sprite_object, sprite)
                .await?;
            let vtt_object = MediaObject::Image(ImageKey::StoryboardVtt);
            state
                .media
                .put_bytes(&video.hash_id, vtt_object, vtt.into_bytes())
                .await?;
        }
    }
    state.images.made.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn duration(video: &Video) -> f64 {
    video.duration_seconds.unwrap_or(0.0)
}

/// Decodes the pictures `request` asks for from the stored original.
async fn frames(
    state: &AppState,
    video: &Video,
    request: FrameRequest,
) -> Result<Vec<images::RgbImage>, ImageError> {
    let original = state.media.local_original(&video.hash_id).await?;
    let display = (
        video.width.unwrap_or(1280).max(1),
        video.height.unwrap_or(720).max(1),
    );
    Ok(state
        .pipeline
        .frames(original.path(), display, request)
        .await?)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, ImageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("image task failed: {e}"))))?
        .map_err(ImageError::from)
}

async fn make_still(
    state: &AppState,
    video: &Video,
    spec: StillSpec,
) -> Result<Vec<u8>, ImageError> {
    let picture = match spec.time_ms() {
        // Without a time: the stored thumbnail's picture (at most 720×1280).
        None => {
            let jpeg = state
                .media
                .get_bytes(&video.hash_id, MediaObject::LargeThumbnail)
                .await?;
            blocking(move || images::decode_jpeg(&jpeg)).await?
        }
        Some(ms) => {
            let request = FrameRequest {
                times: vec![f64::from(ms) / 1000.0],
                pick: Pick::Exact,
                bounds: (MAX_SIDE, MAX_SIDE),
            };
            frames(state, video, request).await?.remove(0)
        }
    };
    blocking(move || {
        let geometry = spec.geometry(picture.dimensions());
        images::encode_still(&images::apply_geometry(&picture, geometry), spec.format())
    })
    .await
}

async fn make_animation(
    state: &AppState,
    video: &Video,
    spec: AnimationSpec,
) -> Result<Vec<u8>, ImageError> {
    let times = spec.frame_times(duration(video));
    let request = FrameRequest {
        times: times.clone(),
        pick: Pick::Exact,
        bounds: (spec.width(), MAX_SIDE),
    };
    let pictures = frames(state, video, request).await?;
    blocking(move || images::encode_animation(&pictures, &times, spec.format())).await
}

/// The sprite (JPEG) and the VTT pointing at [`SPRITE_NAME`]. Tiles are the keyframe at or
/// before each tile's time (one decoded picture per tile), or the picture on screen at that
/// time when the keyframe is the tile before's, within the decoding budget ([`Pick::Tile`]).
async fn make_storyboard(state: &AppState, video: &Video) -> Result<(Vec<u8>, String), ImageError> {
    let board = Storyboard::for_duration(duration(video));
    let request = FrameRequest {
        times: board.tile_times(),
        pick: Pick::Tile,
        bounds: (STORYBOARD_TILE_WIDTH, MAX_SIDE),
    };
    let pictures = frames(state, video, request).await?;
    blocking(move || {
        let (sprite, tile) = images::encode_sprite(&pictures, &board)?;
        Ok((sprite, board.vtt(SPRITE_NAME, tile)))
    })
    .await
}
