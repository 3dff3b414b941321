//! Makes labelled test videos without any system package (work in progress: so far the
//! test picture and the font its label is drawn with). It does not touch the disk.

mod font;
mod pattern;
