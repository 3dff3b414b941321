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
//! - [`orphans`]: deleting media a crash left without a row.
//! - [`publishing`]: storing a processed upload (bytes, then row; all or nothing).
//! - [`streaming`]: serving stored bytes with ranges and ETags.
//! - [`video_cache`]: ready video rows kept for a second for the engagement endpoints.
//! - [`view_writer`]: the one writer of watch reports (group commit).
//! - [`scoring`], [`projection`]: metrics, the open period's projected payouts, closing periods.
//! - [`payout_cli`], [`demo`]: the `reelshare payout …` and `reelshare demo` subcommands.
//! - [`signing`]: HMAC-signed links.
//! - [`worker`]: the processing workers on the durable job queue.
//! - [`openapi`]: the OpenAPI document (`/openapi.json`) and its page (`/docs`).
//! - [`clock`], [`timefmt`]: time, injected and formatted.

mod accounts_api;
pub mod app;
pub mod auth;
pub mod clock;
mod creator_api;
pub mod demo;
mod engagement_api;
pub mod ingest;
pub mod openapi;
pub mod orphans;
pub mod payout_cli;
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
pub mod video_cache;
pub mod view_writer;
pub mod worker;

pub use startup::{build_state, run, run_workers};
