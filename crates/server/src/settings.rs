//! Configuration, layered: built-in defaults → optional TOML file → `REELSHARE_*` environment
//! variables (plus the conventional `DATABASE_URL`) → command-line flags. Values are checked and
//! turned into typed settings once, at start-up; tests build [`Settings`] in code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub ffmpeg_timeout_seconds: u64,
    pub log_format: String,
    pub token_ttl_hours: u64,
    pub watch_link_ttl_seconds: u64,
    pub upload_form_ttl_seconds: u64,
    pub valid_file_types: Vec<String>,
    /// Seconds between refreshes of the projected payouts.
    pub projection_refresh_seconds: u64,
    pub processing_workers: usize,
    pub job_timeout_seconds: u64,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            max_upload_bytes: 1_000_000_000,
            default_creator_name: "John Doe".into(),
            allow_anonymous_creator_uploads: true,
            ffmpeg: "auto".into(),
            ffmpeg_timeout_seconds: 120,
            log_format: "text".into(),
            token_ttl_hours: 24 * 30,
            watch_link_ttl_seconds: 6 * 3600,
            upload_form_ttl_seconds: 60,
            valid_file_types: ["video/mp4", "video/webm", "video/ogg", "video/mpeg"]
                .map(String::from)
                .to_vec(),
            projection_refresh_seconds: 5,
            processing_workers: 2,
            job_timeout_seconds: 600,
        }
    }
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
    pub processing_workers: usize,
    pub job_timeout: Duration,
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
        let raw: RawSettings = figment
            .merge(Env::prefixed("REELSHARE_"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        Self::from_raw(raw)
    }

    pub fn from_raw(raw: RawSettings) -> Result<Self, SettingsError> {
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
            },
            log_format,
            token_ttl: Duration::from_secs(raw.token_ttl_hours.max(1) * 3600),
            watch_link_ttl: Duration::from_secs(raw.watch_link_ttl_seconds.max(1)),
            upload_form_ttl: Duration::from_secs(raw.upload_form_ttl_seconds.max(1)),
            valid_file_types: raw.valid_file_types,
            projection_refresh: Duration::from_secs(raw.projection_refresh_seconds.max(1)),
            processing_workers: raw.processing_workers.max(1),
            job_timeout: Duration::from_secs(raw.job_timeout_seconds.max(1)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
