//! The local file an upload streams into before it is accepted. It lives in the staging
//! directory (on the same filesystem as local media, so accepting it is a rename) and is
//! deleted when dropped unless it was handed to the media store: an aborted or refused upload
//! leaves nothing behind, whatever the reason (error, client disconnect, panic).

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempPath;
use tokio::io::{AsyncWriteExt, BufWriter};

/// Buffer between network chunks and the disk, so writes reach the disk in large blocks.
const WRITE_BUFFER: usize = 1 << 20;

pub struct StagedFile {
    path: TempPath,
    writer: Option<BufWriter<tokio::fs::File>>,
    len: u64,
}

impl StagedFile {
    pub async fn create_in(dir: &Path) -> io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        let dir = dir.to_owned();
        let named = tokio::task::spawn_blocking(move || {
            tempfile::Builder::new()
                .prefix("upload-")
                .suffix(".part")
                .tempfile_in(dir)
        })
        .await
        .map_err(io::Error::other)??;
        let (file, path) = named.into_parts();
        let writer = BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file));
        Ok(Self {
            path,
            writer: Some(writer),
            len: 0,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("staged file finished"))?;
        writer.write_all(chunk).await?;
        self.len += chunk.len() as u64;
        Ok(())
    }

    /// Flushes and fsyncs: after this the bytes are durable on disk.
    pub async fn finish(&mut self) -> io::Result<()> {
        if let Some(mut writer) = self.writer.take() {
            writer.flush().await?;
            writer.into_inner().sync_all().await?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives up ownership of the file: it will no longer be deleted on drop.
    pub(crate) fn into_kept_path(self) -> io::Result<PathBuf> {
        self.path.keep().map_err(|e| e.error)
    }
}
