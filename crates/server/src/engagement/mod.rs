//! The engagement side's shared machinery (the endpoints themselves are in the Video API's
//! tree): one group-committing writer of watch reports per process, and a short-lived cache
//! of the video rows those endpoints check on every request.
//!
//! - [`view_writer`]: the one writer of watch reports (group commit).
//! - [`video_cache`]: ready video rows kept for a second.

pub mod video_cache;
pub mod view_writer;
