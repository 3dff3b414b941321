//! Named leases: work that must run on one node at a time (the payout projection, periodic
//! sweeps) is done by whoever holds the lease. A lease row names its holder, when it expires
//! and a fencing token. Taking a lease is one conditional upsert (it succeeds only when the
//! row is missing or expired) that increments the token, so two nodes can never both take it
//! for the same time; the holder renews it well before it expires; a holder that died loses it
//! once it expires. A holder that was paused past its expiry and did not notice is stopped by
//! the token: writes made as the leader go through [`check_on`] in their own transaction,
//! which fails unless the token is still current (on PostgreSQL it also locks the row until
//! commit, so a takeover waits for the write to finish). Works the same on SQLite and
//! PostgreSQL. Times are the caller's (an injected clock), never the database's.

use domain::video::Timestamp;
use sqlx::{AnyConnection, AnyPool};

use crate::StoreError;

/// A lease held: by whom, with which fencing token, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub name: String,
    pub holder: String,
    pub token: i64,
    pub expires_at: Timestamp,
}

/// Takes the lease `name` for `holder` until `until` if nobody holds it at `now` (never held,
/// or expired); `None` when someone does. The token is one more than the last holder's.
pub async fn acquire(
    pool: &AnyPool,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<Option<Held>, StoreError> {
    let token: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 1, $4) \
         ON CONFLICT (name) DO UPDATE \
             SET holder = excluded.holder, token = leases.token + 1, \
                 expires_at = excluded.expires_at \
             WHERE leases.expires_at < $3 \
         RETURNING token",
    )
    .bind(name)
    .bind(holder)
    .bind(now.as_micros())
    .bind(until.as_micros())
    .fetch_optional(pool)
    .await?;
    Ok(token.map(|(token,)| Held {
        name: name.to_owned(),
        holder: holder.to_owned(),
        token,
        expires_at: until,
    }))
}

/// Extends `held` to `until` if it is still current at `now`; else [`StoreError::NotLeader`]
/// (it expired, or someone else took it since).
pub async fn renew(
    pool: &AnyPool,
    held: &Held,
    now: Timestamp,
    until: Timestamp,
) -> Result<Held, StoreError> {
    let done = sqlx::query(
        "UPDATE leases SET expires_at = $4 \
         WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at >= $5",
    )
    .bind(&held.name)
    .bind(&held.holder)
    .bind(held.token)
    .bind(until.as_micros())
    .bind(now.as_micros())
    .execute(pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(Held {
            expires_at: until,
            ..held.clone()
        })
    } else {
        Err(StoreError::NotLeader(held.name.clone()))
    }
}

/// Gives `held` up (on shutdown), so another node takes over without waiting for expiry.
pub async fn release(pool: &AnyPool, held: &Held) -> Result<(), StoreError> {
    sqlx::query("UPDATE leases SET expires_at = 0 WHERE name = $1 AND token = $2")
        .bind(&held.name)
        .bind(held.token)
        .execute(pool)
        .await?;
    Ok(())
}

/// Inside a transaction: fails with [`StoreError::NotLeader`] unless `held` is still current
/// at `now`. On PostgreSQL the lease row stays locked until the transaction ends.
pub async fn check_on(
    conn: &mut AnyConnection,
    held: &Held,
    now: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE leases SET expires_at = expires_at \
         WHERE name = $1 AND token = $2 AND expires_at >= $3",
    )
    .bind(&held.name)
    .bind(held.token)
    .bind(now.as_micros())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::NotLeader(held.name.clone()))
    }
}
