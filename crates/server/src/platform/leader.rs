//! Whether this node leads: a [`Leadership`] takes the `platform` lease
//! ([`store::leases`]) when it is free, renews it while it holds it, and notices when it lost
//! it (expired while the node was paused, or taken over). Times come from the injected clock,
//! so takeover and the single-leader rule are tested without sleeping.

use std::sync::Mutex;
use std::time::Duration;

use domain::video::Timestamp;
use store::StoreError;
use store::database::AnyPool;
use store::leases::{self, Held};

/// The lease the platform-wide work is done under.
pub const PLATFORM_LEASE: &str = "platform";

/// This node's claim to leadership.
pub struct Leadership {
    /// Unique per process: a restarted node is a new holder.
    holder: String,
    lease: Duration,
    held: Mutex<Option<Held>>,
}

/// What a [`Leadership::tick`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// This node leads, with this lease (pass it to fenced writes).
    Leader(Held),
    Follower,
}

impl Leadership {
    /// A claim for a node whose leases last `lease` (renew at least every third of it).
    pub fn new(lease: Duration) -> Self {
        Self {
            holder: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()),
            lease,
            held: Mutex::new(None),
        }
    }

    /// Renews the lease if held, else tries to take it; the role that results at `now`.
    pub async fn tick(&self, pool: &AnyPool, now: Timestamp) -> Result<Role, StoreError> {
        let until = Timestamp::from_micros(
            now.as_micros()
                .saturating_add(i64::try_from(self.lease.as_micros()).unwrap_or(i64::MAX)),
        );
        let held = self.current();
        let result = match held {
            Some(held) => match leases::renew(pool, &held, now, until).await {
                Ok(renewed) => Ok(Some(renewed)),
                Err(StoreError::NotLeader(_)) => {
                    tracing::warn!(token = held.token, "lost the platform lease");
                    // Someone else may have it, or nobody: try again at once.
                    leases::acquire(pool, PLATFORM_LEASE, &self.holder, now, until).await
                }
                Err(other) => Err(other),
            },
            None => leases::acquire(pool, PLATFORM_LEASE, &self.holder, now, until).await,
        };
        let held = match result {
            Ok(held) => held,
            Err(error) => {
                // Unknown state: stop leading; the lease expires unless renewed later.
                self.set(None);
                return Err(error);
            }
        };
        if let Some(new) = &held
            && self.current().is_none_or(|old| old.token != new.token)
        {
            tracing::info!(
                token = new.token,
                "this node now leads the platform's periodic work"
            );
        }
        self.set(held.clone());
        Ok(held.map_or(Role::Follower, Role::Leader))
    }

    /// Gives the lease up, if held (on shutdown).
    pub async fn resign(&self, pool: &AnyPool) {
        if let Some(held) = self.current() {
            self.set(None);
            if let Err(error) = leases::release(pool, &held).await {
                tracing::warn!(%error, "could not release the platform lease");
            }
        }
    }

    fn current(&self) -> Option<Held> {
        self.held
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    fn set(&self, held: Option<Held>) {
        *self
            .held
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    const LEASE: Duration = Duration::from_secs(15);

    async fn database(dir: &tempfile::TempDir) -> store::Database {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = store::Database::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        db
    }

    fn token(role: &Role) -> i64 {
        match role {
            Role::Leader(held) => held.token,
            Role::Follower => panic!("expected to lead"),
        }
    }

    #[tokio::test]
    async fn one_leader_at_a_time_and_takeover_only_after_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir).await;
        let clock = ManualClock::starting_now();
        let (a, b) = (Leadership::new(LEASE), Leadership::new(LEASE));

        let first = a.tick(db.pool(), clock.now()).await.unwrap();
        assert_eq!(token(&first), 1);
        assert_eq!(
            b.tick(db.pool(), clock.now()).await.unwrap(),
            Role::Follower
        );

        // A renews within its lease; B still cannot take it, however often it tries.
        clock.advance(LEASE - Duration::from_secs(1));
        assert_eq!(token(&a.tick(db.pool(), clock.now()).await.unwrap()), 1);
        clock.advance(LEASE - Duration::from_secs(1));
        assert_eq!(
            b.tick(db.pool(), clock.now()).await.unwrap(),
            Role::Follower
        );

        // A stops renewing (paused, dead): just past expiry B takes over with a new token.
        clock.advance(Duration::from_secs(2));
        let second = b.tick(db.pool(), clock.now()).await.unwrap();
        assert_eq!(token(&second), 2);
        // A wakes up: it cannot renew, cannot retake, and its old token fences its writes.
        assert_eq!(
            a.tick(db.pool(), clock.now()).await.unwrap(),
            Role::Follower
        );
        let Role::Leader(stale) = first else {
            unreachable!()
        };
        let refused = store::projections::publish(
            db.pool(),
            &stale,
            clock.now(),
            "2026-11",
            clock.now(),
            "[]",
        )
        .await;
        assert!(
            matches!(refused, Err(StoreError::NotLeader(_))),
            "{refused:?}"
        );
        let Role::Leader(current) = second.clone() else {
            unreachable!()
        };
        store::projections::publish(
            db.pool(),
            &current,
            clock.now(),
            "2026-11",
            clock.now(),
            "[]",
        )
        .await
        .unwrap();

        // B resigns on shutdown: A takes over at once, without waiting for expiry.
        b.resign(db.pool()).await;
        assert_eq!(token(&a.tick(db.pool(), clock.now()).await.unwrap()), 3);
        assert_eq!(
            b.tick(db.pool(), clock.now()).await.unwrap(),
            Role::Follower
        );
    }

    #[tokio::test]
    async fn racing_nodes_never_both_lead() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir).await;
        let clock = ManualClock::starting_now();
        let nodes: Vec<Leadership> = (0..8).map(|_| Leadership::new(LEASE)).collect();
        for round in 0..5 {
            let roles = futures_util::future::join_all(
                nodes.iter().map(|node| node.tick(db.pool(), clock.now())),
            )
            .await;
            let leaders = roles
                .iter()
                .filter(|role| matches!(role, Ok(Role::Leader(_))))
                .count();
            assert_eq!(leaders, 1, "round {round}: {roles:?}");
            // Every lease expires before the next round: a fresh race each time.
            clock.advance(LEASE + Duration::from_secs(1));
        }
    }
}
