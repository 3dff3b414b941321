//! The hostile-media corpus (`testdata/hostile/`, written by its `make.py`, listed in its
//! README.md): every file must get the outcome stated in [`CORPUS`], within its time bound,
//! and without raising the peak memory of the process that handles it by more than
//! [`MAX_PEAK_GROWTH_KB`]. A 100 000-deep nesting, too big to commit, is generated here.
//!
//! Each file is handled in a fresh child process (this test binary re-run with
//! `HOSTILE_FILE` set, see [`handle_one_file_in_this_process`]): peak RSS (`VmHWM`) only
//! ever grows, so in one shared process the first large allocation would hide every later
//! one, and other tests running in parallel would add their own. The ffmpeg variant is
//! ignored by default; ffmpeg's own memory is bounded by its `RLIMIT_AS`, not measured here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use media::{FfmpegMode, MediaConfig, MediaError, Pipeline};

/// Peak-RSS growth allowed for one file, in kB. The valid control file needs ~5 MB.
const MAX_PEAK_GROWTH_KB: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Corrupt,
    LimitExceeded,
    Unsupported,
}

#[derive(Debug, Clone, Copy)]
enum Work {
    /// Refused from the box structure alone: measured well under a millisecond (debug build),
    /// bounded generously so a loaded CI machine does not flake.
    Structural,
    /// Reads samples and may run the H.264 decoder.
    Decodes,
}

impl Work {
    fn time_bound(self, with_ffmpeg: bool) -> Duration {
        match (self, with_ffmpeg) {
            (Work::Structural, _) => Duration::from_millis(200),
            (Work::Decodes, false) => Duration::from_secs(2),
            // ffprobe + ffmpeg start-up is ~0.2 s each on the development machine.
            (Work::Decodes, true) => Duration::from_secs(5),
        }
    }
}

use Outcome::*;
use Work::*;

/// (file, outcome without ffmpeg, outcome with ffmpeg, work, words the error must contain:
/// the right refusal for the right reason, not a lucky decoder failure). Keep in step with
/// README.md.
const CORPUS: &[(&str, Outcome, Outcome, Work, &str)] = &[
    ("control-valid-64x64.mp4", Ok, Ok, Decodes, "64×64"),
    // Finding 1: sample-table bombs and hostile box structures.
    (
        "stsc-bomb-10M-one-byte-samples.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "add up to 10000000 bytes",
    ),
    (
        "stsc-bomb-10M-stsz-lists-10.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "claim 10000000 samples",
    ),
    (
        "stsz-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stsz claims 100000000 entries",
    ),
    (
        "stts-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stts claims 100000000 entries",
    ),
    (
        "stco-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "claims 100000000 entries",
    ),
    (
        "stss-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stss claims 100000000 entries",
    ),
    (
        "stsc-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stsc claims 100000000 entries",
    ),
    (
        "stsd-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stsd claims 100000000 entries",
    ),
    (
        "elst-count-1e8.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "elst claims 100000000 entries",
    ),
    (
        "box-4gb-trak-in-moov.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "trak box claims",
    ),
    (
        "box-2e62-stsz-64bit-size.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stsz box claims",
    ),
    (
        "box-4gb-top-level-free.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "no moov",
    ),
    (
        "box-4gb-mdat.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "mdat box declares",
    ),
    (
        "box-child-overruns-trak.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "mdia box claims",
    ),
    (
        "nesting-10k-udta.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "nested more than",
    ),
    (
        "bitflip-stsz-count.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "stsz claims",
    ),
    // Finding 2: the SPS lies about (or tells the truth about) a huge picture.
    (
        "sps-16000x16000-in-64x64-container.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "SPS says 16000×16000",
    ),
    (
        "sps-8192x4608-in-64x64-container.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "SPS says 8192×4608",
    ),
    (
        "sps-8192x4608-everywhere.mp4",
        LimitExceeded,
        LimitExceeded,
        Structural,
        "8192×4608",
    ),
    (
        "sps-inband-16000x16000.mp4",
        Corrupt,
        Corrupt,
        Decodes,
        "SPS inside the video",
    ),
    (
        "bitflip-sps-width.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "SPS says",
    ),
    (
        "mkv-sps-8192x4608-everywhere.mkv",
        Unsupported,
        LimitExceeded,
        Decodes,
        "",
    ),
    // Finding 4: implausible durations and sizes.
    (
        "duration-10h-mvhd-tkhd.mp4",
        LimitExceeded,
        LimitExceeded,
        Structural,
        "36000 s",
    ),
    (
        "duration-10h-stts.mp4",
        LimitExceeded,
        LimitExceeded,
        Structural,
        "sample table",
    ),
    (
        "duration-136y-mvhd-tkhd.mp4",
        LimitExceeded,
        LimitExceeded,
        Structural,
        "4294967294 s",
    ),
    (
        "duration-136y-mdhd.mp4",
        LimitExceeded,
        LimitExceeded,
        Structural,
        "media header",
    ),
    (
        "mkv-duration-10h.mkv",
        Unsupported,
        LimitExceeded,
        Decodes,
        "",
    ),
    (
        "tkhd-8192x8192-on-64x64-stream.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "track header says 8192×8192",
    ),
    (
        "avc1-tkhd-8192x8192-on-64x64-stream.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "sample entry says 8192×8192",
    ),
    // Truncated and bit-flipped.
    (
        "truncated-inside-moov.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "moov box runs past",
    ),
    (
        "truncated-inside-mdat-faststart.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "mdat box declares",
    ),
    (
        "bitflip-stco-offset.mp4",
        Corrupt,
        Corrupt,
        Structural,
        "sample data ends",
    ),
];

/// Generated here rather than committed: 100 000 levels are 800 kB.
const DEEP_NESTING: &str = "nesting-100k-udta.mp4";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile")
}

#[test]
fn every_corpus_file_has_an_expectation_and_vice_versa() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".mp4") || name.ends_with(".mkv"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|(f, ..)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).unwrap();
    for name in listed.iter().map(String::as_str).chain([DEEP_NESTING]) {
        assert!(readme.contains(name), "README.md does not list {name}");
    }
}

#[test]
fn each_hostile_file_is_refused_quickly_within_bounded_memory() {
    check_corpus(false);
}

#[test]
#[ignore = "needs ffmpeg"]
fn each_hostile_file_is_refused_quickly_within_bounded_memory_with_ffmpeg() {
    check_corpus(true);
}

fn check_corpus(with_ffmpeg: bool) {
    let generated = tempfile::tempdir().unwrap();
    let deep = generated.path().join(DEEP_NESTING);
    std::fs::write(
        &deep,
        deeply_nested_variant(&corpus_dir().join(CORPUS[0].0), 100_000),
    )
    .unwrap();

    let mut cases: Vec<(PathBuf, Outcome, Work, &str)> = CORPUS
        .iter()
        .map(|&(name, without, with, work, reason)| {
            let outcome = if with_ffmpeg { with } else { without };
            (corpus_dir().join(name), outcome, work, reason)
        })
        .collect();
    cases.push((deep, Corrupt, Structural, "nested more than"));

    let mut failures = Vec::new();
    for (path, expected, work, reason) in cases {
        let report = handle_in_child(&path, with_ffmpeg);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        println!(
            "{name:45} {:>8.2} ms {:>7} kB  {}",
            report.elapsed.as_secs_f64() * 1000.0,
            report.peak_growth_kb,
            report.outcome
        );
        if !report.outcome.starts_with(&format!("{expected:?}")) || !report.outcome.contains(reason)
        {
            failures.push(format!(
                "{name}: expected {expected:?} ({reason}), got {}",
                report.outcome
            ));
        }
        let bound = work.time_bound(with_ffmpeg);
        if report.elapsed > bound {
            failures.push(format!(
                "{name}: took {:?}, bound {bound:?}",
                report.elapsed
            ));
        }
        if report.peak_growth_kb > MAX_PEAK_GROWTH_KB {
            failures.push(format!(
                "{name}: peak memory grew {} kB, bound {MAX_PEAK_GROWTH_KB} kB",
                report.peak_growth_kb
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `control` with `depth` nested `udta` boxes appended to its moov (the moov is last).
fn deeply_nested_variant(control: &Path, depth: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(control).unwrap();
    let moov = bytes.windows(4).rposition(|w| w == b"moov").unwrap() - 4;
    assert_eq!(
        u32::from_be_bytes(bytes[moov..moov + 4].try_into().unwrap()) as usize,
        bytes.len() - moov,
        "the control file's moov is its last box"
    );
    for level in 0..depth {
        let size = (8 * (depth - level)) as u32;
        bytes.extend_from_slice(&size.to_be_bytes());
        bytes.extend_from_slice(b"udta");
    }
    let moov_size = (bytes.len() - moov) as u32;
    bytes[moov..moov + 4].copy_from_slice(&moov_size.to_be_bytes());
    bytes
}

struct ChildReport {
    outcome: String,
    elapsed: Duration,
    peak_growth_kb: u64,
}

const FILE_ENV: &str = "HOSTILE_FILE";
const FFMPEG_ENV: &str = "HOSTILE_WITH_FFMPEG";
const REPORT_PREFIX: &str = "HOSTILE-REPORT";

fn handle_in_child(path: &Path, with_ffmpeg: bool) -> ChildReport {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "hostile::handle_one_file_in_this_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FILE_ENV, path);
    if with_ffmpeg {
        command.env(FFMPEG_ENV, "1");
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        // libtest prints the test name on the same line, before the report.
        .find_map(|l| l.split_once(REPORT_PREFIX).map(|(_, report)| report))
        .unwrap_or_else(|| {
            panic!(
                "{}: the child reported nothing (status {}):\n{stdout}\n{}",
                path.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let mut fields = line.trim().splitn(3, ' ');
    let micros: u64 = fields.next().unwrap().parse().unwrap();
    let peak_growth_kb: u64 = fields.next().unwrap().parse().unwrap();
    ChildReport {
        elapsed: Duration::from_micros(micros),
        peak_growth_kb,
        outcome: fields.next().unwrap_or("").to_string(),
    }
}

/// The child half of [`check_corpus`]; does nothing unless `HOSTILE_FILE` is set. Prints
/// `HOSTILE-REPORT <µs> <peak growth kB> <outcome>`.
#[test]
fn handle_one_file_in_this_process() {
    let Some(path) = std::env::var_os(FILE_ENV) else {
        return;
    };
    let ffmpeg = if std::env::var_os(FFMPEG_ENV).is_some() {
        FfmpegMode::Auto
    } else {
        FfmpegMode::Disabled
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pipeline = Pipeline::new(MediaConfig {
        ffmpeg,
        ..MediaConfig::default()
    });
    // Start the blocking pool's thread before the baseline, so it is not counted.
    runtime.block_on(async { tokio::task::spawn_blocking(|| ()).await.unwrap() });
    let before = peak_rss_kb();
    let started = Instant::now();
    let result = runtime.block_on(pipeline.process(Path::new(&path)));
    let elapsed = started.elapsed();
    let growth = peak_rss_kb().saturating_sub(before);
    let outcome = match result {
        Result::Ok(processed) => format!(
            "Ok {}×{} {:.1}s",
            processed.probe.width, processed.probe.height, processed.probe.duration_seconds
        ),
        Err(error) => format!("{}: {error}", variant_name(&error)),
    };
    println!("{REPORT_PREFIX} {} {growth} {outcome}", elapsed.as_micros());
}

fn variant_name(error: &MediaError) -> &'static str {
    match error {
        MediaError::NotAVideo(_) => "NotAVideo",
        MediaError::Unsupported(_) => "Unsupported",
        MediaError::Corrupt(_) => "Corrupt",
        MediaError::LimitExceeded(_) => "LimitExceeded",
        MediaError::Timeout { .. } => "Timeout",
        MediaError::Io(_) => "Io",
    }
}

/// `VmHWM` (peak resident set size) of this process, in kB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}
