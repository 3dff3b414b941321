//! The creator reads: `GET /get-creator-data?creator_id=N` (the seed's), and two routes the
//! original service also had, which its mobile app calls: `GET /get-creator-by-name?name=…` and
//! `GET /list-creators`. Each gives creator rows of one shape (the creator's name, follower
//! counts and the total likes across their videos). (The seed says "404 status code" on
//! success; that is a typo in the seed: success is 200.)
//!
//! - Display names are not unique: `/get-creator-by-name` answers with the creator of the
//!   lowest `creator_id` (the oldest account) bearing exactly that name, so the answer never
//!   changes when someone later takes the same name.
//! - `/list-creators` is bounded: `limit` rows (default [`DEFAULT_LIMIT`], at most
//!   [`MAX_LIMIT`]) in `creator_id` order, from after the `creator_id` given as `after`. The
//!   next page starts after the last row's `creator_id`; a short page is the last.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::text::{DisplayName, TextError};
use store::accounts;

use super::error::CreatorApiError;
use super::json::CreatorData;
use super::query::Params;
use crate::state::AppState;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/get-creator-data", get(get_creator_data))
        .route("/get-creator-by-name", get(get_creator_by_name))
        .route("/list-creators", get(list_creators))
}

async fn get_creator_data(
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CreatorData>, CreatorApiError> {
    let creator_id = params.creator_id()?;
    let account = accounts::find_account(state.pool(), creator_id).await?;
    let stats = accounts::creator_stats(state.pool(), creator_id).await?;
    Ok(Json(CreatorData::new(&account, stats)))
}

async fn get_creator_by_name(
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CreatorData>, CreatorApiError> {
    // Display names are stored by this rule; a name it refuses for its length or characters
    // belongs to nobody.
    let name = match DisplayName::parse(params.text("name").unwrap_or_default()) {
        Ok(name) => name,
        Err(TextError::Empty { .. }) => {
            return Err(CreatorApiError::BadRequest("name is required".into()));
        }
        Err(_) => return Err(CreatorApiError::NotFound),
    };
    let account = accounts::find_account_by_display_name(state.pool(), name.as_str()).await?;
    let stats = accounts::creator_stats(state.pool(), account.id).await?;
    Ok(Json(CreatorData::new(&account, stats)))
}

async fn list_creators(
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Vec<CreatorData>>, CreatorApiError> {
    let limit = params
        .optional_integer(
            "limit",
            1..=i64::from(MAX_LIMIT),
            &format!("an integer from 1 to {MAX_LIMIT}"),
        )?
        // Within 1..=MAX_LIMIT, so the cast is exact.
        .map_or(DEFAULT_LIMIT, |n| n as u32);
    let after = params
        .optional_integer(
            "after",
            0..=i64::MAX,
            "a creator_id (a non-negative integer)",
        )?
        .unwrap_or(0);
    let rows = accounts::list_creators(state.pool(), after, limit).await?;
    Ok(Json(
        rows.iter()
            .map(|(account, stats)| CreatorData::new(account, *stats))
            .collect(),
    ))
}
