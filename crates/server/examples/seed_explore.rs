//! Seeds a data directory with many listed public videos for the explore benchmark
//! (`bench/explore/README.md`). Rows only: the explore page reads no media bytes.
//!
//! `cargo run --release -p server --example seed_explore -- DATA_DIR [COUNT]`

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use domain::ids::AccountId;
use domain::video::Timestamp;
use server::clock::{Clock, SystemClock};
use server::settings::Settings;
use store::videos::{self, MediaFacts, NewVideo};

const BATCH: usize = 50_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let data_dir = args
        .next()
        .context("usage: seed_explore DATA_DIR [COUNT]")?;
    let count: usize = args.next().map_or(Ok(1_000_000), |n| n.parse())?;
    let mut settings = Settings::for_data_dir(std::path::Path::new(&data_dir));
    settings.media.ffmpeg = media::FfmpegMode::Disabled;
    let state = server::build_state(settings, Arc::new(SystemClock)).await?;
    // The seeded default creator (id 1) owns them all.
    let owner = AccountId::new(1);
    let facts = MediaFacts {
        content_type: "video/mp4".into(),
        duration_seconds: 12.0,
        width: 1080,
        height: 1920,
    };
    let file_name = domain::text::FileName::parse("seeded.mp4")?;
    let title = domain::text::Title::parse("Seeded video")?;
    let description = domain::text::Description::parse("A row for the explore benchmark")?;
    let start = Instant::now();
    let now = SystemClock.now().as_micros();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let hash_ids: Vec<_> = (0..n)
            .map(|_| server::upload::publishing::new_hash_id())
            .collect();
        let batch = hash_ids
            .iter()
            .enumerate()
            .map(|(i, hash_id)| {
                // One listing a second going back in time, some sharing a second.
                let at = Timestamp::from_micros(now - ((done + i) as i64 / 2) * 1_000_000);
                NewVideo {
                    hash_id,
                    owner,
                    file_name: &file_name,
                    title: &title,
                    description: &description,
                    content_type: "video/mp4",
                    size_in_bytes: 1_000_000,
                    facts: Some(&facts),
                    uploaded_at: at,
                    listed_at: Some(at),
                }
            })
            .collect();
        videos::insert_videos(state.pool(), batch).await?;
        done += n;
        println!("{done} videos ({:.1?})", start.elapsed());
    }
    state.db.close().await;
    Ok(())
}
