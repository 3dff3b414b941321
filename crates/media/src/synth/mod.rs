//! Makes labelled test videos without any system package (work in progress: so far the
//! font the label is drawn with). It does not touch the disk.

mod font;
