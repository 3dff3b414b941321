//! Finding the video a request names, from the caller's point of view, once for the whole
//! surface: the rules of who may see, engage with or manage a video live in
//! `domain::video`; this module applies them and picks this surface's answers (404 for what
//! the caller may not know exists, 403 for what they may see but not touch).

use std::sync::Arc;

use domain::account::Account;
use domain::ids::HashId;
use domain::video::{Video, Visibility};
use store::videos;

use crate::state::AppState;
use crate::video_api::error::VideoApiError;

fn parse(raw: &str) -> Result<HashId, VideoApiError> {
    HashId::parse(raw).map_err(|_| VideoApiError::NotFound)
}

/// A video by its hash id, whatever its state (for owners and moderators).
pub async fn any_video(state: &AppState, raw: &str) -> Result<Video, VideoApiError> {
    Ok(videos::find_video_by_hash(state.pool(), &parse(raw)?).await?)
}

/// A listed video `caller` may see, so may engage with: an unknown id, a draft or an
/// unfinished upload is 404, someone else's private video is 403, as for watching. The row
/// comes from the engagement video cache (at most a second old when another node changed
/// it).
pub async fn engageable_video(
    state: &AppState,
    raw: &str,
    caller: Option<&Account>,
) -> Result<Arc<Video>, VideoApiError> {
    let video = state.video_cache.video(state.pool(), &parse(raw)?).await?;
    match video.visibility_for(caller.map(|a| a.id)) {
        Visibility::Visible if video.is_listed() => Ok(video),
        Visibility::Private => Err(VideoApiError::Forbidden("This video is private".into())),
        _ => Err(VideoApiError::NotFound),
    }
}

/// What the caller learns about a video that is not theirs.
#[derive(Debug, Clone, Copy)]
pub enum NotOwned {
    /// Nothing: 404, whether or not they could see it (managing one's own videos).
    NotFound,
    /// 403 with this reason when they may see it, else 404 (owners-only views of a video).
    ForbiddenIfVisible(&'static str),
}

/// The caller's own video, in any state.
pub async fn owned_video(
    state: &AppState,
    caller: &Account,
    raw: &str,
    not_owned: NotOwned,
) -> Result<Video, VideoApiError> {
    let video = any_video(state, raw).await?;
    if video.is_owned_by(Some(caller.id)) {
        return Ok(video);
    }
    match (not_owned, video.visibility_for(Some(caller.id))) {
        (NotOwned::ForbiddenIfVisible(why), Visibility::Visible | Visibility::Private) => {
            Err(VideoApiError::Forbidden(why.into()))
        }
        _ => Err(VideoApiError::NotFound),
    }
}
