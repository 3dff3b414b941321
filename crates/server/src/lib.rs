//! reelshare's HTTP server: the Creator API and the Video API, two thin adapters over one
//! domain, plus the `reelshare` binary's subcommands.
//!
//! # Layout
//! - [`settings`]: layered configuration (defaults → file → `REELSHARE_*` env → flags).
//! - [`startup`]: opening the database and media store, seeding, background tasks, serving.
//! - [`state`]: what handlers share.
//! - [`clock`]: the injected time source every handler, job and test reads.
//! - The surfaces, each with its own JSON and error shape:
//!   - [`creator_api`]: the Creator API (`{"error"}` shape).
//!   - [`video_api`]: the Video API with its accounts and engagement endpoints (FastAPI's
//!     `{"detail"}` shape).
//! - [`web`]: the web app under `/app/`: server-rendered pages, embedded scripts, sign-in by
//!   cookie.
//! - [`http`]: what the surfaces share on the wire: the router, auth, signed links, byte
//!   streaming, time formats, the OpenAPI document.
//! - [`observe`]: metrics, health checks and request ids.
//! - [`upload`]: an upload's way in: streaming to staging, publishing, the processing
//!   workers, orphan sweeps.
//! - [`tus`]: resumable uploads (tus 1.0) at `/tus/`.
//! - [`engagement`]: the watch-report writer and the engagement endpoints' video cache.
//! - [`platform`]: work done once per platform (the leader lease, projection, sweeps).
//! - [`images`]: images made from a video on request, cached in the object store.
//! - [`payout`]: scoring, the open period's projection, closing periods, `reelshare payout`.
//! - [`demo`]: `reelshare demo`.
//! - [`token_cli`]: `reelshare token`, a bearer token for an existing creator.
//! - [`gc`]: `reelshare gc`, objects with no row and rows with no object.

pub mod clock;
mod creator_api;
pub mod demo;
pub mod engagement;
pub mod gc;
pub mod http;
pub mod images;
pub mod observe;
pub mod payout;
pub mod platform;
pub mod settings;
pub mod startup;
pub mod state;
pub mod token_cli;
pub mod ttl_cache;
pub mod tus;
pub mod upload;
mod video_api;
mod web;

pub use startup::{build_state, run, run_workers};
