//! Who the browser is. A session is a token from the token table in the `HttpOnly`,
//! `SameSite=Lax` cookie of [`session_cookie`](crate::http::session_cookie) (`Secure` when
//! `public_url` is https), valid as long as the token is (`token_ttl_hours`); signing out
//! revokes the token server-side, so a copied cookie dies with it. Pages read the session with
//! [`MaybeViewer`]; the page carries the session's CSRF token in a `<meta>` for scripts and in
//! a hidden field for forms, which [`check_form_csrf`] verifies.

use axum::extract::FromRequestParts;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use domain::account::Account;
use store::{StoreError, accounts};

use super::error::WebError;
use crate::http::auth::token_hash;
use crate::http::session_cookie::{self, SESSION_COOKIE};
use crate::state::AppState;

/// A signed-in browser: its account, session token and CSRF token.
pub struct Viewer {
    pub account: Account,
    pub csrf: String,
    pub token: String,
}

/// The signed-in browser, or `None` (no cookie, or one whose token is unknown, expired or
/// revoked).
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = session_cookie::session_token(&parts.headers) else {
            return Ok(Self(None));
        };
        let now = state.clock.now().as_micros();
        match accounts::account_for_token(state.pool(), &token_hash(token), now).await {
            Ok(account) => Ok(Self(Some(Viewer {
                account,
                csrf: session_cookie::csrf_token(&state.signer, token),
                token: token.to_owned(),
            }))),
            Err(StoreError::NotFound) => Ok(Self(None)),
            Err(other) => Err(other.into()),
        }
    }
}

/// Whether a form's `csrf_token` field belongs to the viewer's session.
pub fn check_form_csrf(state: &AppState, viewer: &Viewer, given: &str) -> bool {
    session_cookie::csrf_matches(&state.signer, &viewer.token, given)
}

fn secure(state: &AppState) -> &'static str {
    if state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|url| url.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    }
}

/// Headers that store `token` as the session cookie.
pub fn set_cookie(state: &AppState, token: &str) -> HeaderMap {
    let max_age = state.settings.token_ttl.as_secs();
    cookie_headers(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        secure(state)
    ))
}

/// Headers that delete the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderMap {
    cookie_headers(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    ))
}

fn cookie_headers(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(SET_COOKIE, value);
    }
    headers
}
