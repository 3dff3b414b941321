//! The projected payout of the open period: every listed video's quality score, share of the
//! pool (`rev_prop`) and amount (`proj_earnings`). Solving the allocation needs every video at
//! once, so it is not done per request: a background task re-solves it every few seconds from
//! the stored aggregates, and requests read the latest result in O(1).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::allocation::{AllocationInput, AllocationParams, allocate};
use domain::ids::VideoId;
use store::StoreError;
use store::database::AnyPool;

use crate::scoring;

/// A video's line in the projection.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProjectedPayout {
    pub share: f64,
    pub amount: f64,
}

#[derive(Default)]
pub struct Projection {
    latest: RwLock<Arc<HashMap<VideoId, ProjectedPayout>>>,
}

impl Projection {
    /// The video's projected payout; videos not yet in a projection earn nothing yet.
    pub fn payout(&self, video: VideoId) -> ProjectedPayout {
        let latest = self
            .latest
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        latest.get(&video).copied().unwrap_or_default()
    }

    /// Re-solves the allocation from the database and publishes it.
    pub async fn refresh(
        &self,
        pool: &AnyPool,
        params: &AllocationParams,
    ) -> Result<(), StoreError> {
        let rows = store::videos::scoring_rows(pool).await?;
        let params = params.clone();
        let solved = tokio::task::spawn_blocking(move || {
            let inputs: Vec<AllocationInput> = rows
                .iter()
                .map(|row| {
                    let metrics = scoring::video_metrics(
                        &row.stats,
                        &row.title,
                        &row.description,
                        row.compliance,
                    );
                    AllocationInput {
                        qualified_views: u64::try_from(row.stats.qualified_views).unwrap_or(0),
                        quality: domain::quality::quality_score(
                            &metrics,
                            &domain::quality::QualityWeights::default(),
                        ),
                    }
                })
                .collect();
            let allocation = allocate(&inputs, &params);
            rows.iter()
                .zip(allocation.lines())
                .map(|(row, line)| {
                    let payout = ProjectedPayout {
                        share: line.share(),
                        amount: line.amount(),
                    };
                    (VideoId::new(row.video_id), payout)
                })
                .collect::<HashMap<_, _>>()
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("projection task: {e}")))?;
        *self
            .latest
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Arc::new(solved);
        Ok(())
    }
}
