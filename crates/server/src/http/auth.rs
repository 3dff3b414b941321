//! Who is calling. Passwords are hashed with Argon2id; bearer tokens are 256 random bits, given
//! to the client once and stored only as their SHA-256 hash, so a database leak reveals no
//! usable token. Lookups go by hash (an exact-match index probe), so there is no secret
//! comparison in application code to leak timing.
//!
//! Each API surface turns [`AuthError`] into its own error shape.
//!
//! A browser signed in to the web app sends the same kind of token in the session cookie
//! instead ([`session_cookie`](super::session_cookie), which also checks CSRF): a bearer
//! token wins when both are sent; a stale or unknown cookie is anonymity, not an error, so an
//! expired browser session still sees public pages and feeds.
//!
//! Hashing and verifying can run in caller-owned [`HashMemory`] (Argon2's 19 MiB working
//! area), which [`hashing`](super::hashing) keeps one of per slot: allocating it afresh for
//! every hash on whichever blocking thread runs it leaves the memory cached in that thread's
//! allocator arena, and peak memory then grows with the number of threads, not slots.

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::account::Account;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::StoreError;
use store::accounts;

use super::session_cookie;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Not authenticated")]
    Missing,
    #[error("Invalid authentication credentials")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Argon2's working memory, kept to be reused by hash after hash.
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    /// Room for the default parameters (19 MiB), allocated when first used.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let count = params.block_count();
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

/// [`hash_password`] in `memory`: the same Argon2id PHC string.
pub fn hash_password_in(
    password: &str,
    memory: &mut HashMemory,
) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let argon2 = Argon2::default();
    let params = argon2.params().clone();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                memory.blocks(&params),
            )
            .map_err(Into::into)
    })?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// [`verify_password`] in `memory`, for any Argon2 PHC string (the comparison of outputs is
/// constant-time).
pub fn verify_password_in(password: &str, stored_hash: &str, memory: &mut HashMemory) -> bool {
    verify_in(password, stored_hash, memory).unwrap_or(false)
}

fn verify_in(password: &str, stored_hash: &str, memory: &mut HashMemory) -> Option<bool> {
    let hash = PasswordHash::new(stored_hash).ok()?;
    let expected = hash.hash?;
    let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
    let version = match hash.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&hash).ok()?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = hash.salt?.decode_b64(&mut salt_bytes).ok()?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon2
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            memory.blocks(&params),
        )
        .ok()?;
    Some(Output::new(&out).ok()? == expected)
}

/// A fresh random token (what the client keeps) and its hash (what the database keeps).
pub fn new_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The bearer token in `Authorization`, if the header is there. A header that is not a
/// bearer token is an error, not anonymity.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AuthError::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > 256 {
        return Err(AuthError::Invalid);
    }
    Ok(Some(token))
}

/// The caller's account: `None` when no token was sent; an error when one was sent but is
/// unknown, expired or revoked.
pub async fn optional_account(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Account>, AuthError> {
    let now = state.clock.now().as_micros();
    if let Some(token) = bearer_token(headers)? {
        return match accounts::account_for_token(state.pool(), &token_hash(token), now).await {
            Ok(account) => Ok(Some(account)),
            Err(StoreError::NotFound) => Err(AuthError::Invalid),
            Err(other) => Err(other.into()),
        };
    }
    let Some(token) = session_cookie::session_token(headers) else {
        return Ok(None);
    };
    match accounts::account_for_token(state.pool(), &token_hash(token), now).await {
        Ok(account) => Ok(Some(account)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

pub async fn required_account(state: &AppState, headers: &HeaderMap) -> Result<Account, AuthError> {
    optional_account(state, headers)
        .await?
        .ok_or(AuthError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashes_made_in_reused_memory_are_the_standard_ones() {
        let mut memory = HashMemory::new();
        let made_in_memory = hash_password_in("correct horse", &mut memory).unwrap();
        assert!(made_in_memory.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse", &made_in_memory));
        let standard = hash_password("correct horse").unwrap();
        assert!(verify_password_in("correct horse", &standard, &mut memory));
        assert!(!verify_password_in("wrong horse", &standard, &mut memory));
        assert!(!verify_password_in("x", "not a hash", &mut memory));
    }

    #[test]
    fn tokens_carry_256_bits_and_are_stored_hashed() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), 43);
        assert_ne!(token, hash);
        assert_eq!(token_hash(&token), hash);
    }

    #[test]
    fn only_bearer_authorization_headers_are_accepted() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer_token(&headers), Ok(None)));
        headers.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers).unwrap(), Some("abc"));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(bearer_token(&headers).is_err());
    }
}
