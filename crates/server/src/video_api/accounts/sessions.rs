//! `POST /auth/register`, `POST /auth/login` and `POST /auth/logout`. Registering makes one
//! account that is both a Video API user and a Creator API creator (its display name is the
//! creator's `name`) and logs it in. A token is 256 random bits, handed out once and stored
//! only as a hash, with an expiry; logging out revokes it. Argon2 runs on the blocking pool in
//! one of a bounded number of slots ([`hashing`](crate::http::hashing): 503 when none comes
//! free in time), and a login for an unknown username still runs one verification in a slot,
//! so neither timing nor a refusal tells which usernames exist. Logins and registrations are
//! rate-limited by client IP and by username ([`limits`](crate::http::limits): 429).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use domain::account::{Account, Role};
use domain::text::DisplayName;
use serde::Serialize;
use std::sync::OnceLock;
use store::StoreError;
use store::accounts::{self, NewAccount};
use utoipa::ToSchema;

use super::credentials::{Password, Username};
use crate::http::auth;
use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::http::timefmt;
use crate::state::AppState;
use crate::upload::publishing;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{BodyReader, JsonBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
}

/// A logged-in session: the bearer token and who it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// The Video API's user id.
    pub user_id: String,
    /// The Creator API's creator id.
    pub creator_id: i64,
    pub username: String,
    pub display_name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: String,
}

/// The body of register (all three) and login (username and password). Documentation only:
/// bodies are read field by field with [`BodyReader`] to report every problem FastAPI's way.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// Register only.
    pub display_name: Option<String>,
}

/// A hash to verify against when the username is unknown, so both paths cost the same.
static DUMMY_HASH: OnceLock<String> = OnceLock::new();

fn bad_credentials() -> VideoApiError {
    VideoApiError::Unauthorized("Incorrect username or password".into())
}

/// Reads `username`, `password` and, when `with_display_name`, `display_name`; every problem
/// is one 422 issue.
fn read_credentials(
    body: &serde_json::Value,
    with_display_name: bool,
) -> Result<(Username, Password, Option<DisplayName>), VideoApiError> {
    let mut reader = BodyReader::new(body)?;
    let username = reader.required_string("username");
    let password = reader.required_string("password");
    let display_name = if with_display_name {
        reader.required_string("display_name")
    } else {
        None
    };
    let username = username.and_then(|raw| {
        Username::parse(raw)
            .map_err(|e| reader.reject("username", e.to_string()))
            .ok()
    });
    let password = password.and_then(|raw| {
        Password::parse(raw)
            .map_err(|e| reader.reject("password", e.to_string()))
            .ok()
    });
    let display_name = display_name.and_then(|raw| {
        DisplayName::parse(raw)
            .map_err(|e| reader.reject("display_name", e.to_string()))
            .ok()
    });
    reader.finish()?;
    match (username, password) {
        (Some(username), Some(password)) => Ok((username, password, display_name)),
        _ => Err(VideoApiError::Internal(
            "credentials passed checks but are absent".into(),
        )),
    }
}

async fn hash_password(state: &AppState, password: Password) -> Result<String, VideoApiError> {
    state
        .password_hashing
        .run(move |memory| auth::hash_password_in(password.expose(), memory))
        .await?
        .map_err(|e| VideoApiError::Internal(e.to_string()))
}

/// Verifies `password` against `hash`, or against [`DUMMY_HASH`] for an unknown username (in
/// the same kind of slot, so both cost the same).
async fn verify_password(
    state: &AppState,
    password: Password,
    hash: Option<String>,
) -> Result<bool, VideoApiError> {
    let verified = state
        .password_hashing
        .run(move |memory| {
            let hash = match hash {
                Some(hash) => hash,
                None => DUMMY_HASH
                    .get_or_init(|| {
                        auth::hash_password_in("not a real password", memory)
                            .expect("hashing works")
                    })
                    .clone(),
            };
            auth::verify_password_in(password.expose(), &hash, memory)
        })
        .await?;
    Ok(verified)
}

/// Issues a new token for `account`.
async fn open_session(state: &AppState, account: &Account) -> Result<Session, VideoApiError> {
    let (token, hash) = auth::new_token();
    let now = state.clock.now();
    let ttl = i64::try_from(state.settings.token_ttl.as_micros()).unwrap_or(i64::MAX);
    let expires_at = now.as_micros().saturating_add(ttl);
    accounts::insert_token(state.pool(), &hash, account.id, now.as_micros(), expires_at).await?;
    Ok(Session {
        user_id: account.public_id.to_string(),
        creator_id: account.id.get(),
        username: account.username.clone().unwrap_or_default(),
        display_name: account.display_name.clone(),
        token,
        token_type: "bearer",
        expires_at: timefmt::iso8601(domain::video::Timestamp::from_micros(expires_at)),
    })
}

/// Register
#[utoipa::path(post, path = "/auth/register", tag = "auth",
    request_body(content = Credentials, description = "username (3–32 of a-z 0-9 _ . -), password (8–128 bytes), display_name"),
    responses(
        (status = 201, description = "Registered and logged in", body = Session),
        (status = 409, description = "The username is taken"),
        (status = 422, description = "Validation Error"),
        (status = 429, description = "Too many registrations from this client or for this username; see `Retry-After`"),
        (status = 503, description = "Too busy to hash the password now; see `Retry-After`"),
    ))]
pub(crate) async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Session>), VideoApiError> {
    state.rate_limits.check_ip(Action::Register, ip)?;
    let (username, password, display_name) = read_credentials(&body, true)?;
    state
        .rate_limits
        .check_account(Action::Register, username.as_str())?;
    let display_name = display_name.ok_or_else(|| {
        VideoApiError::Internal("display name passed checks but is absent".into())
    })?;
    let password_hash = hash_password(&state, password).await?;
    let public_id = publishing::new_user_id();
    let inserted = accounts::insert_account(
        state.pool(),
        NewAccount {
            public_id: &public_id,
            username: Some(username.as_str()),
            password_hash: Some(&password_hash),
            display_name: display_name.as_str(),
            role: Role::User,
            created_at: state.clock.now().as_micros(),
        },
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(VideoApiError::Conflict("username already taken".into()));
        }
        Err(other) => return Err(other.into()),
    };
    let account = accounts::find_account(state.pool(), id).await?;
    tracing::info!(creator_id = %id, %username, "account registered");
    Ok((
        StatusCode::CREATED,
        Json(open_session(&state, &account).await?),
    ))
}

/// Log In
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body(content = Credentials, description = "username and password"),
    responses(
        (status = 200, description = "Logged in", body = Session),
        (status = 401, description = "Incorrect username or password"),
        (status = 422, description = "Validation Error"),
        (status = 429, description = "Too many logins from this client or for this username; see `Retry-After`"),
        (status = 503, description = "Too busy to check the password now; see `Retry-After`"),
    ))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> Result<Json<Session>, VideoApiError> {
    state.rate_limits.check_ip(Action::Login, ip)?;
    // Malformed usernames or passwords simply cannot match an account.
    let (username, password, _) = match read_credentials(&body, false) {
        Ok(credentials) => credentials,
        Err(VideoApiError::Validation(issues))
            if issues.iter().all(|issue| issue.kind == "value_error") =>
        {
            return Err(bad_credentials());
        }
        Err(other) => return Err(other),
    };
    state
        .rate_limits
        .check_account(Action::Login, username.as_str())?;
    let (account, hash) = match accounts::find_login(state.pool(), username.as_str()).await {
        Ok(found) => (Some(found.0), Some(found.1)),
        Err(StoreError::NotFound) => (None, None),
        Err(other) => return Err(other.into()),
    };
    let verified = verify_password(&state, password, hash).await?;
    match account {
        Some(account) if verified => Ok(Json(open_session(&state, &account).await?)),
        _ => Err(bad_credentials()),
    }
}

/// Log Out
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token is revoked"),
        (status = 401, description = "Unauthorized"),
    ))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, VideoApiError> {
    // Only a live token can be revoked: this also answers 401 for a bad one.
    auth::required_account(&state, &headers).await?;
    let token = auth::bearer_token(&headers)?.ok_or(auth::AuthError::Missing)?;
    accounts::revoke_token(
        state.pool(),
        &auth::token_hash(token),
        state.clock.now().as_micros(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
