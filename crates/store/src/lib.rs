//! reelshare's persistence: metadata in a SQL database through sqlx (SQLite by default,
//! PostgreSQL for scale-out) and media bytes in an object store (a local directory by default).
//! Nothing here knows HTTP; callers get typed records and [`StoreError`].
//!
//! # Layout
//! - [`database`]: connecting, SQLite pragmas, running the right migration folder.
//! - [`dialect`]: which backend a pool talks to, and the list of places the two differ.
//! - [`accounts`]: accounts, bearer tokens and follower counts.
//! - [`videos`]: video rows, their lifecycle updates and the feed queries.
//! - [`watches`]: watch reports in batches (group commit) and the view aggregates they keep.
//! - [`engagement`]: likes, comments, shares, follows and the aggregates they keep.
//! - [`moderation`]: reports, reviews and moderators' compliance decisions.
//! - [`periods`]: per-period aggregates, daily series and the payout ledger.
//! - [`rebuild`]: recomputing a period's aggregates from the event log.
//! - [`leases`]: named leases with fencing tokens (work done by one node at a time).
//! - [`projections`]: the leader's solved payout projection, for the other nodes.
//! - [`jobs`]: the durable job queue: processing and ladder jobs, claimed with a lease.
//! - [`wakeups`]: PostgreSQL `NOTIFY`/`LISTEN` when a job is queued.
//! - [`media_store`]: where video and thumbnail bytes live, behind `object_store`.
//! - [`s3`]: S3 connection settings (a secret that never prints) and presigned GET links.
//! - [`staging`]: the local file an upload streams into before it is accepted.
//! - [`resumable`]: a resumable (tus) upload's partial bytes, kept across requests.
//! - [`tus_uploads`]: the rows of resumable uploads in progress.
//! - [`error`]: [`StoreError`], classified at this boundary.

pub mod accounts;
pub mod database;
pub mod dialect;
pub mod engagement;
pub mod error;
pub mod jobs;
pub mod leases;
pub mod media_store;
pub mod moderation;
pub mod periods;
pub mod projections;
pub mod rebuild;
pub mod resumable;
pub mod s3;
pub mod staging;
pub mod tus_uploads;
pub mod videos;
pub mod wakeups;
pub mod watches;

pub use database::Database;
pub use error::StoreError;
pub use media_store::MediaStore;
