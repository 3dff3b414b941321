//! reelshare's domain: the types both API surfaces share, and the formulas that score videos
//! and split the revenue pool. Pure: no I/O, no clock, no randomness (callers pass those in).
//!
//! # Layout
//! - [`ids`]: integer and public string identifiers of accounts and videos.
//! - [`account`]: the account entity and its role.
//! - [`text`]: user-supplied text that has passed its rules (titles, descriptions, file names,
//!   the Video API's upload file names).
//! - [`lifecycle`]: a video's processing state and the fixed failure reasons.
//! - [`video`]: the video entity and who may see it.
//! - [`images`]: parameters, geometry and cache names of images made on request.
//! - [`metrics`]: the engagement metrics W, E, D, R, S, C and how counts become them.
//! - [`quality`]: the quality score Q from the metrics.
//! - [`allocation`]: the exact KKT solve that splits a pool among videos, and cent rounding.
//! - [`text_quality`]: the deterministic title/description scorer behind S (`nlp_quality`).
//! - [`simulate`]: per-video JSON records in, allocation out (`reelshare payout simulate`).

pub mod account;
pub mod allocation;
pub mod ids;
pub mod images;
pub mod lifecycle;
pub mod metrics;
pub mod quality;
pub mod simulate;
pub mod text;
pub mod text_quality;
pub mod video;
