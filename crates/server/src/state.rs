//! What every handler can reach: the database, the media store and pipeline, settings, the
//! clock, the URL signer, the payout projection, the watch-report writer and the engagement
//! endpoints' video cache, the playback routes' HLS indexes, what the processing workers are doing, the rate limiters and the
//! password-hashing slots. Cheap to clone (all shared).

use std::sync::Arc;

use store::database::AnyPool;
use store::{Database, MediaStore, StoreError};

use crate::clock::Clock;
use crate::engagement::video_cache::VideoCache;
use crate::engagement::view_writer::ViewWriter;
use crate::http::data_uris::DataUriCache;
use crate::http::hashing::PasswordHashing;
use crate::http::limits::RateLimiters;
use crate::http::signing::Signer;
use crate::payout::projection::Projection;
use crate::settings::Settings;
use crate::upload::playback::HlsIndexes;
use crate::upload::processing::ProcessingPool;
use crate::upload::worker::WorkerActivity;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub media: MediaStore,
    pub pipeline: Arc<media::Pipeline>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<Signer>,
    pub projection: Arc<Projection>,
    /// Where watch reports go to be stored in batches.
    pub views: ViewWriter,
    /// Video rows the engagement endpoints look up, kept for a second.
    pub video_cache: Arc<VideoCache>,
    /// HLS indexes the playback routes read, kept for a few seconds.
    pub hls_indexes: Arc<HlsIndexes>,
    /// What this process's processing workers are doing.
    pub workers: Arc<WorkerActivity>,
    /// Slots for the media pipeline, shared by every path into it.
    pub processing: Arc<ProcessingPool>,
    /// What the on-request image endpoints have made (cache misses).
    pub images: Arc<crate::images::ImageRenders>,
    /// Large thumbnails as data URIs, for `/get-all-videos-thumbnails`.
    pub thumbnail_uris: Arc<DataUriCache>,
    /// Per-IP and per-account rate limits.
    pub rate_limits: Arc<RateLimiters>,
    /// The slots password hashing runs in.
    pub password_hashing: Arc<PasswordHashing>,
}

impl AppState {
    pub fn pool(&self) -> &AnyPool {
        self.db.pool()
    }

    /// Re-solves the open period's projection now, from the stored aggregates.
    pub async fn refresh_projection(&self) -> Result<(), StoreError> {
        self.projection
            .refresh(self.pool(), &self.settings.payout, self.clock.now())
            .await
    }
}
