//! The store's one error type. Driver errors are classified here, at the boundary, so callers
//! match on `NotFound` and `Conflict` instead of inspecting sqlx or object_store errors.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; carries the constraint or column it names.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A worker's claim on a job ran out and the job was claimed again (or finished) by
    /// someone else: this worker must drop its work.
    #[error("job {0}'s lease was lost")]
    LeaseLost(i64),
    /// A lease (see [`crate::leases`]) this node held expired or was taken by another node:
    /// it must stop acting as the holder.
    #[error("this node no longer holds the {0} lease")]
    NotLeader(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("object store error: {0}")]
    Objects(object_store::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(db.constraint().unwrap_or(db.message()).to_owned())
            }
            _ => Self::Database(error),
        }
    }
}

impl From<object_store::Error> for StoreError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Objects(other),
        }
    }
}

impl StoreError {
    /// What is unavailable when this error means a backing service failed rather than the
    /// request being wrong: "the database" for a database error, "media storage" for an
    /// object-store or file error. Surfaces answer these with 503 and `Retry-After`.
    pub fn unavailable(&self) -> Option<&'static str> {
        match self {
            Self::Database(_) => Some("the database"),
            Self::Objects(_) | Self::Io(_) => Some("media storage"),
            _ => None,
        }
    }
}
