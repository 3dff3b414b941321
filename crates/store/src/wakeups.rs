//! Waking workers in other processes when a job is queued: PostgreSQL `NOTIFY` on one
//! channel, sent inside the queuing transaction (PostgreSQL delivers it on commit, never for a
//! rolled-back insert), and a `LISTEN`ing connection per worker process. A notification says
//! only "look at the queue"; the claim decides who takes what, so a lost, duplicated or
//! spurious notification costs at most one query, and workers still poll as a fallback.
//! SQLite has no such thing: its processes share one machine, and the server's in-process
//! wake-up covers the uploads a process queues itself.

use sqlx::AnyConnection;
use sqlx::postgres::PgListener;

use crate::StoreError;

/// The channel job notifications go on. Channels are per database, not per schema: two
/// deployments in one database wake each other's workers, which is harmless.
pub const JOBS_CHANNEL: &str = "reelshare_jobs";

/// Notifies listeners that a job was queued, on commit of `conn`'s transaction (PostgreSQL
/// only; nothing on SQLite).
pub async fn notify_job_queued(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if conn.backend_name() == POSTGRES_BACKEND_NAME {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(JOBS_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What sqlx's `Any` driver calls a PostgreSQL connection.
const POSTGRES_BACKEND_NAME: &str = <sqlx::Postgres as sqlx::Database>::NAME;

/// A connection listening for queued jobs.
pub struct JobListener(PgListener);

impl JobListener {
    /// Connects to the PostgreSQL database at `url` and listens on [`JOBS_CHANNEL`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(JOBS_CHANNEL).await?;
        Ok(Self(listener))
    }

    /// Waits for the next notification. After a lost connection (reconnected by the next
    /// call) it returns at once too, since notifications sent meanwhile were missed.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.0.try_recv().await?;
        Ok(())
    }
}
