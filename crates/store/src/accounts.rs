//! Accounts, their bearer tokens and the follower counts shown in the Creator API. An account
//! is both a creator (integer id) and a Video API user (public id). Creators are also found by
//! display name (not unique: the lowest id wins) and listed in id order, a page at a time.

use domain::account::{Account, Role};
use domain::ids::{AccountId, UserId};
use sqlx::{AnyPool, FromRow};

use crate::StoreError;

/// An account to create. `username`/`password_hash` are absent for accounts that cannot log
/// in (the seeded default creator).
pub struct NewAccount<'a> {
    pub public_id: &'a UserId,
    pub username: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a str,
    pub role: Role,
    pub created_at: i64,
}

#[derive(FromRow)]
struct AccountRow {
    id: i64,
    public_id: String,
    username: Option<String>,
    display_name: String,
    role: String,
}

impl AccountRow {
    fn into_account(self) -> Result<Account, StoreError> {
        let public_id = UserId::parse(&self.public_id)
            .map_err(|_| StoreError::Corrupt(format!("account {} public id", self.id)))?;
        let role = Role::from_stored(&self.role);
        Ok(Account {
            id: AccountId::new(self.id),
            public_id,
            username: self.username,
            display_name: self.display_name,
            role,
        })
    }
}

/// A static `SELECT` of account rows (table alias `a`) followed by `$tail`.
macro_rules! select_accounts {
    ($($tail:literal),*) => {
        concat!("SELECT a.id, a.public_id, a.username, a.display_name, a.role ", $($tail),*)
    };
}

pub async fn insert_account(pool: &AnyPool, new: NewAccount<'_>) -> Result<AccountId, StoreError> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO accounts (public_id, username, password_hash, display_name, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.public_id.as_str())
    .bind(new.username)
    .bind(new.password_hash)
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.created_at)
    .fetch_one(pool)
    .await?;
    Ok(AccountId::new(id.0))
}

pub async fn count_accounts(pool: &AnyPool) -> Result<i64, StoreError> {
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(pool)
        .await?;
    Ok(count.0)
}

pub async fn find_account(pool: &AnyPool, id: AccountId) -> Result<Account, StoreError> {
    let sql = select_accounts!("FROM accounts a WHERE a.id = $1");
    let row: AccountRow = sqlx::query_as(sql).bind(id.get()).fetch_one(pool).await?;
    row.into_account()
}

pub async fn find_account_by_public_id(
    pool: &AnyPool,
    public_id: &UserId,
) -> Result<Account, StoreError> {
    let sql = select_accounts!("FROM accounts a WHERE a.public_id = $1");
    let row: AccountRow = sqlx::query_as(sql)
        .bind(public_id.as_str())
        .fetch_one(pool)
        .await?;
    row.into_account()
}

/// The account with this username, whether or not anyone can log in as it.
pub async fn find_account_by_username(
    pool: &AnyPool,
    username: &str,
) -> Result<Account, StoreError> {
    let sql = select_accounts!("FROM accounts a WHERE a.username = $1");
    let row: AccountRow = sqlx::query_as(sql).bind(username).fetch_one(pool).await?;
    row.into_account()
}

/// The account with this display name. Display names are not unique: the lowest id (the
/// oldest account) wins, so the answer never changes when later accounts take the same name.
/// Exact match (case and all) on the stored, trimmed name.
pub async fn find_account_by_display_name(
    pool: &AnyPool,
    display_name: &str,
) -> Result<Account, StoreError> {
    let sql = select_accounts!("FROM accounts a WHERE a.display_name = $1 ORDER BY a.id LIMIT 1");
    let row: AccountRow = sqlx::query_as(sql)
        .bind(display_name)
        .fetch_one(pool)
        .await?;
    row.into_account()
}

/// The account with this username and its stored password hash, for logging in.
pub async fn find_login(pool: &AnyPool, username: &str) -> Result<(Account, String), StoreError> {
    #[derive(FromRow)]
    struct LoginRow {
        #[sqlx(flatten)]
        account: AccountRow,
        password_hash: Option<String>,
    }
    let sql = select_accounts!(
        ", a.password_hash FROM accounts a WHERE a.username = $1 AND a.password_hash IS NOT NULL"
    );
    let row: LoginRow = sqlx::query_as(sql).bind(username).fetch_one(pool).await?;
    let hash = row.password_hash.ok_or(StoreError::NotFound)?;
    Ok((row.account.into_account()?, hash))
}

/// Makes an account a moderator or a plain user again.
pub async fn set_role(pool: &AnyPool, id: AccountId, role: Role) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE accounts SET role = $2 WHERE id = $1")
        .bind(id.get())
        .bind(role.as_str())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The social numbers the Creator API shows for a creator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreatorStats {
    pub following: i64,
    pub followers: i64,
    /// Total likes across the creator's videos.
    pub likes: i64,
}

/// The [`CreatorStats`] columns (`following`, `followers`, `likes`) of the creator whose id is
/// the SQL expression `$id`: one definition for every query that shows creators.
macro_rules! creator_stats_columns {
    ($id:literal) => {
        concat!(
            "(SELECT COUNT(*) FROM follows WHERE follower_id = ",
            $id,
            ") AS following, ",
            "(SELECT COUNT(*) FROM follows WHERE followee_id = ",
            $id,
            ") AS followers, ",
            "(SELECT CAST(COALESCE(SUM(s.likes), 0) AS BIGINT) FROM video_stats s ",
            "JOIN videos v ON v.id = s.video_id WHERE v.account_id = ",
            $id,
            ") AS likes"
        )
    };
}

#[derive(FromRow)]
struct CreatorStatsRow {
    following: i64,
    followers: i64,
    likes: i64,
}

impl From<CreatorStatsRow> for CreatorStats {
    fn from(row: CreatorStatsRow) -> Self {
        Self {
            following: row.following,
            followers: row.followers,
            likes: row.likes,
        }
    }
}

pub async fn creator_stats(pool: &AnyPool, id: AccountId) -> Result<CreatorStats, StoreError> {
    let sql = concat!("SELECT ", creator_stats_columns!("$1"));
    let row: CreatorStatsRow = sqlx::query_as(sql).bind(id.get()).fetch_one(pool).await?;
    Ok(row.into())
}

/// A page of creators in id order, each with its [`CreatorStats`]: at most `limit` of those
/// whose id is above `after` (0: from the first).
pub async fn list_creators(
    pool: &AnyPool,
    after: i64,
    limit: u32,
) -> Result<Vec<(Account, CreatorStats)>, StoreError> {
    #[derive(FromRow)]
    struct CreatorRow {
        #[sqlx(flatten)]
        account: AccountRow,
        #[sqlx(flatten)]
        stats: CreatorStatsRow,
    }
    let sql = concat!(
        select_accounts!(", "),
        creator_stats_columns!("a.id"),
        " FROM accounts a WHERE a.id > $1 ORDER BY a.id LIMIT $2"
    );
    let rows: Vec<CreatorRow> = sqlx::query_as(sql)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.account.into_account()?, row.stats.into())))
        .collect()
}

// ----- bearer tokens -----

/// Stores a token's hash. The token itself is never stored.
pub async fn insert_token(
    pool: &AnyPool,
    token_hash: &str,
    account: AccountId,
    created_at: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO auth_tokens (token_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account.get())
    .bind(created_at)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The account a live (unexpired, unrevoked) token belongs to.
pub async fn account_for_token(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Account, StoreError> {
    let sql = select_accounts!(
        "FROM accounts a JOIN auth_tokens t ON t.account_id = a.id ",
        "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"
    );
    let row: AccountRow = sqlx::query_as(sql)
        .bind(token_hash)
        .bind(now)
        .fetch_one(pool)
        .await?;
    row.into_account()
}

pub async fn revoke_token(pool: &AnyPool, token_hash: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE auth_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}
