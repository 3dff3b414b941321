//! Integration tests of `media::Pipeline` against real files: the committed fixtures in
//! `testdata/`, files that must be refused (including the hostile corpus in
//! `testdata/hostile/`), clips made by `media::labelled_clip`, and (ignored by default:
//! `cargo test -p media -- --include-ignored`) the real phone clips in `../shared/media` and
//! media generated with `ffmpeg -f lavfi` for the ffmpeg fallback.

mod builtin;
mod ffmpeg;
mod helpers;
mod hostile;
mod synth;
