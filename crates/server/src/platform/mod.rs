//! Work done once per platform, not once per node: one node at a time is the *leader* (it
//! holds the `platform` lease, [`leader`]) and does the periodic platform-wide work
//! ([`duties`]): it solves the open period's payout projection and publishes it for the other
//! nodes, which read it instead of solving; it fails stuck jobs; it sweeps orphaned media.
//! Any node can lead (`serve`, `serve --no-workers` or `worker`); when the leader stops or
//! dies another takes over within one lease.

pub mod duties;
pub mod leader;
