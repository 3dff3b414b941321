//! Integration tests of `media::Pipeline` against real files: the shared phone clips, files
//! that must be refused (including the hostile corpus in `testdata/hostile/`), and (ignored
//! unless ffmpeg is installed: `cargo test -p media -- --include-ignored`) media generated
//! with `ffmpeg -f lavfi` for the ffmpeg fallback.

mod builtin;
mod ffmpeg;
mod helpers;
mod hostile;
