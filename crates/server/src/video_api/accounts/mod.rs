//! Accounts: register, log in, log out. Part of the Video API surface (whose original
//! service had only a stub for them): its error shape, extractors and body readers.
//!
//! - [`credentials`]: what a username and a password may be.
//! - [`sessions`]: the three endpoints and how tokens are issued.

mod credentials;
pub(crate) mod sessions;

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    sessions::router()
}

#[derive(OpenApi)]
#[openapi(
    paths(sessions::register, sessions::login, sessions::logout),
    components(schemas(sessions::Session, sessions::Credentials))
)]
struct AccountsApiDoc;

/// This surface's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    AccountsApiDoc::openapi()
}
