//! The revenue side on the server: from stored aggregates to metrics and quality scores, the
//! open period's projected split (re-solved in the background, read in O(1)), closing a
//! period into the ledger, and the `reelshare payout` commands. The solver itself is
//! `domain::allocation`.
//!
//! - [`scoring`]: metrics and quality scores of stored videos.
//! - [`projection`]: the open period's projection and closing periods.
//! - [`shared`]: the projection as the leader stores it for the other nodes.
//! - [`cli`]: `reelshare payout simulate | recompute | close`.

pub mod cli;
pub mod projection;
pub mod scoring;
pub mod shared;
