//! A resumable (tus) upload's partial bytes: `<staging>/resumable/<upload id>.part`, kept
//! across requests and restarts (unlike a [`StagedFile`], nothing deletes it on drop or at
//! start-up; expired uploads are swept by their owner, the server's tus module).
//!
//! Whoever writes holds an exclusive `flock` on the file for the whole request
//! ([`ResumableFile::lock`]): a second writer, in this process or in another one sharing the
//! directory, gets `None` at once instead of interleaving bytes. The kernel drops the lock
//! when its holder dies, however it dies.
//!
//! Durability is the caller's rule: the database records an offset only after
//! [`ResumableFile::sync`], and opening truncates the file to the recorded offset, so bytes
//! written after the last record (a crash or a cut connection mid-request) are discarded and
//! sent again.

use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use domain::ids::UploadId;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::staging::{PART, StagedFile};

/// Size of the writes that reach the disk; also the memory one writing request holds.
const WRITE_BLOCK: usize = 256 * 1024;

fn path_of(dir: &Path, id: &UploadId) -> PathBuf {
    dir.join(format!("{}{PART}", id.as_str()))
}

/// Creates upload `id`'s empty file. Not synced: an empty file a crash loses is recreated
/// empty by [`ResumableFile::lock`].
pub async fn create(dir: &Path, id: &UploadId) -> io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path_of(dir, id))
        .await?;
    Ok(())
}

/// The length of upload `id`'s file (0 when it is missing).
pub async fn stored_len(dir: &Path, id: &UploadId) -> io::Result<u64> {
    match tokio::fs::metadata(path_of(dir, id)).await {
        Ok(meta) => Ok(meta.len()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error),
    }
}

/// The ids of every partial file in `dir`.
pub fn stored_ids(dir: &Path) -> io::Result<Vec<UploadId>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    Ok(entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let id = name.to_str()?.strip_suffix(PART)?.to_owned();
            UploadId::parse(&id).ok()
        })
        .collect())
}

/// Upload `id`'s file, locked by this value, positioned at its end.
pub struct ResumableFile {
    path: PathBuf,
    file: BufWriter<tokio::fs::File>,
    /// The same open file as `file`: holds the lock, including after [`Self::into_staged`].
    lock: std::fs::File,
    len: u64,
}

impl ResumableFile {
    /// Opens and locks upload `id`'s file, cut to at most `committed` bytes (created empty if
    /// missing). `None` when someone else holds it.
    pub async fn lock(dir: &Path, id: &UploadId, committed: u64) -> io::Result<Option<Self>> {
        let dir = dir.to_owned();
        let path = path_of(&dir, id);
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(&dir)?;
                let mut file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)?;
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                    Err(std::fs::TryLockError::Error(error)) => return Err(error),
                }
                let mut len = file.metadata()?.len();
                if len > committed {
                    file.set_len(committed)?;
                    file.sync_data()?;
                    len = committed;
                }
                file.seek(SeekFrom::Start(len))?;
                let lock = file.try_clone()?;
                io::Result::Ok(Some((file, lock, len)))
            })
            .await
            .map_err(io::Error::other)??
        };
        Ok(opened.map(|(file, lock, len)| Self {
            path,
            file: BufWriter::with_capacity(WRITE_BLOCK, tokio::fs::File::from_std(file)),
            lock,
            len,
        }))
    }

    /// Bytes in the file, written or buffered.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub async fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes).await?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Makes every byte appended so far durable.
    pub async fn sync(&mut self) -> io::Result<()> {
        self.file.flush().await?;
        self.file.get_mut().sync_data().await
    }

    /// Drops the bytes past `len` (a refused request's), durably.
    pub async fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.flush().await?;
        let file = self.file.get_mut();
        file.set_len(len).await?;
        file.seek(SeekFrom::Start(len)).await?;
        file.sync_data().await?;
        self.len = len.min(self.len);
        Ok(())
    }

    /// Moves the finished file into `staging_dir` as a [`StagedFile`] (still locked), to be
    /// stored like any other upload.
    pub async fn into_staged(mut self, staging_dir: &Path) -> io::Result<StagedFile> {
        self.sync().await?;
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = staging_dir.join(format!("upload-resumable-{name}"));
        tokio::fs::rename(&self.path, &target).await?;
        StagedFile::adopt(target, self.lock, self.len)
    }

    /// Deletes the file (whose lock this holds).
    pub async fn remove(self) -> io::Result<()> {
        match tokio::fs::remove_file(&self.path).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> UploadId {
        UploadId::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn a_second_writer_is_refused_while_the_first_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let upload = id("aaaaaaaaaaaaaaaa");
        create(dir.path(), &upload).await.unwrap();
        let first = ResumableFile::lock(dir.path(), &upload, 0).await.unwrap();
        assert!(first.is_some());
        assert!(
            ResumableFile::lock(dir.path(), &upload, 0)
                .await
                .unwrap()
                .is_none()
        );
        drop(first);
        assert!(
            ResumableFile::lock(dir.path(), &upload, 0)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn bytes_past_the_committed_offset_are_discarded_on_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let upload = id("bbbbbbbbbbbbbbbb");
        let mut file = ResumableFile::lock(dir.path(), &upload, 0)
            .await
            .unwrap()
            .unwrap();
        file.append(b"durable").await.unwrap();
        file.sync().await.unwrap();
        file.append(b" and not recorded").await.unwrap();
        file.sync().await.unwrap();
        drop(file);
        let mut file = ResumableFile::lock(dir.path(), &upload, 7)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.len(), 7);
        file.append(b"!").await.unwrap();
        file.sync().await.unwrap();
        let staging = tempfile::tempdir().unwrap();
        let staged = file.into_staged(staging.path()).await.unwrap();
        assert_eq!(std::fs::read(staged.path()).unwrap(), b"durable!");
        assert_eq!(staged.len(), 8);
        assert!(stored_ids(dir.path()).unwrap().is_empty());
        drop(staged);
        assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_missing_file_opens_empty_and_ids_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let upload = id("cccccccccccccccc");
        let file = ResumableFile::lock(dir.path(), &upload, 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.len(), 0);
        std::fs::write(dir.path().join("not-an-id.txt"), b"").unwrap();
        assert_eq!(stored_ids(dir.path()).unwrap(), vec![upload.clone()]);
        file.remove().await.unwrap();
        assert_eq!(stored_len(dir.path(), &upload).await.unwrap(), 0);
        assert!(stored_ids(dir.path()).unwrap().is_empty());
    }
}
