//! The Creator API's JSON shapes: the compatibility contract with its existing clients.
//! Field names and types follow the seed; fields are declared in alphabetical order because
//! the original (Flask's `jsonify`) sorted keys, and some clients diff raw bodies.

use domain::account::Account;
use domain::quality::QualityWeights;
use domain::video::Video;
use serde::Serialize;
use serde_json::Number;
use store::accounts::CreatorStats;
use store::videos::VideoStats;

use crate::http::timefmt;
use crate::payout::projection::ProjectedPayout;
use crate::payout::scoring;

#[derive(Serialize)]
pub struct Health {
    pub ok: bool,
}

#[derive(Serialize)]
pub struct UploadCreated {
    pub ok: bool,
    pub video_id: i64,
}

#[derive(Serialize)]
pub struct CreatorData {
    pub creator_id: i64,
    pub followers: i64,
    pub following: i64,
    pub likes: i64,
    pub name: String,
}

impl CreatorData {
    pub fn new(account: &Account, stats: CreatorStats) -> Self {
        Self {
            creator_id: account.id.get(),
            followers: stats.followers,
            following: stats.following,
            likes: stats.likes,
            name: account.display_name.clone(),
        }
    }
}

/// A row of the seed's video table.
#[derive(Serialize)]
pub struct VideoData {
    pub comments: i64,
    /// An integer (0 or 1) when whole, as in the seed.
    pub compliance: Number,
    pub created_at: String,
    pub creator_id: i64,
    pub engagement_diversity: f64,
    pub engagement_rate: f64,
    pub likes: i64,
    pub nlp_quality: f64,
    pub proj_earnings: f64,
    pub quality_score: f64,
    pub rev_prop: f64,
    pub rewatch: f64,
    pub shares: i64,
    pub title: String,
    pub video_id: i64,
    pub views: i64,
    pub watch_completion: f64,
}

impl VideoData {
    pub fn new(
        video: &Video,
        stats: &VideoStats,
        payout: ProjectedPayout,
        weights: &QualityWeights,
    ) -> Self {
        let metrics = scoring::video_metrics(
            stats,
            video.title.as_str(),
            video.description.as_str(),
            video.compliance,
        );
        let compliance = if video.compliance.fract() == 0.0 {
            Number::from(video.compliance as i64)
        } else {
            Number::from_f64(video.compliance).unwrap_or_else(|| Number::from(0))
        };
        Self {
            comments: stats.comments,
            compliance,
            created_at: timefmt::creator_api(video.uploaded_at),
            creator_id: video.owner.get(),
            engagement_diversity: metrics.engagement_diversity.get(),
            engagement_rate: metrics.engagement_rate.get(),
            likes: stats.likes,
            nlp_quality: metrics.nlp_quality.get(),
            proj_earnings: payout.amount,
            quality_score: scoring::quality_with(&metrics, weights),
            rev_prop: payout.share,
            rewatch: metrics.rewatch.get(),
            shares: stats.shares,
            title: video.title.as_str().to_owned(),
            video_id: video.id.get(),
            views: stats.qualified_views,
            watch_completion: metrics.watch_completion.get(),
        }
    }
}

#[derive(Serialize)]
pub struct Thumbnail {
    pub content_type: &'static str,
    pub data_uri: String,
    pub video_id: i64,
}

#[derive(Serialize)]
pub struct ThumbnailList {
    pub images: Vec<Thumbnail>,
    pub ok: bool,
    /// Only when the client asked for a page (`limit`): where the next one starts (`after`),
    /// or null on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<Option<i64>>,
}
