//! The leader's solved payout projection, one row per period, for the other nodes to read
//! instead of solving it themselves. The store keeps the entries as the server serialised them
//! (a JSON text it does not read) with the time they were solved, so a reader can tell whether
//! anything newer is there before loading it. Writing is fenced by the leader's lease.

use domain::video::Timestamp;
use sqlx::AnyPool;

use crate::StoreError;
use crate::leases::{self, Held};

/// A stored projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProjection {
    pub solved_at: Timestamp,
    pub entries: String,
}

/// Stores `period`'s projection, solved at `solved_at`, if `held` is still current at `now`.
pub async fn publish(
    pool: &AnyPool,
    held: &Held,
    now: Timestamp,
    period: &str,
    solved_at: Timestamp,
    entries: &str,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    leases::check_on(&mut tx, held, now).await?;
    sqlx::query(
        "INSERT INTO projections (period, solved_at, entries) VALUES ($1, $2, $3) \
         ON CONFLICT (period) DO UPDATE \
             SET solved_at = excluded.solved_at, entries = excluded.entries",
    )
    .bind(period)
    .bind(solved_at.as_micros())
    .bind(entries)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `period`'s projection if one solved after `after` is stored.
pub async fn newer_than(
    pool: &AnyPool,
    period: &str,
    after: Option<Timestamp>,
) -> Result<Option<StoredProjection>, StoreError> {
    let after = after.map_or(i64::MIN, Timestamp::as_micros);
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT solved_at, entries FROM projections WHERE period = $1 AND solved_at > $2",
    )
    .bind(period)
    .bind(after)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(solved_at, entries)| StoredProjection {
        solved_at: Timestamp::from_micros(solved_at),
        entries,
    }))
}
