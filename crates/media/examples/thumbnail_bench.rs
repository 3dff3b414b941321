//! Times `Pipeline::process` (probe + both thumbnails, built-in pipeline) on each shared clip
//! against one `ffmpeg -ss T -i clip -frames:v 1 -vf scale=… out.jpg` run, and prints the
//! median wall times and their ratio. See `bench/thumbnail/README.md` for how to run it and
//! the numbers measured.
//!
//! Usage: `thumbnail_bench [--runs N] [--out DIR] [CLIP…]` (default: `shared/media/clip-{a,b,c}.mp4`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use media::{FfmpegMode, MediaConfig, Pipeline};

#[tokio::main]
async fn main() {
    let mut runs = 7usize;
    let mut out_dir: Option<PathBuf> = None;
    let mut clips = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--out" => out_dir = args.next().map(PathBuf::from),
            _ => clips.push(PathBuf::from(arg)),
        }
    }
    if clips.is_empty() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media");
        clips = ["clip-a.mp4", "clip-b.mp4", "clip-c.mp4"]
            .iter()
            .map(|c| shared.join(c))
            .collect();
    }

    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Disabled,
        ..MediaConfig::default()
    });
    let scratch = std::env::temp_dir().join(format!("thumbnail-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");

    println!("runs per measurement: {runs} (median reported)");
    println!(
        "{:<12} {:>12} {:>12} {:>8}",
        "clip", "media (ms)", "ffmpeg (ms)", "ratio"
    );
    let mut ratios = Vec::new();
    for clip in &clips {
        let name = clip.file_name().unwrap().to_string_lossy().to_string();
        // Warm-up run: fills the page cache for both contenders.
        let processed = pipeline
            .process(clip)
            .await
            .expect("built-in pipeline handles the clip");
        let seek = processed.probe.duration_seconds / 3.0;
        let scale = format!(
            "scale={}:{}",
            processed.thumbnails.small.width, processed.thumbnails.small.height
        );
        if let Some(dir) = &out_dir {
            std::fs::create_dir_all(dir).expect("out dir");
            std::fs::write(
                dir.join(format!("{name}.small.jpg")),
                &processed.thumbnails.small.bytes,
            )
            .unwrap();
            std::fs::write(
                dir.join(format!("{name}.large.jpg")),
                &processed.thumbnails.large.bytes,
            )
            .unwrap();
        }

        let mut ours = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            pipeline.process(clip).await.expect("process");
            ours.push(started.elapsed());
        }
        let out = scratch.join(format!("{name}.jpg"));
        let mut theirs = Vec::new();
        for _ in 0..=runs {
            let started = Instant::now();
            let status = Command::new("ffmpeg")
                .args([
                    "-v",
                    "error",
                    "-y",
                    "-nostdin",
                    "-ss",
                    &format!("{seek:.3}"),
                    "-i",
                ])
                .arg(clip)
                .args(["-frames:v", "1", "-vf", &scale])
                .arg(&out)
                .status()
                .expect("ffmpeg on PATH");
            assert!(status.success(), "ffmpeg failed on {name}");
            theirs.push(started.elapsed());
        }
        theirs.remove(0); // warm-up
        let (ours, theirs) = (median(ours), median(theirs));
        let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
        ratios.push(ratio);
        println!(
            "{name:<12} {:>12.1} {:>12.1} {ratio:>8.2}",
            ms(ours),
            ms(theirs)
        );
    }
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    println!("mean ratio media/ffmpeg: {mean:.2} (target ≤ 0.50)");
    let _ = std::fs::remove_dir_all(&scratch);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
