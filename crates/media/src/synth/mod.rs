//! Makes labelled test videos without any system package (work in progress: so far the
//! test picture, the font its label is drawn with, and the MP4 writer). It does not touch
//! the disk.

mod font;
mod mp4_writer;
mod pattern;

/// Why no clip was made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The MP4 writer was given something it cannot write.
    #[error("MP4 writer: {0}")]
    Mux(String),
}
