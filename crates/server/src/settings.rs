//! Configuration, layered: built-in defaults → optional TOML file → `REELSHARE_*` environment
//! variables (plus the conventional `DATABASE_URL`) → command-line flags. Values are checked and
//! turned into typed settings once, at start-up; tests build [`Settings`] in code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::allocation::AllocationParams;
use domain::quality::QualityWeights;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The raw, file/environment-shaped configuration. Every field has a default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSettings {
    pub bind: String,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `reelshare.db` in the data directory.
    pub database_url: Option<String>,
    pub max_upload_bytes: u64,
    /// Name of the creator made on an empty database (id 1); empty: make none.
    pub default_creator_name: String,
    /// Development setting: lets `/upload-video` be used without a token.
    pub allow_anonymous_creator_uploads: bool,
    /// `auto` (use ffmpeg/ffprobe from PATH when present), `disabled`, or a directory.
    pub ffmpeg: String,
    /// Largest picture accepted (coded width × height, checked against the stream itself).
    pub max_pixels: u64,
    /// Longest video accepted, in seconds (a short-video platform: default one hour).
    pub max_duration_seconds: u64,
    /// Threads one ffmpeg/ffprobe run may use.
    pub ffmpeg_threads: u32,
    /// Address-space limit of one ffmpeg/ffprobe process, in bytes.
    pub ffmpeg_memory_bytes: u64,
    pub ffmpeg_timeout_seconds: u64,
    pub log_format: String,
    pub token_ttl_hours: u64,
    pub watch_link_ttl_seconds: u64,
    pub upload_form_ttl_seconds: u64,
    pub valid_file_types: Vec<String>,
    /// Seconds between refreshes of the projected payouts.
    pub projection_refresh_seconds: u64,
    /// The pool split among videos each period (calendar month, UTC), in currency units;
    /// ledgers keep it in integer cents.
    pub payout_pool: f64,
    /// α in `w = s^α`.
    pub payout_alpha: f64,
    /// Weight of the fairness (log) term.
    pub payout_lambda_fair: f64,
    /// Weight of the efficiency (linear) term.
    pub payout_lambda_eff: f64,
    /// Exponents of the quality score Q for W, E, D, R and S.
    pub quality_weight_watch_completion: f64,
    pub quality_weight_engagement_rate: f64,
    pub quality_weight_engagement_diversity: f64,
    pub quality_weight_rewatch: f64,
    pub quality_weight_nlp_quality: f64,
    /// Reports (from distinct accounts, since the last moderator decision) that put a video
    /// under review.
    pub report_threshold: u32,
    /// In-process processing workers; 0 makes an API-only node (run `reelshare worker`).
    pub processing_workers: usize,
    pub job_timeout_seconds: u64,
    /// Uploads processed at once in this process (0: the machine's cores).
    pub processing_concurrency: usize,
    /// Creator API uploads that may wait for a processing slot; past it, 503.
    pub processing_queue: usize,
    /// Media with no video row older than this is deleted at start-up (left by a crash).
    pub orphan_grace_seconds: u64,
    /// How often idle workers look for due jobs without being woken (on PostgreSQL they are
    /// woken across processes by `LISTEN`/`NOTIFY`; this poll is the fallback).
    pub job_poll_seconds: u64,
    /// How long a worker's claim on a job lasts unless renewed (a third of it between
    /// renewals): a dead worker's job is taken again after this.
    pub job_lease_seconds: u64,
    /// How long the platform-wide leader's lease lasts unless renewed (renewed every third
    /// of it): after a leader dies, another node takes over within this.
    pub leader_lease_seconds: u64,
    /// Bearer token `/metrics` requires; empty: served only to loopback peers, unproxied.
    pub metrics_token: Secret,
    /// The key signed links and CSRF tokens are signed with, at least 32 characters; empty:
    /// `signing.key` in `data_dir`, made at first start. Nodes on different machines must
    /// share it, or each rejects the others' links.
    pub signing_key: Secret,
    /// Base of the absolute links reelshare hands out (upload form, watch links), e.g.
    /// `https://video.example.org`; empty: a request's `Host` if it is in `allowed_hosts`,
    /// else `http://<bind address>`. Never a `Host` that is not allowed.
    pub public_url: String,
    /// Host names (optionally `name:port`) whose `Host` header may be echoed into links when
    /// `public_url` is empty.
    pub allowed_hosts: Vec<String>,
    /// IPs or CIDR networks of reverse proxies whose `X-Forwarded-For` is believed; empty: the
    /// socket's peer address is the client.
    pub trusted_proxies: Vec<String>,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// A request's head must arrive within this (from the connection's start or the end of
    /// the previous response).
    pub header_read_timeout_seconds: u64,
    /// A connection with no request in progress and no byte moving is closed after this.
    pub keep_alive_timeout_seconds: u64,
    /// A request body (an upload) must arrive within this.
    pub upload_timeout_seconds: u64,
    /// After `upload_rate_grace_seconds`, a request body must keep arriving at this average
    /// rate.
    pub upload_min_bytes_per_second: u64,
    pub upload_rate_grace_seconds: u64,
    /// Password hashes computed at once (Argon2id takes 19 MiB each); 0: the number of CPUs.
    pub password_hash_concurrency: usize,
    /// How long a login or registration waits for a hashing slot before a 503.
    pub password_hash_wait_seconds: u64,
    /// Rate limits, each `"N/min"` or `"N/min burst B"` (B defaults to N), or `"off"`.
    pub rate_limit_login_per_ip: String,
    pub rate_limit_login_per_account: String,
    pub rate_limit_register_per_ip: String,
    pub rate_limit_register_per_account: String,
    pub rate_limit_upload_form_per_ip: String,
    pub rate_limit_upload_form_per_account: String,
    pub rate_limit_upload_per_ip: String,
    pub rate_limit_upload_per_account: String,
    pub rate_limit_comment_per_ip: String,
    pub rate_limit_comment_per_account: String,
    pub rate_limit_report_per_ip: String,
    pub rate_limit_report_per_account: String,
    /// Origins whose browser apps may call the APIs: `*` (any origin, as the original services
    /// allowed), or a list: a TOML array, or one string of comma-separated origins (as the
    /// environment gives it); an empty list allows no other origin.
    pub cors_allowed_origins: RawOrigins,
    /// Where media bytes live: `local` (under `data_dir`) or `s3` (the `s3_*` settings).
    pub storage: String,
    /// The S3 server, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`;
    /// empty: AWS.
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: store::s3::Secret,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted servers want.
    pub s3_path_style: bool,
    /// A resumable (tus) upload with no byte received for this long expires and is swept.
    pub tus_expiry_hours: u64,
    /// Unfinished resumable uploads one account may have at once.
    pub tus_max_open_uploads: u64,
}

/// `cors_allowed_origins` as written: one string or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawOrigins {
    One(String),
    Many(Vec<String>),
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            max_upload_bytes: 1_000_000_000,
            default_creator_name: "John Doe".into(),
            allow_anonymous_creator_uploads: false,
            ffmpeg: "auto".into(),
            ffmpeg_timeout_seconds: 120,
            max_pixels: media::MediaConfig::default().max_pixels,
            max_duration_seconds: 3600,
            ffmpeg_threads: media::MediaConfig::default().ffmpeg_threads,
            ffmpeg_memory_bytes: media::MediaConfig::default().ffmpeg_memory_bytes,
            log_format: "text".into(),
            token_ttl_hours: 24 * 30,
            watch_link_ttl_seconds: 6 * 3600,
            upload_form_ttl_seconds: 60,
            valid_file_types: ["video/mp4", "video/webm", "video/ogg", "video/mpeg"]
                .map(String::from)
                .to_vec(),
            projection_refresh_seconds: 5,
            payout_pool: 10_000.0,
            payout_alpha: 0.7,
            payout_lambda_fair: 0.6,
            payout_lambda_eff: 0.4,
            quality_weight_watch_completion: 0.35,
            quality_weight_engagement_rate: 0.25,
            quality_weight_engagement_diversity: 0.15,
            quality_weight_rewatch: 0.10,
            quality_weight_nlp_quality: 0.15,
            report_threshold: 3,
            processing_workers: 2,
            job_timeout_seconds: 600,
            processing_concurrency: 0,
            processing_queue: 8,
            orphan_grace_seconds: 3600,
            job_poll_seconds: 5,
            job_lease_seconds: 30,
            leader_lease_seconds: 15,
            metrics_token: Secret::default(),
            signing_key: Secret::default(),
            public_url: String::new(),
            cors_allowed_origins: RawOrigins::One("*".into()),
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            header_read_timeout_seconds: 10,
            keep_alive_timeout_seconds: 5,
            upload_timeout_seconds: 3600,
            upload_min_bytes_per_second: 10_000,
            upload_rate_grace_seconds: 10,
            password_hash_concurrency: 0,
            password_hash_wait_seconds: 2,
            rate_limit_login_per_ip: "10/min".into(),
            rate_limit_login_per_account: "5/min".into(),
            rate_limit_register_per_ip: "10/min".into(),
            rate_limit_register_per_account: "3/min".into(),
            rate_limit_upload_form_per_ip: "60/min burst 30".into(),
            rate_limit_upload_form_per_account: "30/min burst 10".into(),
            rate_limit_upload_per_ip: "60/min burst 20".into(),
            rate_limit_upload_per_account: "20/min burst 10".into(),
            rate_limit_comment_per_ip: "60/min burst 30".into(),
            rate_limit_comment_per_account: "20/min burst 10".into(),
            rate_limit_report_per_ip: "30/min burst 10".into(),
            rate_limit_report_per_account: "10/min burst 5".into(),
            storage: "local".into(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: store::s3::Secret::default(),
            s3_path_style: false,
            tus_expiry_hours: 24,
            tus_max_open_uploads: 10,
        }
    }
}

/// Where media bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// `data_dir/media` on this machine.
    Local,
    /// An S3-compatible bucket; playback links redirect to presigned GETs.
    S3(store::s3::S3Settings),
}

impl Storage {
    fn from_raw(raw: &RawSettings) -> Result<Self, SettingsError> {
        let invalid = |field, problem: &str| SettingsError::Invalid {
            field,
            problem: problem.into(),
        };
        match raw.storage.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "s3" => {
                let bucket = raw.s3_bucket.trim();
                if bucket.is_empty() {
                    return Err(invalid("s3_bucket", "storage = s3 needs a bucket"));
                }
                let endpoint = raw.s3_endpoint.trim().trim_end_matches('/');
                let is_url = endpoint.starts_with("https://") || endpoint.starts_with("http://");
                if !endpoint.is_empty() && !is_url {
                    return Err(invalid("s3_endpoint", "expected an http(s):// URL"));
                }
                let key = raw.s3_access_key_id.trim();
                let secret = &raw.s3_secret_access_key;
                if key.is_empty() != secret.is_empty() {
                    return Err(invalid(
                        "s3_access_key_id",
                        "give both the access key id and the secret access key, or neither",
                    ));
                }
                Ok(Self::S3(store::s3::S3Settings {
                    endpoint: (!endpoint.is_empty()).then(|| endpoint.to_owned()),
                    bucket: bucket.to_owned(),
                    region: raw.s3_region.trim().to_owned(),
                    access_key_id: (!key.is_empty()).then(|| key.to_owned()),
                    secret_access_key: (!secret.is_empty()).then(|| secret.clone()),
                    path_style: raw.s3_path_style,
                }))
            }
            _ => Err(invalid("storage", "expected local or s3")),
        }
    }
}

/// The standard `AWS_*` variables and the settings they stand for (a `REELSHARE_S3_*` variable
/// wins over its `AWS_*` twin).
const AWS_ENV: [(&str, &str); 7] = [
    ("AWS_ENDPOINT_URL", "s3_endpoint"),
    ("AWS_ENDPOINT", "s3_endpoint"),
    ("AWS_REGION", "s3_region"),
    ("AWS_DEFAULT_REGION", "s3_region"),
    ("AWS_ACCESS_KEY_ID", "s3_access_key_id"),
    ("AWS_SECRET_ACCESS_KEY", "s3_secret_access_key"),
    ("AWS_BUCKET", "s3_bucket"),
];

/// Settings that are text whatever they look like. figment reads an environment value that
/// looks like a number as a number, so `REELSHARE_METRICS_TOKEN=12345` failed to load, and a
/// token like `0123` would have lost its zero; these are read again here as they were written.
const TEXT_SETTINGS: [&str; 7] = [
    "metrics_token",
    "signing_key",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_bucket",
    "s3_region",
    "default_creator_name",
];

/// The [`TEXT_SETTINGS`] set in the environment (`REELSHARE_<NAME>`), as written.
fn text_from_environment() -> Serialized<std::collections::BTreeMap<&'static str, String>> {
    let values = TEXT_SETTINGS
        .iter()
        .filter_map(|field| {
            let value = std::env::var(format!("REELSHARE_{}", field.to_ascii_uppercase())).ok()?;
            Some((*field, value))
        })
        .collect();
    Serialized::defaults(values)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Checked, typed settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub max_upload_bytes: u64,
    pub default_creator_name: Option<String>,
    pub allow_anonymous_creator_uploads: bool,
    pub media: media::MediaConfig,
    pub log_format: LogFormat,
    pub token_ttl: Duration,
    pub watch_link_ttl: Duration,
    pub upload_form_ttl: Duration,
    pub valid_file_types: Vec<String>,
    pub projection_refresh: Duration,
    pub payout: PayoutSettings,
    pub report_threshold: u32,
    pub processing_workers: usize,
    pub job_timeout: Duration,
    /// Uploads processed at once in this process.
    pub processing_concurrency: usize,
    pub processing_queue: usize,
    pub orphan_grace: Duration,
    pub job_poll: Duration,
    pub job_lease: Duration,
    pub leader_lease: Duration,
    /// `None`: `/metrics` only for loopback peers (see [`crate::http::metrics`]).
    pub metrics_token: Option<Secret>,
    /// `None`: the key in `data_dir/signing.key`.
    pub signing_key: Option<Secret>,
    /// Without a trailing `/`; `None`: from an allowed `Host`, else the bind address.
    pub public_url: Option<String>,
    /// Lower-cased; see [`RawSettings::allowed_hosts`].
    pub allowed_hosts: Vec<String>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub connections: ConnectionLimits,
    pub password_hashing: PasswordHashingLimits,
    pub rate_limits: RateLimits,
    pub cors_allowed_origins: AllowedOrigins,
    pub storage: Storage,
    /// See [`RawSettings::tus_expiry_hours`].
    pub tus_expiry: Duration,
    pub tus_max_open_uploads: u64,
}

/// A secret setting (the S3 credential's type): its `Debug` (and so any logged settings, raw
/// or typed) never shows it.
pub use store::s3::Secret;

/// The origins whose browser apps may call the APIs (see [`crate::http::cors`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin: `Access-Control-Allow-Origin: *`.
    Any,
    /// These origins only (`scheme://host[:port]`, lower case, without a default port), each
    /// reflected when it calls.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// `*` alone, or origins such as `https://app.example.org` (a trailing `/` and a default
    /// port are dropped; case does not matter). Each entry may itself be a comma-separated
    /// list.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, SettingsError> {
        let invalid = |problem: String| SettingsError::Invalid {
            field: "cors_allowed_origins",
            problem,
        };
        let entries: Vec<&str> = entries
            .into_iter()
            .flat_map(|entry| entry.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        if entries.contains(&"*") {
            return match entries.len() {
                1 => Ok(Self::Any),
                _ => Err(invalid(
                    "`*` allows every origin; list no others beside it".into(),
                )),
            };
        }
        let mut origins = Vec::with_capacity(entries.len());
        for entry in entries {
            let parsed = origin(entry).ok_or_else(|| {
                invalid(format!(
                    "{entry:?} is not an origin: expected scheme://host[:port], \
                     e.g. https://app.example.org"
                ))
            })?;
            origins.push(parsed);
        }
        Ok(Self::List(origins))
    }
}

/// An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, without the
/// scheme's default port; `None` for anything else (a path, a query, user info…).
fn origin(raw: &str) -> Option<String> {
    let raw = raw.strip_suffix('/').unwrap_or(raw).to_ascii_lowercase();
    let (scheme, authority) = raw.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let authority_ok = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !scheme_ok || !authority_ok {
        return None;
    }
    let default_port = match scheme {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    let authority = default_port
        .and_then(|port| authority.strip_suffix(port))
        .unwrap_or(authority);
    Some(format!("{scheme}://{authority}"))
}

/// What one connection, and all of them, may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub keep_alive_timeout: Duration,
    /// The longest a request body may take to arrive.
    pub body_timeout: Duration,
    /// The average rate a body must keep once `body_grace` has passed.
    pub body_min_bytes_per_second: u64,
    pub body_grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashingLimits {
    pub concurrency: usize,
    pub wait: Duration,
}

/// A rate: `per_minute` requests a minute on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// `"N/min"`, `"N/min burst B"`, or `"off"` (`None`).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let raw = raw.trim().to_ascii_lowercase();
        if matches!(raw.as_str(), "off" | "none" | "0" | "") {
            return Ok(None);
        }
        let expected = || format!("expected \"N/min\", \"N/min burst B\" or \"off\", got {raw:?}");
        let (rate, burst) = match raw.split_once("burst") {
            Some((rate, burst)) => (rate.trim(), Some(burst.trim())),
            None => (raw.as_str(), None),
        };
        let per_minute = rate
            .strip_suffix("/min")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(expected)?;
        let burst = match burst {
            Some(b) => b
                .parse::<u32>()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(expected)?,
            None => per_minute,
        };
        Ok(Some(Self { per_minute, burst }))
    }
}

/// Each rate-limited action, by client IP and by account; `None`: not limited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub login: ActionLimits,
    pub register: ActionLimits,
    pub upload_form: ActionLimits,
    pub upload: ActionLimits,
    pub comment: ActionLimits,
    pub report: ActionLimits,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionLimits {
    pub per_ip: Option<RateLimit>,
    pub per_account: Option<RateLimit>,
}

impl RateLimits {
    fn from_raw(raw: &RawSettings) -> Result<Self, SettingsError> {
        let limit = |field: &'static str, value: &str| {
            RateLimit::parse(value).map_err(|problem| SettingsError::Invalid { field, problem })
        };
        let action = |ip_field, ip: &str, account_field, account: &str| {
            Ok::<_, SettingsError>(ActionLimits {
                per_ip: limit(ip_field, ip)?,
                per_account: limit(account_field, account)?,
            })
        };
        Ok(Self {
            login: action(
                "rate_limit_login_per_ip",
                &raw.rate_limit_login_per_ip,
                "rate_limit_login_per_account",
                &raw.rate_limit_login_per_account,
            )?,
            register: action(
                "rate_limit_register_per_ip",
                &raw.rate_limit_register_per_ip,
                "rate_limit_register_per_account",
                &raw.rate_limit_register_per_account,
            )?,
            upload_form: action(
                "rate_limit_upload_form_per_ip",
                &raw.rate_limit_upload_form_per_ip,
                "rate_limit_upload_form_per_account",
                &raw.rate_limit_upload_form_per_account,
            )?,
            upload: action(
                "rate_limit_upload_per_ip",
                &raw.rate_limit_upload_per_ip,
                "rate_limit_upload_per_account",
                &raw.rate_limit_upload_per_account,
            )?,
            comment: action(
                "rate_limit_comment_per_ip",
                &raw.rate_limit_comment_per_ip,
                "rate_limit_comment_per_account",
                &raw.rate_limit_comment_per_account,
            )?,
            report: action(
                "rate_limit_report_per_ip",
                &raw.rate_limit_report_per_ip,
                "rate_limit_report_per_account",
                &raw.rate_limit_report_per_account,
            )?,
        })
    }
}

/// The allocation's parameters and the quality weights (defaults: the original service's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PayoutSettings {
    pub params: AllocationParams,
    pub weights: QualityWeights,
    /// The pool in cents, what a closed period pays out exactly.
    pub pool_cents: i64,
}

impl Default for PayoutSettings {
    fn default() -> Self {
        let params = AllocationParams::default();
        Self {
            params,
            weights: QualityWeights::default(),
            pool_cents: (params.pool() * 100.0).round() as i64,
        }
    }
}

impl PayoutSettings {
    fn from_raw(raw: &RawSettings) -> Result<Self, SettingsError> {
        let invalid = |field, problem: String| SettingsError::Invalid { field, problem };
        let pool_cents = (raw.payout_pool * 100.0).round();
        if !(pool_cents >= 1.0 && pool_cents < 2f64.powi(53)) {
            return Err(invalid(
                "payout_pool",
                format!(
                    "must be at least 0.01 and below 2^53 cents, got {}",
                    raw.payout_pool
                ),
            ));
        }
        let params = AllocationParams::parse(
            pool_cents / 100.0,
            raw.payout_alpha,
            raw.payout_lambda_fair,
            raw.payout_lambda_eff,
        )
        .map_err(|e| invalid("payout", e.to_string()))?;
        let weights = QualityWeights::parse(
            raw.quality_weight_watch_completion,
            raw.quality_weight_engagement_rate,
            raw.quality_weight_engagement_diversity,
            raw.quality_weight_rewatch,
            raw.quality_weight_nlp_quality,
        )
        .map_err(|e| invalid("quality_weight", e.to_string()))?;
        Ok(Self {
            params,
            weights,
            pool_cents: pool_cents as i64,
        })
    }
}

/// Shortest `signing_key` accepted: 32 characters (HMAC-SHA-256's block of randomness).
const MIN_SIGNING_KEY_CHARS: usize = 32;

fn signing_key(raw: &str) -> Result<Option<Secret>, SettingsError> {
    let key = raw.trim();
    if key.is_empty() {
        return Ok(None);
    }
    if key.chars().count() < MIN_SIGNING_KEY_CHARS {
        return Err(SettingsError::Invalid {
            field: "signing_key",
            problem: format!("must be at least {MIN_SIGNING_KEY_CHARS} characters"),
        });
    }
    Ok(Some(Secret::new(key)))
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

/// Overrides given on the command line.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CommandLineOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Loads the layers; `file` is read if given (it must then exist) or if `reelshare.toml`
    /// exists in the working directory.
    pub fn load(
        file: Option<&Path>,
        overrides: &CommandLineOverrides,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("reelshare.toml")),
        }
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        // Merged in reverse so the first variable of a pair (AWS_ENDPOINT_URL) wins.
        for (variable, field) in AWS_ENV.iter().rev() {
            if let Ok(value) = std::env::var(variable) {
                figment = figment.merge(Serialized::default(field, value));
            }
        }
        let raw: RawSettings = figment
            // `REELSHARE_TEST_*` configure the test suite, not a server.
            .merge(
                Env::prefixed("REELSHARE_")
                    .ignore(&["config", "sample_media"])
                    .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_")),
            )
            .merge(text_from_environment())
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        Self::from_raw(raw)
    }

    pub fn from_raw(raw: RawSettings) -> Result<Self, SettingsError> {
        let payout = PayoutSettings::from_raw(&raw)?;
        let storage = Storage::from_raw(&raw)?;
        let rate_limits = RateLimits::from_raw(&raw)?;
        let invalid = |field, problem: &str| SettingsError::Invalid {
            field,
            problem: problem.into(),
        };
        let bind = raw
            .bind
            .parse()
            .map_err(|_| invalid("bind", "expected ADDRESS:PORT"))?;
        let database_url = raw.database_url.unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                raw.data_dir.join("reelshare.db").display()
            )
        });
        let ffmpeg = match raw.ffmpeg.as_str() {
            "auto" => media::FfmpegMode::Auto,
            "disabled" | "off" | "none" => media::FfmpegMode::Disabled,
            dir => media::FfmpegMode::Dir(PathBuf::from(dir)),
        };
        let log_format = match raw.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(invalid("log_format", "expected text or json")),
        };
        if raw.max_upload_bytes == 0 {
            return Err(invalid("max_upload_bytes", "must be positive"));
        }
        let name = raw.default_creator_name.trim().to_owned();
        let cors_allowed_origins = match &raw.cors_allowed_origins {
            RawOrigins::One(entry) => AllowedOrigins::parse([entry.as_str()])?,
            RawOrigins::Many(entries) => AllowedOrigins::parse(entries.iter().map(String::as_str))?,
        };
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|entry| parse_network(entry))
            .collect::<Result<_, _>>()?;
        let allowed_hosts = raw
            .allowed_hosts
            .iter()
            .map(|host| host.trim().to_ascii_lowercase())
            .filter(|host| !host.is_empty())
            .collect();
        if raw.max_connections == 0 {
            return Err(invalid("max_connections", "must be positive"));
        }
        let concurrency = match raw.password_hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Ok(Self {
            bind,
            data_dir: raw.data_dir,
            database_url,
            max_upload_bytes: raw.max_upload_bytes,
            default_creator_name: (!name.is_empty()).then_some(name),
            allow_anonymous_creator_uploads: raw.allow_anonymous_creator_uploads,
            media: media::MediaConfig {
                ffmpeg,
                subprocess_timeout: Duration::from_secs(raw.ffmpeg_timeout_seconds.max(1)),
                max_pixels: raw.max_pixels.max(1),
                max_duration: Duration::from_secs(raw.max_duration_seconds.max(1)),
                ffmpeg_threads: raw.ffmpeg_threads.max(1),
                ffmpeg_memory_bytes: raw.ffmpeg_memory_bytes,
            },
            log_format,
            token_ttl: Duration::from_secs(raw.token_ttl_hours.max(1) * 3600),
            watch_link_ttl: Duration::from_secs(raw.watch_link_ttl_seconds.max(1)),
            upload_form_ttl: Duration::from_secs(raw.upload_form_ttl_seconds.max(1)),
            valid_file_types: raw.valid_file_types,
            projection_refresh: Duration::from_secs(raw.projection_refresh_seconds.max(1)),
            payout,
            report_threshold: raw.report_threshold.max(1),
            processing_workers: raw.processing_workers,
            job_timeout: Duration::from_secs(raw.job_timeout_seconds.max(1)),
            processing_concurrency: match raw.processing_concurrency {
                0 => std::thread::available_parallelism().map_or(2, usize::from),
                n => n,
            },
            processing_queue: raw.processing_queue,
            orphan_grace: Duration::from_secs(raw.orphan_grace_seconds),
            job_poll: Duration::from_secs(raw.job_poll_seconds.max(1)),
            job_lease: Duration::from_secs(raw.job_lease_seconds.max(3)),
            leader_lease: Duration::from_secs(raw.leader_lease_seconds.max(3)),
            metrics_token: Some(raw.metrics_token.expose().trim())
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            signing_key: signing_key(raw.signing_key.expose())?,
            public_url: public_url(&raw.public_url)?,
            cors_allowed_origins,
            allowed_hosts,
            trusted_proxies,
            connections: ConnectionLimits {
                max_connections: raw.max_connections,
                header_read_timeout: Duration::from_secs(raw.header_read_timeout_seconds.max(1)),
                keep_alive_timeout: Duration::from_secs(raw.keep_alive_timeout_seconds.max(1)),
                body_timeout: Duration::from_secs(raw.upload_timeout_seconds.max(1)),
                body_min_bytes_per_second: raw.upload_min_bytes_per_second,
                body_grace: Duration::from_secs(raw.upload_rate_grace_seconds),
            },
            password_hashing: PasswordHashingLimits {
                concurrency,
                wait: Duration::from_secs(raw.password_hash_wait_seconds),
            },
            rate_limits,
            storage,
            tus_expiry: Duration::from_secs(raw.tus_expiry_hours.max(1) * 3600),
            tus_max_open_uploads: raw.tus_max_open_uploads.max(1),
        })
    }

    /// Defaults rooted in `data_dir`, for tests and tools.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        let raw = RawSettings {
            data_dir: data_dir.to_owned(),
            ..RawSettings::default()
        };
        Self::from_raw(raw).expect("default settings are valid")
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir.join("staging")
    }
}

fn public_url(raw: &str) -> Result<Option<String>, SettingsError> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(SettingsError::Invalid {
            field: "public_url",
            problem: "expected an http:// or https:// URL".into(),
        });
    }
    Ok(Some(trimmed.to_owned()))
}

/// An IP address (a network of one) or a CIDR network.
fn parse_network(raw: &str) -> Result<ipnet::IpNet, SettingsError> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| SettingsError::Invalid {
            field: "trusted_proxies",
            problem: format!("expected an IP address or a CIDR network, got {raw:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_token_is_kept_but_never_shown() {
        let settings = Settings::from_raw(RawSettings {
            metrics_token: Secret::new(" tok-3f9a "),
            ..RawSettings::default()
        })
        .unwrap();
        let token = settings.metrics_token.as_ref().unwrap();
        assert_eq!(token.expose(), "tok-3f9a");
        assert!(!format!("{settings:?}").contains("tok-3f9a"));
        assert!(
            Settings::from_raw(RawSettings::default())
                .unwrap()
                .metrics_token
                .is_none()
        );
    }

    #[test]
    fn a_signing_key_is_long_enough_and_never_shown() {
        let key = "k".repeat(31) + "Z";
        let raw = RawSettings {
            signing_key: Secret::new(format!(" {key} ")),
            ..RawSettings::default()
        };
        assert!(!format!("{raw:?}").contains(&key));
        let settings = Settings::from_raw(raw).unwrap();
        assert_eq!(settings.signing_key.as_ref().unwrap().expose(), key);
        assert!(!format!("{settings:?}").contains(&key));
        let short = Settings::from_raw(RawSettings {
            signing_key: Secret::new("k".repeat(31)),
            ..RawSettings::default()
        });
        assert!(matches!(
            short,
            Err(SettingsError::Invalid {
                field: "signing_key",
                ..
            })
        ));
    }

    #[test]
    fn node_timings_have_floors() {
        let settings = Settings::from_raw(RawSettings {
            job_poll_seconds: 0,
            job_lease_seconds: 1,
            leader_lease_seconds: 0,
            ..RawSettings::default()
        })
        .unwrap();
        assert_eq!(settings.job_poll, Duration::from_secs(1));
        assert_eq!(settings.job_lease, Duration::from_secs(3));
        assert_eq!(settings.leader_lease, Duration::from_secs(3));
    }

    #[test]
    fn defaults_listen_on_8080_with_sqlite_under_data() {
        let settings = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(settings.bind.port(), 8080);
        assert!(
            settings
                .database_url
                .starts_with("sqlite://./data/reelshare.db")
        );
        assert_eq!(settings.max_upload_bytes, 1_000_000_000);
        assert_eq!(settings.default_creator_name.as_deref(), Some("John Doe"));
        assert!(!settings.allow_anonymous_creator_uploads);
        assert!(settings.password_hashing.concurrency >= 1);
        assert!(settings.trusted_proxies.is_empty());
    }

    #[test]
    fn rate_limits_read_per_minute_with_an_optional_burst() {
        let limit = |per_minute, burst| Some(RateLimit { per_minute, burst });
        assert_eq!(RateLimit::parse("10/min"), Ok(limit(10, 10)));
        assert_eq!(RateLimit::parse(" 60/min burst 5 "), Ok(limit(60, 5)));
        assert_eq!(RateLimit::parse("off"), Ok(None));
        for bad in [
            "10",
            "10/hour",
            "0/min",
            "10/min burst 0",
            "x/min",
            "10/min burst",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let raw = RawSettings {
            trusted_proxies: vec!["10.0.0.1".into(), "192.168.0.0/16".into(), "::1".into()],
            ..RawSettings::default()
        };
        let settings = Settings::from_raw(raw).unwrap();
        assert_eq!(settings.trusted_proxies.len(), 3);
        assert!(
            settings.trusted_proxies[1]
                .contains(&"192.168.4.5".parse::<std::net::IpAddr>().unwrap())
        );
        let raw = RawSettings {
            trusted_proxies: vec!["not an address".into()],
            ..RawSettings::default()
        };
        assert!(matches!(
            Settings::from_raw(raw),
            Err(SettingsError::Invalid {
                field: "trusted_proxies",
                ..
            })
        ));
    }

    #[test]
    fn any_origin_is_allowed_by_default() {
        let settings = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(settings.cors_allowed_origins, AllowedOrigins::Any);
    }

    #[test]
    fn allowed_origins_are_read_from_a_list_or_a_comma_separated_string() {
        let from = |origins: RawOrigins| {
            Settings::from_raw(RawSettings {
                cors_allowed_origins: origins,
                ..RawSettings::default()
            })
            .map(|settings| settings.cors_allowed_origins)
        };
        let expected = AllowedOrigins::List(vec![
            "https://app.example.org".into(),
            "http://localhost:5173".into(),
        ]);
        let env = "https://App.Example.org:443/, http://localhost:5173";
        assert_eq!(from(RawOrigins::One(env.into())).unwrap(), expected);
        let toml = vec![
            "https://app.example.org".into(),
            "http://localhost:5173".into(),
        ];
        assert_eq!(from(RawOrigins::Many(toml)).unwrap(), expected);
        assert_eq!(
            from(RawOrigins::One(String::new())).unwrap(),
            AllowedOrigins::List(vec![])
        );
        for bad in [
            "app.example.org",
            "https://app.example.org/path",
            "https://u@h",
            "*, https://a.b",
        ] {
            assert!(
                matches!(
                    from(RawOrigins::One(bad.into())),
                    Err(SettingsError::Invalid {
                        field: "cors_allowed_origins",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    // `Jail`'s closure returns figment's own (large) error type.
    #[allow(clippy::result_large_err)]
    fn tokens_and_keys_that_look_like_numbers_stay_text() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("REELSHARE_METRICS_TOKEN", "012345");
            jail.set_env("REELSHARE_SIGNING_KEY", "1".repeat(40));
            jail.set_env("REELSHARE_DEFAULT_CREATOR_NAME", "1984");
            let settings = Settings::load(None, &CommandLineOverrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                settings
                    .metrics_token
                    .as_ref()
                    .map(|t| t.expose().to_owned()),
                Some("012345".to_owned())
            );
            assert_eq!(
                settings.signing_key.as_ref().map(|k| k.expose().to_owned()),
                Some("1".repeat(40))
            );
            assert_eq!(settings.default_creator_name.as_deref(), Some("1984"));
            Ok(())
        });
    }

    #[test]
    // `Jail`'s closure returns figment's own (large) error type.
    #[allow(clippy::result_large_err)]
    fn allowed_origins_come_from_the_environment_as_one_comma_separated_value() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "REELSHARE_CORS_ALLOWED_ORIGINS",
                "https://a.example,https://b.example",
            );
            let settings = Settings::load(None, &CommandLineOverrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                settings.cors_allowed_origins,
                AllowedOrigins::List(vec!["https://a.example".into(), "https://b.example".into()])
            );
            jail.create_file(
                "reelshare.toml",
                r#"cors_allowed_origins = ["https://c.example"]"#,
            )?;
            jail.clear_env();
            let settings = Settings::load(None, &CommandLineOverrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                settings.cors_allowed_origins,
                AllowedOrigins::List(vec!["https://c.example".into()])
            );
            Ok(())
        });
    }

    #[test]
    // `Jail`'s closure returns figment's own (large) error type.
    #[allow(clippy::result_large_err)]
    fn s3_storage_comes_from_the_environment_or_aws_variables_and_hides_its_secret() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("REELSHARE_STORAGE", "s3");
            jail.set_env("REELSHARE_TEST_CONFIG", "postgres-s3");
            jail.set_env("REELSHARE_S3_ENDPOINT", "http://127.0.0.1:9000/");
            jail.set_env("REELSHARE_S3_BUCKET", "media");
            jail.set_env("REELSHARE_S3_PATH_STYLE", "true");
            jail.set_env("AWS_REGION", "eu-west-3");
            jail.set_env("AWS_ACCESS_KEY_ID", "AKID");
            jail.set_env("AWS_SECRET_ACCESS_KEY", "aws-secret-value");
            jail.set_env("REELSHARE_S3_SECRET_ACCESS_KEY", "reelshare-secret-value");
            let settings = Settings::load(None, &CommandLineOverrides::default())
                .map_err(|e| e.to_string())?;
            let Storage::S3(s3) = &settings.storage else {
                panic!("expected S3 storage, got {:?}", settings.storage);
            };
            assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
            assert_eq!(s3.bucket, "media");
            assert_eq!(s3.region, "eu-west-3");
            assert_eq!(s3.access_key_id.as_deref(), Some("AKID"));
            assert!(s3.path_style);
            let secret = s3.secret_access_key.as_ref().unwrap();
            assert_eq!(secret.expose(), "reelshare-secret-value");
            let printed = format!("{settings:?}");
            assert!(!printed.contains("secret-value"), "{printed}");

            jail.clear_env();
            jail.create_file(
                "reelshare.toml",
                "storage = \"s3\"\ns3_bucket = \"b\"\ns3_secret_access_key = \"toml-secret\"\n",
            )?;
            let refused = Settings::load(None, &CommandLineOverrides::default()).unwrap_err();
            assert!(!refused.to_string().contains("toml-secret"), "{refused}");
            assert!(
                refused.to_string().contains("s3_access_key_id"),
                "{refused}"
            );
            Ok(())
        });
    }

    #[test]
    fn storage_is_local_by_default_and_s3_needs_a_bucket() {
        let settings = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(settings.storage, Storage::Local);
        let raw = RawSettings {
            storage: "s3".into(),
            ..RawSettings::default()
        };
        assert!(matches!(
            Settings::from_raw(raw),
            Err(SettingsError::Invalid {
                field: "s3_bucket",
                ..
            })
        ));
    }

    #[test]
    fn a_bad_bind_address_is_refused() {
        let raw = RawSettings {
            bind: "nonsense".into(),
            ..RawSettings::default()
        };
        assert!(matches!(
            Settings::from_raw(raw),
            Err(SettingsError::Invalid { field: "bind", .. })
        ));
    }
}
