//! Structure-aware fuzzing of the MP4 probe and the whole built-in pipeline (probe, H.264
//! decode, thumbnails) with proptest, on stable Rust. Seeds are the committed corpus
//! (`testdata/hostile/*.mp4`, valid control included) and the committed fixtures in
//! `testdata/`; each case applies a few mutations that matter to a box parser: truncation, bit
//! flips, box size fields and table entry counts set to boundary or huge values, and table
//! entries (sample sizes, chunk offsets, samples per chunk) overwritten.
//!
//! Every case must end in `Ok` or a `MediaError` (a panic fails the case), within a time
//! bound, and without the Rust heap on the test thread growing past [`MAX_HEAP_GROWTH`]
//! (counted by a global allocator wrapper; openh264's C allocations are not visible to it,
//! which is why the pipeline also bounds pictures before decoding).
//!
//! `cargo test -p media` runs a few cases; set `PROPTEST_CASES` for a longer run, e.g.
//! `PROPTEST_CASES=20000 cargo test --release -p media --lib fuzz::`. It does not replace
//! the corpus tests: a mutation that happens to be valid is simply accepted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::builtin::{FrameChoice, process_file};
use crate::isobmff::read_top_level;
use crate::limits::Limits;
use crate::mp4_track::read_video_track;
use crate::sniff::{SNIFF_LEN, Sniffed, sniff};
use crate::{MediaConfig, MediaError};

/// Rust-heap growth allowed for one case on the thread that runs it.
const MAX_HEAP_GROWTH: usize = 64 * 1024 * 1024;
/// Cases run when `PROPTEST_CASES` is not set: enough to catch a regression in a normal
/// `cargo test`, cheap enough not to slow it.
const DEFAULT_CASES: u32 = 48;

// --- heap accounting -----------------------------------------------------------------------

/// Counts live bytes and their peak per thread. The thread-locals are const-initialised
/// `Cell`s without destructors, so touching them from inside the allocator never allocates.
struct CountingAllocator;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    // `try_with`: during thread teardown the slots may be gone; then just don't count.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the wrapper only counts.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            account(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            account(layout.size() as isize);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the peak heap growth on this thread.
fn measure_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let result = f();
    let growth = PEAK.with(Cell::get) - start;
    (result, growth.max(0) as usize)
}

// --- seeds ---------------------------------------------------------------------------------

/// The seed files, valid ones (the control file, the fixtures) first, with their
/// mutation targets.
struct Seeds {
    files: Vec<Vec<u8>>,
    targets: Vec<Targets>,
    /// How many of `files` are valid.
    valid: usize,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut corpus: Vec<PathBuf> = std::fs::read_dir(root.join("../../testdata/hostile"))
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        corpus.retain(|p| p.extension().is_some_and(|e| e == "mp4"));
        corpus.sort();
        let is_control = |p: &PathBuf| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("control"))
        };
        let (mut paths, hostile): (Vec<PathBuf>, Vec<PathBuf>) =
            corpus.into_iter().partition(is_control);
        // The committed fixtures: several H.264 profiles, rotation, moov at the end. (Only
        // files in the repository, so every machine fuzzes the same seeds.)
        for fixture in ["h264-high-bframes.mp4", "moov-at-end.mp4", "rotated-90.mp4"] {
            paths.push(root.join("../../testdata").join(fixture));
        }
        let valid = paths.len();
        paths.extend(hostile);
        let files: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
        assert!(
            valid > 0 && files.len() == paths.len(),
            "fuzz seeds are missing"
        );
        let targets = files.iter().map(|f| targets(f)).collect();
        Seeds {
            files,
            targets,
            valid,
        }
    })
}

/// Where a mutation can aim in one seed: box size fields and table entry counts/entries.
#[derive(Debug, Default)]
struct Targets {
    /// Offsets of 32-bit box size fields.
    sizes: Vec<usize>,
    /// Offsets of 32-bit table entry counts.
    counts: Vec<usize>,
    /// Offsets of 32-bit table entries (first few of each table).
    entries: Vec<usize>,
}

fn targets(seed: &[u8]) -> Targets {
    const CONTAINERS: [&[u8; 4]; 7] = [
        b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta",
    ];
    let mut found = Targets::default();
    // (start, end) ranges still to walk: a stack instead of recursion.
    let mut stack = vec![(0usize, seed.len())];
    while let Some((mut pos, end)) = stack.pop() {
        while pos + 8 <= end {
            let size = u32::from_be_bytes(seed[pos..pos + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = seed[pos + 4..pos + 8].try_into().unwrap();
            if size < 8 || pos + size > end {
                break;
            }
            found.sizes.push(pos);
            let body = pos + 8;
            if CONTAINERS.contains(&&kind) {
                stack.push((body, pos + size));
            }
            // Entry count offset (after version/flags and fixed fields) and entry width.
            let table = match &kind {
                b"stts" | b"ctts" | b"stss" | b"stsc" | b"stco" | b"co64" | b"elst" | b"stsd" => {
                    Some((body + 4, 4))
                }
                b"stsz" => Some((body + 8, 4)),
                _ => None,
            };
            if let Some((count_at, width)) = table.filter(|(at, _)| at + 4 <= pos + size) {
                found.counts.push(count_at);
                let first = count_at + 4;
                found.entries.extend(
                    (0..8)
                        .map(|i| first + i * width)
                        .filter(|at| at + 4 <= pos + size),
                );
            }
            pos += size;
        }
    }
    found
}

// --- mutations -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    FlipBit(prop::sample::Index, u8),
    SetSize(prop::sample::Index, u32),
    SetCount(prop::sample::Index, u32),
    SetEntry(prop::sample::Index, u32),
}

/// Values that sit on boundaries or claim far more than any file holds.
fn interesting_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(7),
        Just(8),
        Just(9),
        Just(16),
        Just(0x7FFF_FFFF),
        Just(0x8000_0000),
        Just(u32::MAX),
        Just(u32::MAX - 7),
        Just(10_000_000),
        Just(100_000_000),
        1u32..4096,
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        3 => (any::<prop::sample::Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        3 => (any::<prop::sample::Index>(), interesting_u32()).prop_map(|(i, v)| Mutation::SetSize(i, v)),
        3 => (any::<prop::sample::Index>(), interesting_u32()).prop_map(|(i, v)| Mutation::SetCount(i, v)),
        2 => (any::<prop::sample::Index>(), interesting_u32()).prop_map(|(i, v)| Mutation::SetEntry(i, v)),
    ]
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    if let Some(slot) = bytes.get_mut(at..at + 4) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

fn apply(seed: &[u8], targets: &Targets, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let pick = |list: &[usize], index: &prop::sample::Index| {
        (!list.is_empty()).then(|| list[index.index(list.len())])
    };
    for mutation in mutations {
        match mutation {
            Mutation::Truncate(at) => {
                let len = bytes.len();
                bytes.truncate(at.index(len + 1));
            }
            Mutation::FlipBit(at, bit) if !bytes.is_empty() => {
                // Half the flips land in the box headers' neighbourhood, where parsers look.
                let len = bytes.len();
                let offset = match pick(&targets.sizes, at) {
                    Some(box_at) if at.index(2) == 0 => (box_at + at.index(64)).min(len - 1),
                    _ => at.index(len),
                };
                bytes[offset] ^= 1 << bit;
            }
            Mutation::FlipBit(..) => {}
            Mutation::SetSize(at, value) => {
                if let Some(offset) = pick(&targets.sizes, at) {
                    put_u32(&mut bytes, offset, *value);
                }
            }
            Mutation::SetCount(at, value) => {
                if let Some(offset) = pick(&targets.counts, at) {
                    put_u32(&mut bytes, offset, *value);
                }
            }
            Mutation::SetEntry(at, value) => {
                if let Some(offset) = pick(&targets.entries, at) {
                    put_u32(&mut bytes, offset, *value);
                }
            }
        }
    }
    bytes
}

/// Half the cases start from a valid file (one or two mutations then reach deep into the
/// parser and the decoder), half from any corpus file.
fn mutated_file() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 1..4),
    )
        .prop_map(|(from_valid, seed, mutations)| {
            let seeds = seeds();
            let pool = if from_valid {
                seeds.valid
            } else {
                seeds.files.len()
            };
            let index = seed.index(pool);
            apply(&seeds.files[index], &seeds.targets[index], &mutations)
        })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // A failure is reported with its minimal input; the file is kept for replay.
        ..ProptestConfig::default()
    }
}

fn limits() -> Limits {
    Limits::from_config(&MediaConfig::default())
}

/// Sniff, box scan and probe over in-memory bytes.
fn probe(bytes: &[u8]) -> Result<(), MediaError> {
    if sniff(&bytes[..bytes.len().min(SNIFF_LEN)]) != Sniffed::IsoBmff {
        return Ok(());
    }
    let boxes = read_top_level(&mut Cursor::new(bytes), bytes.len() as u64)?;
    read_video_track(&boxes, &limits()).map(|_| ())
}

fn check_bounds(
    what: &str,
    elapsed: Duration,
    bound: Duration,
    heap: usize,
) -> Result<(), TestCaseError> {
    prop_assert!(
        elapsed <= bound,
        "{what} took {elapsed:?} (bound {bound:?})"
    );
    prop_assert!(
        heap <= MAX_HEAP_GROWTH,
        "{what} grew the heap by {heap} bytes (bound {MAX_HEAP_GROWTH})"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mp4_probe_survives_mutated_files(bytes in mutated_file()) {
        let started = Instant::now();
        let (_result, heap) = measure_heap(|| probe(&bytes));
        // Debug build on a shared 2-core machine: real probes take well under 10 ms.
        check_bounds("probe", started.elapsed(), Duration::from_millis(500), heap)?;
    }

    #[test]
    fn pipeline_survives_mutated_files(bytes in mutated_file()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.mp4");
        std::fs::write(&path, &bytes).unwrap();
        let started = Instant::now();
        let (_result, heap) =
            measure_heap(|| process_file(&path, FrameChoice::NearestKeyframe, &limits()));
        check_bounds("pipeline", started.elapsed(), Duration::from_secs(3), heap)?;
    }
}

#[test]
fn every_seed_has_targets_and_the_counter_sees_allocations() {
    let seeds = seeds();
    for (seed, targets) in seeds.files.iter().zip(&seeds.targets) {
        if seed.len() > 1000 {
            assert!(!targets.sizes.is_empty());
        }
    }
    assert!(
        seeds.targets[..seeds.valid]
            .iter()
            .all(|t| t.counts.len() >= 6)
    );
    let (_, heap) = measure_heap(|| vec![0u8; 10 << 20]);
    assert!(heap >= 10 << 20, "{heap}");
}
