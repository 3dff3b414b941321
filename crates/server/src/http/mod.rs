//! What the API surfaces share on the wire. Each surface maps these modules' errors to its own
//! shape; nothing here knows about a particular surface except [`app`], which composes them,
//! and [`openapi`], which collects their documentation.
//!
//! - [`app`]: the whole router, fallbacks, trailing slashes and request logging.
//! - [`cors`]: cross-origin access for browser apps on other origins.
//! - [`openapi`]: `/openapi.json` and `/docs`.
//! - [`auth`]: passwords, bearer tokens, who is calling.
//! - [`signing`]: HMAC-signed links.
//! - [`streaming`]: serving stored bytes with ranges and ETags.
//! - [`timefmt`]: timestamps on the wire.
//! - [`data_uris`]: thumbnails kept as ready-made data URIs.

pub mod app;
pub mod auth;
pub mod cors;
pub mod data_uris;
pub mod openapi;
pub mod signing;
pub mod streaming;
pub mod timefmt;
