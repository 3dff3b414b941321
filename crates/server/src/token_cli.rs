//! `reelshare token --creator-id N`: issues a bearer token for an existing creator and hands
//! it back once, for the command to print. This is how the seeded default creator (who has no
//! password) signs in, e.g. to upload through the Creator API now that anonymous uploads are
//! off by default. Whoever can run it already controls the database, so it grants nothing new.
//!
//! Deliberately a command, not a token printed in the log at first start: logs are kept and
//! shipped, and secrets never reach them; and a command can be run again when the token is
//! lost or expires. It stores only the token's hash, like every login. It does not create
//! accounts (except seeding the default creator on an empty database, as start-up does).

use domain::ids::AccountId;
use domain::video::Timestamp;
use store::{Database, StoreError, accounts};

use crate::clock::Clock;
use crate::http::auth;
use crate::settings::Settings;

/// A token just issued: shown once, never stored in clear.
pub struct IssuedToken {
    pub token: String,
    pub creator_id: i64,
    pub name: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenCommandError {
    #[error("there is no creator with id {0}")]
    UnknownCreator(i64),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<StoreError> for TokenCommandError {
    fn from(error: StoreError) -> Self {
        Self::Other(error.into())
    }
}

impl TokenCommandError {
    /// 2 for input the user can fix, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::UnknownCreator(_) => 2,
            Self::Other(_) => 1,
        }
    }
}

/// Issues a token for creator `creator_id`, valid for the configured `token_ttl`.
pub async fn issue(
    settings: &Settings,
    creator_id: i64,
    clock: &dyn Clock,
) -> Result<IssuedToken, TokenCommandError> {
    use anyhow::Context;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    let db = Database::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    crate::startup::seed_default_creator(&db, settings, clock)
        .await
        .context("seeding the default creator")?;
    let issued = issue_in(&db, settings, creator_id, clock).await;
    db.close().await;
    issued
}

async fn issue_in(
    db: &Database,
    settings: &Settings,
    creator_id: i64,
    clock: &dyn Clock,
) -> Result<IssuedToken, TokenCommandError> {
    let account = match accounts::find_account(db.pool(), AccountId::new(creator_id)).await {
        Ok(account) => account,
        Err(StoreError::NotFound) => return Err(TokenCommandError::UnknownCreator(creator_id)),
        Err(other) => return Err(other.into()),
    };
    let (token, hash) = auth::new_token();
    let now = clock.now().as_micros();
    let ttl = i64::try_from(settings.token_ttl.as_micros()).unwrap_or(i64::MAX);
    let expires_at = now.saturating_add(ttl);
    accounts::insert_token(db.pool(), &hash, account.id, now, expires_at).await?;
    Ok(IssuedToken {
        token,
        creator_id: account.id.get(),
        name: account.display_name,
        expires_at: Timestamp::from_micros(expires_at),
    })
}
