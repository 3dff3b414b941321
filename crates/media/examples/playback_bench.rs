//! Times the built-in publish path (`Pipeline::process`: probe + both thumbnails, then
//! `Pipeline::prepare_playback`: faststart remux when needed + HLS packaging) on each clip
//! against the usual shell-outs on the same file: `ffmpeg -c copy -movflags +faststart` plus
//! `ffmpeg -c copy -f hls` (fMP4 segments). Prints median wall times and their ratio. See
//! `bench/playback/README.md` for how to run it and the numbers measured.
//!
//! Usage: `playback_bench [--runs N] [CLIP…]` (default: `shared/media/clip-{a,b,c}.mp4` and
//! `testdata/moov-at-end.mp4`), or `playback_bench --ladder SOURCE`: the ffmpeg ladder in one
//! run (`Pipeline::encode_ladder`) against one ffmpeg run per rung with the same encoder
//! settings, in seconds per second of video, and the bytes stored against the original's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use media::{FfmpegMode, MediaConfig, Pipeline};

#[tokio::main]
async fn main() {
    let mut runs = 5usize;
    let mut clips = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--ladder" => {
                let source = PathBuf::from(args.next().expect("--ladder SOURCE"));
                return ladder(&source).await;
            }
            _ => clips.push(PathBuf::from(arg)),
        }
    }
    if clips.is_empty() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        clips = ["clip-a.mp4", "clip-b.mp4", "clip-c.mp4"]
            .iter()
            .map(|c| root.join("../shared/media").join(c))
            .chain([root.join("testdata/moov-at-end.mp4")])
            .collect();
    }
    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Disabled,
        ..MediaConfig::default()
    });
    let scratch = std::env::temp_dir().join(format!("playback-bench-{}", std::process::id()));
    println!("runs per measurement: {runs} (median reported)");
    println!(
        "{:<22} {:>10} {:>12} {:>12} {:>7}",
        "clip", "MB", "built-in ms", "ffmpeg ms", "ratio"
    );
    let breakdown = std::env::var_os("BREAKDOWN").is_some();
    for clip in &clips {
        let mb = std::fs::metadata(clip).map_or(0.0, |m| m.len() as f64 / 1e6);
        let mut ours = Vec::with_capacity(runs);
        let mut theirs = Vec::with_capacity(runs);
        // One warm-up of each fills the page cache.
        for run in 0..=runs {
            let _ = std::fs::remove_dir_all(&scratch);
            std::fs::create_dir_all(&scratch).expect("scratch dir");
            let started = Instant::now();
            let processed = pipeline.process(clip).await.expect("the clip processes");
            let playback = pipeline
                .prepare_playback(clip, &processed.probe, &scratch)
                .await
                .expect("the clip packages");
            assert!(
                playback.hls.is_some(),
                "{} has no H.264 to package",
                clip.display()
            );
            let built_in = started.elapsed();
            if breakdown && run == 0 {
                let t = Instant::now();
                pipeline.process(clip).await.expect("the clip processes");
                let probe_ms = ms(t.elapsed());
                let t = Instant::now();
                media::make_faststart(clip, &scratch.join("again.mp4")).expect("remux");
                println!(
                    "  probe+thumbnails {probe_ms:.1} ms, faststart {:.1} ms, all {:.1} ms",
                    ms(t.elapsed()),
                    ms(built_in)
                );
            }

            let _ = std::fs::remove_dir_all(&scratch);
            std::fs::create_dir_all(scratch.join("hls")).expect("scratch dir");
            let started = Instant::now();
            ffmpeg(&[
                "-i",
                &clip.to_string_lossy(),
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                &scratch.join("fast.mp4").to_string_lossy(),
            ]);
            ffmpeg(&[
                "-i",
                &clip.to_string_lossy(),
                "-c",
                "copy",
                "-f",
                "hls",
                "-hls_segment_type",
                "fmp4",
                "-hls_time",
                "4",
                "-hls_playlist_type",
                "vod",
                &scratch.join("hls/playlist.m3u8").to_string_lossy(),
            ]);
            let shell_out = started.elapsed();
            if run > 0 {
                ours.push(built_in);
                theirs.push(shell_out);
            }
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let name = clip.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "{name:<22} {mb:>10.1} {:>12.1} {:>12.1} {:>7.2}",
            ms(ours),
            ms(theirs),
            ms(ours) / ms(theirs)
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The ladder in one ffmpeg run against one run per rung (same encoder settings).
async fn ladder(source: &Path) {
    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Auto,
        subprocess_timeout: Duration::from_secs(600),
        ..MediaConfig::default()
    });
    let probe = pipeline
        .process(source)
        .await
        .expect("the source processes")
        .probe;
    let scratch = std::env::temp_dir().join(format!("ladder-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let started = Instant::now();
    let rungs = pipeline
        .encode_ladder(source, &probe, &scratch)
        .await
        .expect("the ladder encodes");
    let ours = started.elapsed();
    let stored: u64 = walk_size(&scratch);
    let original = std::fs::metadata(source).map_or(0, |m| m.len());

    let separate = scratch.join("separate");
    std::fs::create_dir_all(&separate).expect("scratch dir");
    let started = Instant::now();
    for rung in media::rungs_for(probe.width, probe.height) {
        let out = separate.join(format!("{}.mp4", rung.name));
        let source = source.to_string_lossy();
        let (scale, keyframes) = (rung.scale_filter(), media::forced_keyframes());
        let (maxrate, bufsize) = (
            format!("{}k", rung.max_kbps),
            format!("{}k", rung.max_kbps * 2),
        );
        let out = out.to_string_lossy();
        let mut args = vec!["-threads", "2", "-i", &source, "-vf", &scale];
        args.extend(media::VIDEO_ENCODER);
        args.extend(["-threads", "2", "-maxrate", &maxrate, "-bufsize", &bufsize]);
        args.extend(["-force_key_frames", &keyframes]);
        args.extend(media::AUDIO_ENCODER);
        args.extend(["-movflags", "+faststart", &out]);
        ffmpeg(&args);
    }
    let theirs = started.elapsed();
    let seconds = probe.duration_seconds.max(0.001);
    println!(
        "source {}x{} {:.1} s, rungs {:?}",
        probe.width,
        probe.height,
        seconds,
        rungs
            .iter()
            .map(|r| r.hls.rendition.name.as_str())
            .collect::<Vec<_>>()
    );
    println!(
        "one run + packaging: {:.2} s of processing per s of video; one run per rung: {:.2}; ratio {:.2}",
        ours.as_secs_f64() / seconds,
        theirs.as_secs_f64() / seconds,
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    println!(
        "bytes stored: original {original}, ladder (MP4 + HLS per rung) {stored}, total {:.2}x the original",
        (original + stored) as f64 / original.max(1) as f64
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

fn walk_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                if path.ends_with("separate") {
                    0
                } else {
                    walk_size(&path)
                }
            } else {
                entry.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}
