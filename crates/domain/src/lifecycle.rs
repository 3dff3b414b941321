//! A video's life: uploaded → processing → ready (a draft until first listed) or failed.
//! The failure reasons are the original service's exact strings; clients match on them.

/// Where a video is in processing. Listing is separate: a `Ready` video with no listing time
/// is a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessingState {
    Processing,
    Ready,
    Failed(FailureReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    MaximumFileSizeExceeded,
    UnsupportedVideoType,
    CorruptedOrInvalidFile,
    InternalError,
}

impl FailureReason {
    pub const ALL: [FailureReason; 4] = [
        Self::MaximumFileSizeExceeded,
        Self::UnsupportedVideoType,
        Self::CorruptedOrInvalidFile,
        Self::InternalError,
    ];

    /// The exact text clients see in `failure_reason`.
    pub fn message(self) -> &'static str {
        match self {
            Self::MaximumFileSizeExceeded => "Maximum file size exceeded",
            Self::UnsupportedVideoType => "Unsupported video type",
            Self::CorruptedOrInvalidFile => "Corrupted/Invalid file",
            Self::InternalError => "Internal error, please try again later",
        }
    }

    pub fn from_message(message: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.message() == message)
    }
}

impl ProcessingState {
    /// Storage form: `processing`, `ready`, or `failed` plus the reason's message.
    pub fn status_name(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed(_) => "failed",
        }
    }

    pub fn from_parts(status: &str, failure_reason: Option<&str>) -> Option<Self> {
        match (status, failure_reason) {
            ("processing", _) => Some(Self::Processing),
            ("ready", _) => Some(Self::Ready),
            ("failed", Some(reason)) => FailureReason::from_message(reason).map(Self::Failed),
            ("failed", None) => Some(Self::Failed(FailureReason::InternalError)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_round_trip_through_their_messages() {
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::from_message(reason.message()), Some(reason));
        }
        assert_eq!(
            ProcessingState::from_parts("failed", Some("Corrupted/Invalid file")),
            Some(ProcessingState::Failed(
                FailureReason::CorruptedOrInvalidFile
            ))
        );
    }
}
