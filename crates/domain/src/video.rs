//! The video entity as every layer sees it, and the one rule deciding who may see a video:
//! listed public videos are for everyone; drafts, private videos and unfinished uploads only
//! for their owner.

use crate::ids::{AccountId, HashId, UserId, VideoId};
use crate::lifecycle::ProcessingState;
use crate::text::{Description, FileName, Title};

/// Microseconds since the Unix epoch, UTC. The domain never reads the clock; callers pass now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }
    pub fn as_micros(self) -> i64 {
        self.0
    }
    pub fn as_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    pub id: VideoId,
    pub hash_id: HashId,
    pub owner: AccountId,
    pub owner_public_id: UserId,
    pub file_name: FileName,
    pub title: Title,
    pub description: Description,
    pub state: ProcessingState,
    /// MIME type of the stored original, e.g. `video/mp4`.
    pub content_type: String,
    pub size_in_bytes: u64,
    pub duration_seconds: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub is_private: bool,
    pub uploaded_at: Timestamp,
    /// `None` while the video is a draft.
    pub listed_at: Option<Timestamp>,
    /// C in the quality score: 1 unless moderation decided otherwise.
    pub compliance: f64,
}

impl Video {
    pub fn is_listed(&self) -> bool {
        self.state == ProcessingState::Ready && self.listed_at.is_some()
    }

    pub fn is_draft(&self) -> bool {
        self.state == ProcessingState::Ready && self.listed_at.is_none()
    }

    pub fn is_owned_by(&self, viewer: Option<AccountId>) -> bool {
        viewer == Some(self.owner)
    }

    /// Whether `viewer` (None: anonymous) may see this video's record and stream it.
    pub fn visibility_for(&self, viewer: Option<AccountId>) -> Visibility {
        if self.is_owned_by(viewer) {
            return if self.state == ProcessingState::Ready {
                Visibility::Visible
            } else {
                Visibility::Hidden
            };
        }
        match (self.is_listed(), self.is_private) {
            (true, false) => Visibility::Visible,
            (true, true) => Visibility::Private,
            (false, _) => Visibility::Hidden,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Visible,
    /// Listed but private, and the viewer is not the owner (the Video API answers 403).
    Private,
    /// A draft, an unfinished upload, or nothing at all: answer as if it did not exist.
    Hidden,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(listed: bool, private: bool, state: ProcessingState) -> Video {
        Video {
            id: VideoId::new(1),
            hash_id: HashId::parse("aaaaaaaaaaaaaaaa").unwrap(),
            owner: AccountId::new(1),
            owner_public_id: UserId::parse("bbbbbbbbbbbbbbbb").unwrap(),
            file_name: FileName::parse("a.mp4").unwrap(),
            title: Title::parse("a").unwrap(),
            description: Description::default(),
            state,
            content_type: "video/mp4".into(),
            size_in_bytes: 1,
            duration_seconds: Some(1.0),
            width: None,
            height: None,
            is_private: private,
            uploaded_at: Timestamp::from_micros(0),
            listed_at: listed.then(|| Timestamp::from_micros(1)),
            compliance: 1.0,
        }
    }

    #[test]
    fn only_listed_public_videos_are_visible_to_others() {
        let owner = Some(AccountId::new(1));
        let other = Some(AccountId::new(2));
        let ready = ProcessingState::Ready;
        for viewer in [None, other] {
            assert_eq!(
                video(true, false, ready).visibility_for(viewer),
                Visibility::Visible
            );
            assert_eq!(
                video(true, true, ready).visibility_for(viewer),
                Visibility::Private
            );
            assert_eq!(
                video(false, false, ready).visibility_for(viewer),
                Visibility::Hidden
            );
            let processing = video(false, false, ProcessingState::Processing);
            assert_eq!(processing.visibility_for(viewer), Visibility::Hidden);
        }
        assert_eq!(
            video(false, true, ready).visibility_for(owner),
            Visibility::Visible
        );
        assert_eq!(
            video(true, true, ready).visibility_for(owner),
            Visibility::Visible
        );
    }
}
