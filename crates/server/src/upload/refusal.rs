//! What the media pipeline's errors mean for an upload, decided once for every path in:
//! the Creator API's inline processing answers with a status, the processing worker records
//! one of the fixed failure reasons (`domain::lifecycle::FailureReason`) or retries. Both read
//! the same classification, so a file refused one way is refused the same way the other.

use domain::lifecycle::FailureReason;
use media::MediaError;

/// Why an upload's media could not be processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRefusal {
    /// Not a video at all (text, an image, random bytes).
    NotAVideo,
    /// A video this instance cannot process (a codec or container it has no decoder for).
    Unsupported,
    /// A video that is truncated, broken or implausible.
    Corrupt,
    /// A video over this instance's limits (picture size, duration, memory for ffmpeg).
    TooLarge,
    /// Processing ran out of time: final, but the file may be fine.
    TimedOut,
    /// Reading or writing around the file failed; a later attempt may succeed.
    Transient,
}

impl MediaRefusal {
    pub fn of(error: &MediaError) -> Self {
        match error {
            MediaError::NotAVideo(_) => Self::NotAVideo,
            MediaError::Unsupported(_) => Self::Unsupported,
            MediaError::Corrupt(_) => Self::Corrupt,
            MediaError::LimitExceeded(_) => Self::TooLarge,
            MediaError::Timeout { .. } => Self::TimedOut,
            MediaError::Io(_) => Self::Transient,
        }
    }

    /// The fixed reason a failed upload shows its owner; `None` when it is worth retrying.
    pub fn failure_reason(self) -> Option<FailureReason> {
        match self {
            Self::NotAVideo | Self::Corrupt | Self::TooLarge => {
                Some(FailureReason::CorruptedOrInvalidFile)
            }
            Self::Unsupported => Some(FailureReason::UnsupportedVideoType),
            Self::TimedOut => Some(FailureReason::InternalError),
            Self::Transient => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_io_errors_are_retried_and_every_other_refusal_has_a_fixed_reason() {
        let io = MediaError::Io(std::io::Error::other("disk"));
        assert_eq!(MediaRefusal::of(&io).failure_reason(), None);
        let text = MediaError::NotAVideo("text".into());
        assert_eq!(
            MediaRefusal::of(&text).failure_reason(),
            Some(FailureReason::CorruptedOrInvalidFile)
        );
        let webm = MediaError::Unsupported("webm".into());
        assert_eq!(
            MediaRefusal::of(&webm).failure_reason(),
            Some(FailureReason::UnsupportedVideoType)
        );
    }
}
