//! What every handler can reach: the database, the media store and pipeline, settings, the
//! clock, the URL signer and the payout projection. Cheap to clone (all shared).

use std::sync::Arc;

use store::database::AnyPool;
use store::{Database, MediaStore};

use crate::clock::Clock;
use crate::projection::Projection;
use crate::settings::Settings;
use crate::signing::Signer;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub media: MediaStore,
    pub pipeline: Arc<media::Pipeline>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<Signer>,
    pub projection: Arc<Projection>,
}

impl AppState {
    pub fn pool(&self) -> &AnyPool {
        self.db.pool()
    }
}
