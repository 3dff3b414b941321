//! The local file an upload streams into before it is accepted. It lives in the staging
//! directory (on the same filesystem as local media, so accepting it is a rename) and is
//! deleted when dropped unless it was handed to the media store: an aborted or refused upload
//! leaves nothing behind, whatever the reason (error, client disconnect, panic).
//!
//! Writing happens on one blocking thread per upload, fed the network's chunks through a
//! small bounded channel: no copies (chunks are reference-counted `Bytes`), no per-chunk task
//! hops, and memory bounded by the channel whatever the file size.
//!
//! A crash (`kill -9`, power loss) skips the delete-on-drop. So a live staged file is always
//! locked (an exclusive `flock`, which the kernel releases when its process dies, however it
//! dies), and [`sweep_dead`] deletes every `.part` file nobody holds a lock on: whatever other
//! processes share the directory (a `reelshare worker`, a second server), their uploads in
//! flight are untouched. A file is created as `.new`, locked, then renamed to `.part`, so a
//! sweep never sees a live file before its lock.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tempfile::TempPath;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Size of the writes that reach the disk.
const WRITE_BLOCK: usize = 1 << 20;

/// Chunks in flight between the network and the disk (each at most a network read).
const CHANNEL_CHUNKS: usize = 64;

struct Writer {
    chunks: mpsc::Sender<Bytes>,
    thread: JoinHandle<io::Result<()>>,
}

pub struct StagedFile {
    path: TempPath,
    writer: Option<Writer>,
    len: u64,
    /// Holds the file's lock for as long as the staged file lives.
    _lock: std::fs::File,
}

/// The suffix of staged files, live or left by a crash.
pub(crate) const PART: &str = ".part";
/// The suffix of a staged file in the instant before it is locked.
const NEW: &str = ".new";
/// The name prefix of the scratch directories playback files are made in.
pub const SCRATCH_PREFIX: &str = "playback-";
/// A `.new` file (or a scratch directory) older than this was left by a crash.
const NEW_FILE_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes the staged files in `dir` that no live process holds (left by a crash); returns how
/// many. Cheap: one open and one non-blocking lock attempt per file.
pub fn sweep_dead(dir: &Path) -> io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let dead = if name.ends_with(PART) {
            // Another process may finish (and move) its upload while we look: skip what
            // vanished.
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            match file.try_lock() {
                Ok(()) => true,
                Err(std::fs::TryLockError::WouldBlock) => false,
                Err(std::fs::TryLockError::Error(error)) => return Err(error),
            }
        } else if name.starts_with(SCRATCH_PREFIX) {
            // A playback scratch directory (`MediaStore::scratch_dir`) is removed when its
            // processing ends; one this old was left by a crash.
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().unwrap_or_default() > NEW_FILE_GRACE);
            if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
                match std::fs::remove_dir_all(&path) {
                    Ok(()) => swept += 1,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
            }
            false
        } else if name.ends_with(NEW) {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().unwrap_or_default() > NEW_FILE_GRACE)
        } else {
            false
        };
        if dead {
            match std::fs::remove_file(&path) {
                Ok(()) => swept += 1,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(swept)
}

impl StagedFile {
    pub async fn create_in(dir: &Path) -> io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        let dir = dir.to_owned();
        let (file, path, lock) = tokio::task::spawn_blocking(move || {
            let (file, new_path) = tempfile::Builder::new()
                .prefix("upload-")
                .suffix(NEW)
                .tempfile_in(dir)?
                .into_parts();
            let lock = file.try_clone()?;
            lock.lock()?;
            // From here the `.part` name is the one deleted on drop (a `.new` file a failed
            // rename leaves is swept after its grace period).
            let new_path = new_path.keep().map_err(|e| e.error)?;
            let part = new_path.with_extension(&PART[1..]);
            std::fs::rename(&new_path, &part)?;
            io::Result::Ok((file, TempPath::try_from_path(part)?, lock))
        })
        .await
        .map_err(io::Error::other)??;
        let (chunks, mut received) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
        let thread = tokio::task::spawn_blocking(move || {
            // Network chunks are small; the disk wants large writes.
            let mut file = io::BufWriter::with_capacity(WRITE_BLOCK, file);
            while let Some(chunk) = received.blocking_recv() {
                file.write_all(&chunk)?;
            }
            file.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        Ok(Self {
            path,
            writer: Some(Writer { chunks, thread }),
            len: 0,
            _lock: lock,
        })
    }

    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("staged file finished"))?;
        let len = chunk.len() as u64;
        if writer.chunks.send(chunk).await.is_err() {
            // The writer stopped early: report its error.
            return Err(self
                .stop_writer()
                .await
                .err()
                .unwrap_or_else(|| io::Error::other("writer stopped")));
        }
        self.len += len;
        Ok(())
    }

    /// Waits for every byte to be written and fsynced: after this the bytes are durable.
    pub async fn finish(&mut self) -> io::Result<()> {
        self.stop_writer().await
    }

    async fn stop_writer(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(Writer { chunks, thread }) => {
                drop(chunks);
                thread.await.map_err(io::Error::other)?
            }
            None => Ok(()),
        }
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

    /// A finished file already in the staging directory, whose lock `lock` holds: a resumable
    /// upload's bytes once they are all in (see [`resumable`](crate::resumable)).
    pub(crate) fn adopt(path: PathBuf, lock: std::fs::File, len: u64) -> io::Result<Self> {
        Ok(Self {
            path: TempPath::try_from_path(path)?,
            writer: None,
            len,
            _lock: lock,
        })
    }

    /// Gives up ownership of the file: it will no longer be deleted on drop.
    pub(crate) fn into_kept_path(self) -> io::Result<PathBuf> {
        self.path.keep().map_err(|e| e.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sweep_deletes_unlocked_staged_files_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = StagedFile::create_in(dir.path()).await.unwrap();
        live.write(Bytes::from_static(b"in flight")).await.unwrap();
        live.finish().await.unwrap();
        assert!(live.path().to_string_lossy().ends_with(PART));
        // What a killed process leaves: a `.part` file nobody holds.
        let dead = dir.path().join("upload-dead.part");
        std::fs::write(&dead, b"half an upload").unwrap();
        let stale_new = dir.path().join("upload-stale.new");
        let file = std::fs::File::create(&stale_new).unwrap();
        file.set_modified(std::time::SystemTime::now() - 2 * NEW_FILE_GRACE)
            .unwrap();
        let fresh_new = dir.path().join("upload-fresh.new");
        std::fs::write(&fresh_new, b"").unwrap();

        assert_eq!(sweep_dead(dir.path()).unwrap(), 2);
        assert!(live.path().exists());
        assert!(!dead.exists() && !stale_new.exists());
        assert!(fresh_new.exists());
        assert_eq!(sweep_dead(dir.path()).unwrap(), 0);
        drop(live);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_sweep_removes_scratch_directories_a_crash_left_and_keeps_young_ones() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!("{SCRATCH_PREFIX}crashed"));
        std::fs::create_dir_all(old.join("hls")).unwrap();
        std::fs::write(old.join("hls/1.m4s"), b"segment").unwrap();
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - 2 * NEW_FILE_GRACE)
            .unwrap();
        let young = dir.path().join(format!("{SCRATCH_PREFIX}working"));
        std::fs::create_dir_all(&young).unwrap();

        assert_eq!(sweep_dead(dir.path()).unwrap(), 1);
        assert!(!old.exists());
        assert!(young.exists());
    }

    #[tokio::test]
    async fn a_finished_file_holds_every_chunk_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = StagedFile::create_in(dir.path()).await.unwrap();
        for n in 0..200u8 {
            staged.write(Bytes::from(vec![n; 1000])).await.unwrap();
        }
        staged.finish().await.unwrap();
        let bytes = std::fs::read(staged.path()).unwrap();
        assert_eq!(bytes.len(), 200_000);
        assert_eq!(staged.len(), 200_000);
        assert!(
            bytes
                .chunks(1000)
                .enumerate()
                .all(|(n, c)| c.iter().all(|b| *b == n as u8))
        );
    }

    #[test]
    fn a_dropped_file_is_deleted_and_stays_deleted_once_its_writer_has_finished() {
        let dir = tempfile::tempdir().unwrap();
        let files = || std::fs::read_dir(dir.path()).unwrap().count();
        // A runtime of the test's own: dropping it waits for its blocking threads, so the
        // writer thread has certainly finished (flushed and synced) when it returns, without
        // guessing how long that takes.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut staged = StagedFile::create_in(dir.path()).await.unwrap();
            staged.write(Bytes::from_static(b"partial")).await.unwrap();
            drop(staged);
            assert_eq!(files(), 0, "deleted as soon as it is dropped");
        });
        drop(runtime);
        assert_eq!(files(), 0, "the finished writer did not bring it back");
    }
}
