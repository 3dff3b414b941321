//! What operators see of a running node besides its logs: Prometheus metrics, health and
//! request ids.
//!
//! - [`metrics`]: the process-wide recorder, the series reelshare records, and the gauges
//!   refreshed from the database when `/metrics` is scraped.
//! - [`health`]: whether the database and media storage answer (`/health_check`, `/health`).
//! - [`request_id`]: `x-request-id`, taken from the request when it is sane, else made.
//!
//! The HTTP side (the `/metrics` route, its access rule and the per-route request series) is
//! [`http::metrics`](crate::http::metrics).

pub mod health;
pub mod metrics;
pub mod request_id;
