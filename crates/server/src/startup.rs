//! Start-up: open the database (migrating it) and the media store, seed the default creator
//! on an empty database, clear staging files left by a crash, start background tasks, and
//! serve until shutdown. Nothing existing is ever wiped.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use domain::account::Role;
use store::accounts::{self, NewAccount};
use store::{Database, MediaStore};
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::engagement::video_cache::VideoCache;
use crate::engagement::view_writer::ViewWriter;
use crate::http::app::app;
use crate::http::hashing::PasswordHashing;
use crate::http::limits::{self, RateLimiters};
use crate::http::signing::Signer;
use crate::payout::projection::Projection;
use crate::platform::duties;
use crate::platform::leader::Leadership;
use crate::settings::Settings;
use crate::state::AppState;
use crate::upload::playback::HlsIndexes;
use crate::upload::processing::ProcessingPool;
use crate::upload::publishing::new_user_id;

/// Builds the application state for `settings` with the given clock.
pub async fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    // Before anything is recorded: series recorded without a recorder are lost.
    crate::observe::metrics::handle();
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    clear_staging(&settings).context("clearing the staging directory")?;
    let db = Database::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    seed_default_creator(&db, &settings, clock.as_ref())
        .await
        .context("seeding the default creator")?;
    let media = open_media(&settings)?;
    let signer = match &settings.signing_key {
        Some(key) => Signer::new(key.expose().as_bytes().to_vec()),
        None => Signer::load_or_create(&settings.data_dir.join("signing.key"))
            .context("loading the signing key")?,
    };
    let pipeline = media::Pipeline::new(settings.media.clone());
    let views = ViewWriter::start(db.pool().clone());
    let video_cache = Arc::new(VideoCache::new(Arc::clone(&clock)));
    let hls_indexes = Arc::new(HlsIndexes::new(Arc::clone(&clock)));
    let processing = Arc::new(ProcessingPool::new(
        settings.processing_concurrency,
        settings.processing_queue,
    ));
    let rate_limits = Arc::new(RateLimiters::new(&settings.rate_limits));
    let password_hashing = Arc::new(PasswordHashing::new(settings.password_hashing));
    Ok(AppState {
        db,
        media,
        pipeline: Arc::new(pipeline),
        settings: Arc::new(settings),
        clock,
        signer: Arc::new(signer),
        projection: Arc::new(Projection::default()),
        views,
        video_cache,
        hls_indexes,
        workers: Arc::default(),
        thumbnail_uris: Arc::default(),
        images: Arc::default(),
        processing,
        rate_limits,
        password_hashing,
    })
}

/// The media store the settings name: the local media directory, or an S3 bucket.
pub fn open_media(settings: &Settings) -> anyhow::Result<MediaStore> {
    match &settings.storage {
        crate::settings::Storage::Local => {
            MediaStore::local(&settings.media_dir(), &settings.staging_dir())
                .context("opening the media directory")
        }
        crate::settings::Storage::S3(s3) => MediaStore::s3(s3, &settings.staging_dir())
            .with_context(|| format!("opening the S3 bucket {:?}", s3.bucket)),
    }
}

/// Staging files left by a crash (nobody holds their lock: `store::staging::sweep_dead`);
/// uploads in flight in this or any other process on the same data directory are untouched.
fn clear_staging(settings: &Settings) -> std::io::Result<()> {
    let swept = store::staging::sweep_dead(&settings.staging_dir())?;
    if swept > 0 {
        tracing::info!(swept, "removed staging files left by a crash");
    }
    Ok(())
}

/// Sweeps dead staging files every minute, so a crashed worker's leftovers beside a running
/// server do not wait for the next start.
pub(crate) async fn clear_staging_forever(settings: Arc<Settings>) {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        ticker.tick().await;
        let dir = settings.clone();
        match tokio::task::spawn_blocking(move || clear_staging(&dir)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "could not sweep the staging directory"),
            Err(error) => tracing::warn!(%error, "the staging sweep stopped"),
        }
    }
}

/// Makes the default creator on an empty database (nothing otherwise).
pub(crate) async fn seed_default_creator(
    db: &Database,
    settings: &Settings,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    let Some(name) = &settings.default_creator_name else {
        return Ok(());
    };
    if accounts::count_accounts(db.pool()).await? > 0 {
        return Ok(());
    }
    let public_id = new_user_id();
    let id = accounts::insert_account(
        db.pool(),
        NewAccount {
            public_id: &public_id,
            username: None,
            password_hash: None,
            display_name: name,
            role: Role::User,
            created_at: clock.now().as_micros(),
        },
    )
    .await?;
    tracing::info!(creator_id = %id, %name, "created the default creator");
    Ok(())
}

/// Serves `state` on `listener` until `shutdown` completes, with the background tasks.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limit_sweeper = tokio::spawn(limits::sweep_forever(Arc::clone(&state.rate_limits)));
    // Dropped (and so aborted) with this future, whether it returns or is cancelled.
    let mut workers = tokio::task::JoinSet::new();
    let leadership = Arc::new(Leadership::new(state.settings.leader_lease));
    workers.spawn(duties::run_forever(
        state.clone(),
        Arc::clone(&leadership),
        true,
    ));
    crate::upload::worker::spawn(&state, &mut workers);
    workers.spawn(clear_staging_forever(state.settings.clone()));
    workers.spawn(crate::tus::sweep::sweep_forever(state.clone()));
    warn_about_unsafe_settings(&state.settings);
    tracing::info!(address = %listener.local_addr()?, "reelshare listening");
    let served = crate::http::serve::serve(
        listener,
        app(state.clone()),
        state.settings.connections,
        shutdown,
    )
    .await;
    limit_sweeper.abort();
    workers.abort_all();
    leadership.resign(state.pool()).await;
    state.db.close().await;
    served.context("serving HTTP")
}

/// Development settings and missing production settings, said once at start-up.
fn warn_about_unsafe_settings(settings: &Settings) {
    if settings.allow_anonymous_creator_uploads {
        tracing::warn!(
            "allow_anonymous_creator_uploads is on: anyone can upload as any creator through \
             /upload-video without a token. This is a development setting; turn it off on any \
             server others can reach"
        );
    }
    if settings.public_url.is_none() && !settings.bind.ip().is_loopback() {
        tracing::warn!(
            bind = %settings.bind,
            "public_url is not set: links are built from the bind address (or an allowed_hosts \
             Host); set public_url to the address clients use"
        );
    }
}

/// Runs only the processing workers (no HTTP) until `shutdown`: `reelshare worker`, for nodes
/// that process uploads queued by API nodes running with `processing_workers = 0`.
pub async fn run_workers(
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut workers = tokio::task::JoinSet::new();
    let leadership = Arc::new(Leadership::new(state.settings.leader_lease));
    workers.spawn(duties::run_forever(
        state.clone(),
        Arc::clone(&leadership),
        false,
    ));
    crate::upload::worker::spawn(&state, &mut workers);
    workers.spawn(clear_staging_forever(state.settings.clone()));
    tracing::info!(
        workers = state.settings.processing_workers,
        "reelshare worker running"
    );
    shutdown.await;
    workers.abort_all();
    leadership.resign(state.pool()).await;
    state.db.close().await;
    Ok(())
}
