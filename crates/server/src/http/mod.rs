//! What the API surfaces share on the wire. Each surface maps these modules' errors to its own
//! shape; nothing here knows about a particular surface except [`app`], which composes them,
//! and [`openapi`], which collects their documentation.
//!
//! - [`app`]: the whole router, fallbacks, trailing slashes and request logging.
//! - [`cors`]: cross-origin access for browser apps on other origins.
//! - [`openapi`]: `/openapi.json` and `/docs`.
//! - [`auth`]: passwords, bearer tokens, who is calling.
//! - [`session_cookie`]: the web app's session cookie and the CSRF check on unsafe requests.
//! - [`signing`]: HMAC-signed links.
//! - [`streaming`]: serving stored bytes with ranges and ETags.
//! - [`playback`]: streaming on local disk, a redirect to a presigned GET on S3.
//! - [`timefmt`]: timestamps on the wire.
//! - [`data_uris`]: thumbnails kept as ready-made data URIs.
//! - [`metrics`]: `/metrics` and the per-route request series.
//!
//! Holding up under attack:
//! - [`serve`]: the accept loop: connection cap, head and keep-alive timeouts.
//! - [`body_rate`]: the minimum pace of request bodies.
//! - [`client_ip`]: the client's address, through trusted proxies only.
//! - [`limits`]: per-IP and per-account rate limits.
//! - [`hashing`]: the bound on concurrent password hashing.
//! - [`headers`]: `nosniff`, the HTML pages' CSP and frame protection, media dispositions.

pub mod app;
pub mod auth;
pub mod body_rate;
pub mod client_ip;
pub mod cors;
pub mod data_uris;
pub mod hashing;
pub mod headers;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod playback;
pub mod serve;
pub mod session_cookie;
pub mod signing;
pub mod streaming;
pub mod timefmt;

/// `Retry-After` (seconds) of the 503 both surfaces answer when the database or media storage
/// fails ([`store::StoreError::unavailable`]).
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;
