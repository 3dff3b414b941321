//! `GET /get-creator-data?creator_id=N`: the creator's row, with follower counts and the total
//! likes across their videos. (The seed says "404 status code" on success; that is a typo in
//! the seed: success is 200.)

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use store::accounts;

use super::error::CreatorApiError;
use super::json::CreatorData;
use super::query::Params;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/get-creator-data", get(get_creator_data))
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
