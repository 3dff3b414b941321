//! `reelshare gc`: compares the media store with the database, on either storage. It finds
//! objects with no video row (older than `orphan_grace_seconds`, so uploads in flight, which
//! store their bytes before their row, are never counted) and ready videos whose original is
//! gone. It prints them; with `--apply` it deletes the orphaned objects and marks those videos
//! failed (`Internal error`): they leave every list while their row, engagement and payout
//! history stay.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;

use domain::ids::{HashId, VideoId};
use domain::lifecycle::FailureReason;
use store::{Database, MediaStore, StoreError};

/// What a pass found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Videos with stored objects but no row, with their object keys.
    pub orphaned_objects: BTreeMap<String, Vec<String>>,
    /// Ready videos with no stored original.
    pub missing_originals: Vec<(VideoId, HashId)>,
    /// Objects with no row written within the grace period (left alone).
    pub recent_unowned: usize,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.orphaned_objects.is_empty() && self.missing_originals.is_empty()
    }
}

impl fmt::Display for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for keys in self.orphaned_objects.values() {
            for key in keys {
                writeln!(f, "object with no video row: {key}")?;
            }
        }
        for (id, hash_id) in &self.missing_originals {
            writeln!(f, "ready video with no original: video {id} ({hash_id})")?;
        }
        if self.recent_unowned > 0 {
            writeln!(
                f,
                "{} video(s) with objects but no row yet, within the grace period (left alone)",
                self.recent_unowned
            )?;
        }
        write!(
            f,
            "{} orphaned video(s) in storage, {} ready video(s) missing their original",
            self.orphaned_objects.len(),
            self.missing_originals.len()
        )
    }
}

/// Finds what is out of step between the media store and the database at `now` (unix
/// microseconds); objects with no row younger than `grace` are left alone.
pub async fn find(
    db: &Database,
    media: &MediaStore,
    grace: Duration,
    now: i64,
) -> Result<Findings, StoreError> {
    let grace = i64::try_from(grace.as_micros()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(grace);
    let mut findings = Findings::default();
    let keys = media.keys().await?;
    let mut with_original = HashSet::new();
    for key in &keys {
        if let Some(hash_id) = key
            .strip_prefix("videos/")
            .and_then(|k| k.strip_suffix("/original"))
        {
            with_original.insert(hash_id.to_owned());
        }
    }
    for (hash_id, written_at) in media.stored_videos().await? {
        if store::videos::hash_id_exists(db.pool(), &hash_id).await? {
            continue;
        }
        if written_at > cutoff {
            findings.recent_unowned += 1;
            continue;
        }
        let prefix = format!("videos/{hash_id}/");
        let owned = keys.iter().filter(|k| k.starts_with(&prefix)).cloned();
        findings
            .orphaned_objects
            .insert(hash_id.to_string(), owned.collect());
    }
    for (id, hash_id) in store::videos::ready_hash_ids(db.pool()).await? {
        if !with_original.contains(hash_id.as_str()) {
            findings.missing_originals.push((id, hash_id));
        }
    }
    Ok(findings)
}

/// Removes what [`find`] found: orphaned objects deleted, videos missing their original
/// marked failed.
pub async fn apply(
    db: &Database,
    media: &MediaStore,
    findings: &Findings,
) -> Result<(), StoreError> {
    for raw in findings.orphaned_objects.keys() {
        let hash_id = HashId::parse(raw).map_err(|_| StoreError::Corrupt(raw.clone()))?;
        // Checked again: a row may have appeared since the listing.
        if !store::videos::hash_id_exists(db.pool(), &hash_id).await? {
            media.delete_all(&hash_id).await?;
        }
    }
    for (id, _) in &findings.missing_originals {
        store::videos::mark_media_lost(db.pool(), *id, FailureReason::InternalError).await?;
    }
    Ok(())
}
