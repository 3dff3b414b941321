//! What every handler can reach: the database, the media store and pipeline, settings, the
//! clock, the URL signer, the payout projection, the watch-report writer and the engagement endpoints' video cache. Cheap to clone (all shared).

use std::sync::Arc;

use store::database::AnyPool;
use store::{Database, MediaStore};

use crate::clock::Clock;
use crate::projection::Projection;
use crate::settings::Settings;
use crate::signing::Signer;
use crate::video_cache::VideoCache;
use crate::view_writer::ViewWriter;

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
}

impl AppState {
    pub fn pool(&self) -> &AnyPool {
        self.db.pool()
    }
}
