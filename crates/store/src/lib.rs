//! reelshare's persistence: metadata in a SQL database through sqlx (SQLite by default,
//! PostgreSQL for scale-out) and media bytes in an object store (a local directory by default).
//! Nothing here knows HTTP; callers get typed records and [`StoreError`].
//!
//! # Layout
//! - [`database`]: connecting, SQLite pragmas, running the right migration folder.
//! - [`accounts`]: accounts, bearer tokens and follower counts.
//! - [`videos`]: video rows, their lifecycle updates and the feed queries.
//! - [`media_store`]: where video and thumbnail bytes live, behind `object_store`.
//! - [`staging`]: the local file an upload streams into before it is accepted.
//! - [`error`]: [`StoreError`], classified at this boundary.

pub mod accounts;
pub mod database;
pub mod error;
pub mod media_store;
pub mod staging;
pub mod videos;

pub use database::Database;
pub use error::StoreError;
pub use media_store::MediaStore;
