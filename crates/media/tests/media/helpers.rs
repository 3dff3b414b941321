//! Shared helpers: where the committed fixtures and the (optional) real phone clips live,
//! pipelines with and without ffmpeg, and the checks that a thumbnail is a real picture
//! (decodes, not flat, not green).

use std::path::{Path, PathBuf};
use std::process::Command;

use media::{FfmpegMode, Jpeg, MediaConfig, Pipeline};

/// A committed fixture from `testdata/` at the repository root (see its README.md).
pub fn fixture(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    assert!(
        path.is_file(),
        "fixture {} is missing (testdata/make.sh makes it)",
        path.display()
    );
    path
}

/// One of the real phone clips: `shared/media/` beside the repository, or
/// `REELSHARE_SAMPLE_MEDIA`. Not part of the repository, so only `#[ignore]`d tests use it.
pub fn phone_clip(name: &str) -> PathBuf {
    let dir = std::env::var_os("REELSHARE_SAMPLE_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media"));
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "phone clip {} is missing (set REELSHARE_SAMPLE_MEDIA)",
        path.display()
    );
    path
}

pub fn pipeline_without_ffmpeg() -> Pipeline {
    Pipeline::new(MediaConfig {
        ffmpeg: FfmpegMode::Disabled,
        ..MediaConfig::default()
    })
}

pub fn pipeline_with_ffmpeg() -> Pipeline {
    let pipeline = Pipeline::new(MediaConfig::default());
    assert!(
        pipeline.ffmpeg_available(),
        "this test needs ffmpeg and ffprobe on PATH"
    );
    pipeline
}

/// Writes `bytes` to a fresh file in `dir`.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs ffmpeg with `args` (quietly, overwriting) and panics with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(
        output.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Mean R, G, B and luma standard deviation of a JPEG.
pub struct PictureStats {
    pub mean_rgb: [f64; 3],
    pub luma_std_dev: f64,
}

pub fn picture_stats(jpeg: &Jpeg) -> PictureStats {
    let image = image::load_from_memory_with_format(&jpeg.bytes, image::ImageFormat::Jpeg)
        .expect("thumbnail is a valid JPEG")
        .to_rgb8();
    assert_eq!(
        image.dimensions(),
        (jpeg.width, jpeg.height),
        "JPEG size matches its metadata"
    );
    let n = f64::from(image.width() * image.height());
    let mut sums = [0f64; 3];
    let (mut luma_sum, mut luma_sq) = (0f64, 0f64);
    for pixel in image.pixels() {
        let [r, g, b] = pixel.0.map(f64::from);
        sums[0] += r;
        sums[1] += g;
        sums[2] += b;
        let luma = 0.299 * r + 0.587 * g + 0.114 * b;
        luma_sum += luma;
        luma_sq += luma * luma;
    }
    let mean_luma = luma_sum / n;
    PictureStats {
        mean_rgb: sums.map(|s| s / n),
        luma_std_dev: (luma_sq / n - mean_luma * mean_luma).max(0.0).sqrt(),
    }
}

/// Not black, not flat, not the green of misread chroma.
pub fn assert_real_picture(jpeg: &Jpeg) {
    let stats = picture_stats(jpeg);
    let [r, g, b] = stats.mean_rgb;
    assert!(
        stats.luma_std_dev > 12.0,
        "thumbnail is nearly uniform: std dev {}",
        stats.luma_std_dev
    );
    assert!(
        r + g + b > 3.0 * 25.0,
        "thumbnail is nearly black: mean {r:.0} {g:.0} {b:.0}"
    );
    assert!(
        g < r.max(b) + 30.0,
        "thumbnail is green-tinted: mean {r:.0} {g:.0} {b:.0}"
    );
}
