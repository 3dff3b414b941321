//! An upload's way in, shared by both API surfaces: its bytes stream to staging under the
//! size limit, the media pipeline checks and processes them (inline for the Creator API, on
//! the durable job queue for the Video API), and the result is stored bytes-first so a row
//! never lacks its media.
//!
//! - [`ingest`]: streaming an upload to staging under the size limit.
//! - [`processing`]: how many uploads are processed at once; 503 past the queue.
//! - [`publishing`]: storing a processed upload (bytes, then row; all or nothing).
//! - [`playback`]: the faststart copy and HLS segments made during processing.
//! - [`ladder`]: the ffmpeg rendition ladder as a durable job, run after the video is playable.
//! - [`worker`]: the processing workers on the durable job queue.
//! - [`orphans`]: deleting media a crash left without a row.
//! - [`refusal`]: what the media pipeline's errors mean for an upload.

pub mod ingest;
pub mod ladder;
pub mod orphans;
pub mod playback;
pub mod processing;
pub mod publishing;
pub mod refusal;
pub mod worker;
