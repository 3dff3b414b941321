//! Writes one labelled test clip made by `media::labelled_clip`, to look at or to upload by
//! hand, and prints how long it took. It does no uploading and no checking.
//!
//! Usage: `synth_clip OUT.mp4 [LABEL [SEED [WIDTHxHEIGHT [FPS [SECONDS]]]]]`
//! (defaults: "Test clip", 0, 360x640, 30, 8).

use std::time::Instant;

use media::{ClipSpec, labelled_clip};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: synth_clip OUT.mp4 [LABEL [SEED [WIDTHxHEIGHT [FPS [SECONDS]]]]]");
        std::process::exit(2);
    };
    let mut spec = ClipSpec::vertical(args.get(1).map_or("Test clip", String::as_str), 0);
    if let Some(seed) = args.get(2) {
        spec.seed = seed.parse().expect("SEED is a number");
    }
    if let Some(size) = args.get(3) {
        let (width, height) = size.split_once('x').expect("size is WIDTHxHEIGHT");
        spec.width = width.parse().expect("WIDTH is a number");
        spec.height = height.parse().expect("HEIGHT is a number");
    }
    if let Some(fps) = args.get(4) {
        spec.fps = fps.parse().expect("FPS is a number");
    }
    if let Some(seconds) = args.get(5) {
        spec.seconds = seconds.parse().expect("SECONDS is a number");
    }
    let started = Instant::now();
    let bytes = labelled_clip(&spec).unwrap_or_else(|e| {
        eprintln!("synth_clip: {e}");
        std::process::exit(1);
    });
    let elapsed = started.elapsed();
    std::fs::write(out, &bytes).expect("writing the clip");
    println!(
        "{out}: {} bytes in {:.0} ms ({spec:?})",
        bytes.len(),
        elapsed.as_secs_f64() * 1000.0
    );
}
