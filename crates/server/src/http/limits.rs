//! Rate limits on the costly or abusable actions: logging in and registering (each costs an
//! Argon2 hash), issuing upload forms, uploading, commenting and reporting. Each action has
//! two keyed limiters (GCRA, from `governor`): one by client IP (see
//! [`client_ip`](super::client_ip)) and one by account (the username for logins and
//! registrations, the account id otherwise). A refusal carries how long to wait, which each
//! API surface answers as 429 with `Retry-After` in its own error shape.
//!
//! Memory stays bounded: a key whose state is indistinguishable from a fresh one is dropped by
//! [`RateLimiters::sweep`] (every minute, from start-up) and whenever a limiter holds more than
//! [`SWEEP_ABOVE_KEYS`] keys. Limits are per process: nodes behind a load balancer each count
//! their own (deliberately: no shared store on the request path).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client_ip::rate_key;
use crate::settings::{ActionLimits, RateLimit, RateLimits};

/// A limiter holding more keys than this is swept at once instead of waiting for the minute.
pub const SWEEP_ABOVE_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    UploadForm,
    Upload,
    Comment,
    Report,
}

/// Too many requests: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too Many Requests")]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// `Retry-After` in whole seconds, at least 1.
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

struct Keyed<K: Hash + Eq + Clone>(DefaultKeyedRateLimiter<K>);

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(limit: RateLimit) -> Self {
        let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        Self(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    fn check(&self, key: &K) -> Result<(), Limited> {
        let checked = self.0.check_key(key).map_err(|not_until| Limited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        });
        if checked.is_ok() && self.0.len() > SWEEP_ABOVE_KEYS {
            self.sweep();
        }
        checked
    }

    fn sweep(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }
}

struct ActionLimiter {
    per_ip: Option<Keyed<IpAddr>>,
    per_account: Option<Keyed<String>>,
}

impl ActionLimiter {
    fn new(limits: ActionLimits) -> Self {
        Self {
            per_ip: limits.per_ip.map(Keyed::new),
            per_account: limits.per_account.map(Keyed::new),
        }
    }
}

/// Every action's limiters.
pub struct RateLimiters {
    login: ActionLimiter,
    register: ActionLimiter,
    upload_form: ActionLimiter,
    upload: ActionLimiter,
    comment: ActionLimiter,
    report: ActionLimiter,
}

impl RateLimiters {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            login: ActionLimiter::new(limits.login),
            register: ActionLimiter::new(limits.register),
            upload_form: ActionLimiter::new(limits.upload_form),
            upload: ActionLimiter::new(limits.upload),
            comment: ActionLimiter::new(limits.comment),
            report: ActionLimiter::new(limits.report),
        }
    }

    fn action(&self, action: Action) -> &ActionLimiter {
        match action {
            Action::Login => &self.login,
            Action::Register => &self.register,
            Action::UploadForm => &self.upload_form,
            Action::Upload => &self.upload,
            Action::Comment => &self.comment,
            Action::Report => &self.report,
        }
    }

    /// Counts one `action` from `ip`; refused when that client is over its limit.
    pub fn check_ip(&self, action: Action, ip: IpAddr) -> Result<(), Limited> {
        match &self.action(action).per_ip {
            Some(limiter) => limiter.check(&rate_key(ip)),
            None => Ok(()),
        }
    }

    /// Counts one `action` by `account` (a username or an account id, as the action keys it).
    pub fn check_account(&self, action: Action, account: &str) -> Result<(), Limited> {
        match &self.action(action).per_account {
            Some(limiter) => limiter.check(&account.to_owned()),
            None => Ok(()),
        }
    }

    /// Forgets every key whose limit has fully replenished.
    pub fn sweep(&self) {
        for action in [
            &self.login,
            &self.register,
            &self.upload_form,
            &self.upload,
            &self.comment,
            &self.report,
        ] {
            if let Some(limiter) = &action.per_ip {
                limiter.sweep();
            }
            if let Some(limiter) = &action.per_account {
                limiter.sweep();
            }
        }
    }

    /// Keys held across every limiter (for tests and diagnostics).
    pub fn tracked_keys(&self) -> usize {
        [
            &self.login,
            &self.register,
            &self.upload_form,
            &self.upload,
            &self.comment,
            &self.report,
        ]
        .iter()
        .map(|action| {
            action.per_ip.as_ref().map_or(0, |l| l.0.len())
                + action.per_account.as_ref().map_or(0, |l| l.0.len())
        })
        .sum()
    }
}

/// Sweeps `limiters` every minute, forever.
pub async fn sweep_forever(limiters: std::sync::Arc<RateLimiters>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        limiters.sweep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32, burst: u32) -> RateLimits {
        let limit = Some(RateLimit { per_minute, burst });
        let both = ActionLimits {
            per_ip: limit,
            per_account: limit,
        };
        RateLimits {
            login: both,
            register: both,
            upload_form: both,
            upload: both,
            comment: both,
            report: both,
        }
    }

    #[test]
    fn a_burst_passes_then_the_next_request_must_wait() {
        let limiters = RateLimiters::new(&limits(6, 3));
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..3 {
            assert!(limiters.check_ip(Action::Login, ip).is_ok());
        }
        let refused = limiters.check_ip(Action::Login, ip).unwrap_err();
        // 6 a minute: one every 10 s.
        assert!(refused.retry_after <= Duration::from_secs(10));
        assert!((1..=10).contains(&refused.retry_after_seconds()));
        // Other clients, accounts and actions are counted apart.
        assert!(
            limiters
                .check_ip(Action::Login, "10.1.2.4".parse().unwrap())
                .is_ok()
        );
        assert!(limiters.check_ip(Action::Register, ip).is_ok());
        assert!(limiters.check_account(Action::Login, "ada").is_ok());
    }

    #[test]
    fn replenished_keys_are_forgotten_by_a_sweep() {
        let limiters = RateLimiters::new(&limits(60_000, 1_000));
        for n in 0..50u8 {
            limiters
                .check_ip(Action::Comment, IpAddr::from([10, 0, 0, n]))
                .unwrap();
        }
        assert_eq!(limiters.tracked_keys(), 50);
        // At 1 000 a second, one request's cell replenishes in a millisecond.
        std::thread::sleep(Duration::from_millis(20));
        limiters.sweep();
        assert_eq!(limiters.tracked_keys(), 0);
    }

    #[test]
    fn an_action_without_a_limit_is_never_refused() {
        let limiters = RateLimiters::new(&RateLimits::default());
        for _ in 0..1000 {
            assert!(limiters.check_account(Action::Upload, "1").is_ok());
        }
        assert_eq!(limiters.tracked_keys(), 0);
    }
}
