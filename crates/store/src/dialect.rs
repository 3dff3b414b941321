//! Where SQLite and PostgreSQL differ, and the one way the store tells them apart: the
//! database URL's scheme, read from the URL when connecting and from the pool's connect
//! options everywhere else ([`Backend::of`]). Queries are portable SQL with `$N`
//! placeholders; the places that must differ ask [`Backend`] and say why next to the
//! statement:
//!
//! - [`database`](crate::database): SQLite's pragmas and pool size, and which migration
//!   folder runs.
//! - [`jobs`](crate::jobs): claiming a job with `FOR UPDATE SKIP LOCKED` on PostgreSQL, a
//!   portable compare-and-set on SQLite.
//! - [`watches`](crate::watches): SQLite takes a batch's statements in one call and its write
//!   lock with `BEGIN IMMEDIATE`; PostgreSQL takes one statement with parameters per call.
//! - [`rebuild`](crate::rebuild): PostgreSQL locks the aggregate tables explicitly; SQLite's
//!   single write lock already keeps writers out.

use sqlx::AnyPool;

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names (`sqlite:…`, `postgres:…` or `postgresql:…`).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::Corrupt(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite: or postgres:"
            ))),
        }
    }

    /// The backend `pool` connects to, from the URL it was opened with.
    pub fn of(pool: &AnyPool) -> Self {
        let options = pool.connect_options();
        Self::from_url(options.database_url.as_str())
            .expect("a pool is only opened for a supported URL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_scheme_names_the_backend() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
        assert!(Backend::from_url("sqlitex://a").is_err());
    }
}
