//! reelshare's HTTP server: the Creator API and the Video API, two thin adapters over one
//! domain, plus the `reelshare` binary's subcommands.
//!
//! # Layout
//! - [`settings`]: layered configuration (defaults → file → `REELSHARE_*` env → flags).
//! - [`startup`]: opening the database and media store, seeding, background tasks, serving.
//! - [`app`]: the router: both surfaces, request logging.
//! - [`state`]: what handlers share.
//! - [`creator_api`]: the Creator API surface (its JSON and `{"error"}` shape).
//! - [`video_api`]: the Video API surface (its JSON and FastAPI's `{"detail"}` shape).
//! - [`accounts_api`]: register, log in, log out.
//! - [`engagement_api`]: views, likes, comments, shares, follows, reports, earnings.
//! - [`auth`]: passwords, bearer tokens, who is calling.
//! - [`ingest`]: streaming an upload to staging under the size limit.
//! - [`publishing`]: storing a processed upload (bytes, then row; all or nothing).
//! - [`streaming`]: serving stored bytes with ranges and ETags.
//! - [`scoring`], [`projection`]: metrics and the open period's projected payouts.
//! - [`signing`]: HMAC-signed links.
//! - [`clock`], [`timefmt`]: time, injected and formatted.

mod accounts_api;
pub mod app;
pub mod auth;
pub mod clock;
mod creator_api;
mod engagement_api;
pub mod ingest;
pub mod projection;
pub mod publishing;
pub mod scoring;
pub mod settings;
pub mod signing;
pub mod startup;
pub mod state;
pub mod streaming;
pub mod timefmt;
mod video_api;

pub use startup::{build_state, run};
