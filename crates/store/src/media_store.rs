//! Where media bytes live: an `object_store` (a local directory by default, S3 for scale-out).
//! Objects are keyed by the video's hash id: `videos/<hash_id>/original`, one key per
//! thumbnail size, and what playback needs (`faststart.mp4`, `hls/…`). A local store accepts
//! a staged upload by renaming it into place (atomic, O(1), then the directory is fsynced); a
//! remote store receives it as a multipart upload in bounded memory (a few parts per upload,
//! a few uploads at once), aborted if it fails. On S3 the store also signs GET links, so
//! players fetch media straight from the bucket.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use domain::ids::HashId;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload,
};
use tokio::sync::Semaphore;
use tokio_util::io::ReaderStream;

use crate::StoreError;
use crate::s3::{Presigner, ResponseHeaders, S3Settings};
use crate::staging::StagedFile;

/// The objects a video has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaObject {
    Original,
    /// Fits within 360×200: lists and the Video API's `thumbnail_url`.
    SmallThumbnail,
    /// Fits within 720×1280: the Creator API's thumbnail.
    LargeThumbnail,
    /// The original remuxed with its index first; only when the original's was at the end.
    Faststart,
    /// The HLS renditions' description (JSON), from which playlists are rendered.
    HlsIndex,
    /// A rendition's HLS init segment.
    HlsInit {
        rendition: u16,
    },
    /// A rendition's HLS media segment `number` (from 1).
    HlsSegment {
        rendition: u16,
        number: u32,
    },
    /// A rendition's HLS segment heads, when its segments point into the packaged file.
    HlsHeads {
        rendition: u16,
    },
    /// A ladder rendition as one faststart MP4, for progressive players.
    RenditionMp4 {
        rendition: u16,
    },
    /// An image made on request (still, animation, storyboard), cached under `images/`.
    Image(domain::images::ImageKey),
}

impl MediaObject {
    pub const ALL: [MediaObject; 3] = [Self::Original, Self::SmallThumbnail, Self::LargeThumbnail];

    fn file_name(self) -> String {
        match self {
            Self::Original => "original".into(),
            Self::SmallThumbnail => "thumbnail-small.jpg".into(),
            Self::LargeThumbnail => "thumbnail-large.jpg".into(),
            Self::Faststart => "faststart.mp4".into(),
            Self::HlsIndex => "hls/index.json".into(),
            Self::HlsInit { rendition } => format!("hls/{rendition}/init.mp4"),
            Self::HlsSegment { rendition, number } => format!("hls/{rendition}/{number}.m4s"),
            Self::HlsHeads { rendition } => format!("hls/{rendition}/heads.bin"),
            Self::RenditionMp4 { rendition } => format!("hls/{rendition}/video.mp4"),
            Self::Image(key) => format!("images/{}", key.object_name()),
        }
    }
}

fn object_key(hash_id: &HashId, object: MediaObject) -> ObjectPath {
    ObjectPath::from(format!(
        "videos/{}/{}",
        hash_id.as_str(),
        object.file_name()
    ))
}

fn video_prefix(hash_id: &HashId) -> ObjectPath {
    ObjectPath::from(format!("videos/{}", hash_id.as_str()))
}

/// Size and version of a stored object, for `Content-Length`, ranges and `ETag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub e_tag: Option<String>,
}

/// Read size when streaming a local file.
const LOCAL_READ_BLOCK: usize = 256 * 1024;

/// Multipart part size for remote stores (S3's minimum is 5 MiB).
const PART_BYTES: usize = 8 << 20;
/// Parts of one upload in flight at once, besides the one being filled.
const PARTS_IN_FLIGHT: usize = 2;
/// Uploads into a remote store at once; more wait. With the two above this bounds the memory
/// all remote uploads hold to `REMOTE_UPLOADS × (PARTS_IN_FLIGHT + 1) × PART_BYTES` (96 MiB).
const REMOTE_UPLOADS: usize = 4;

/// A stream of an object's bytes (or a range of them).
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

#[derive(Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
    /// Set when the store is a local directory: enables the rename fast path.
    local: Option<Arc<LocalFileSystem>>,
    /// Set on S3: playback links are presigned GETs.
    presigner: Option<Presigner>,
    /// Slots for uploads into a remote store (see [`REMOTE_UPLOADS`]).
    remote_uploads: Arc<Semaphore>,
    staging_dir: PathBuf,
}

impl MediaStore {
    /// A store in `root` on local disk; uploads stage in `staging_dir`, which must be on the
    /// same filesystem.
    pub fn local(root: &Path, staging_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root)?;
        std::fs::create_dir_all(staging_dir)?;
        let local = Arc::new(LocalFileSystem::new_with_prefix(root)?);
        Ok(Self {
            objects: local.clone(),
            local: Some(local),
            presigner: None,
            remote_uploads: Arc::new(Semaphore::new(REMOTE_UPLOADS)),
            staging_dir: staging_dir.to_owned(),
        })
    }

    /// A store in an S3 bucket; uploads stage in `staging_dir` first.
    pub fn s3(settings: &S3Settings, staging_dir: &Path) -> Result<Self, StoreError> {
        let s3 = settings.connect()?;
        let mut store = Self::remote(s3.clone(), staging_dir)?;
        store.presigner = Some(Presigner::new(s3));
        Ok(store)
    }

    /// A store backed by any object store (S3, memory); uploads stage in `staging_dir`.
    pub fn remote(objects: Arc<dyn ObjectStore>, staging_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(staging_dir)?;
        Ok(Self {
            objects,
            local: None,
            presigner: None,
            remote_uploads: Arc::new(Semaphore::new(REMOTE_UPLOADS)),
            staging_dir: staging_dir.to_owned(),
        })
    }

    /// Whether playback should redirect to [`Self::presigned_get`] links.
    pub fn presigns(&self) -> bool {
        self.presigner.is_some()
    }

    /// A link that GETs `object` straight from the bucket for `expires_in`; `None` when the
    /// store cannot sign links (local disk: reelshare serves the bytes itself).
    pub async fn presigned_get(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        expires_in: std::time::Duration,
        headers: &ResponseHeaders<'_>,
    ) -> Result<Option<String>, StoreError> {
        match &self.presigner {
            Some(presigner) => Ok(Some(
                presigner
                    .get(&object_key(hash_id, object), expires_in, headers)
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// The origin of [`Self::presigned_get`] links (the bucket's); `None` on local disk.
    pub async fn presigned_origin(&self) -> Result<Option<String>, StoreError> {
        match &self.presigner {
            Some(presigner) => Ok(Some(presigner.origin().await?)),
            None => Ok(None),
        }
    }

    /// A new, empty staging file for an incoming upload.
    pub async fn stage(&self) -> Result<StagedFile, StoreError> {
        Ok(StagedFile::create_in(&self.staging_dir).await?)
    }

    /// Where resumable (tus) uploads keep their partial bytes: local disk, whatever the store.
    pub fn resumable_dir(&self) -> PathBuf {
        self.staging_dir.join("resumable")
    }

    /// The staging directory, where a finished resumable upload moves before it is stored.
    pub fn staging_dir(&self) -> &Path {
        &self.staging_dir
    }

    /// Makes a finished staged file the video's original. Durable when this returns.
    pub async fn put_original(
        &self,
        hash_id: &HashId,
        staged: StagedFile,
    ) -> Result<(), StoreError> {
        let key = object_key(hash_id, MediaObject::Original);
        match &self.local {
            Some(local) => {
                let target = local.path_to_filesystem(&key)?;
                let parent = target.parent().map(Path::to_owned).unwrap_or_default();
                tokio::fs::create_dir_all(&parent).await?;
                tokio::fs::rename(staged.path(), &target).await?;
                staged.into_kept_path()?;
                sync_directory(parent).await?;
            }
            None => self.upload_file(&key, staged.path()).await?,
        }
        Ok(())
    }

    /// Copies a staged file into a remote store as a multipart upload. It runs in its own
    /// task: a caller that goes away (a client hanging up) does not cut it mid-way, and a
    /// failed upload is aborted, so no incomplete multipart upload is left to bill.
    async fn upload_file(&self, key: &ObjectPath, file: &Path) -> Result<(), StoreError> {
        let source = tokio::fs::File::open(file).await?;
        let stream =
            ReaderStream::with_capacity(source, LOCAL_READ_BLOCK).map_err(StoreError::from);
        let store = self.clone();
        let key = key.clone();
        tokio::spawn(async move { store.upload_stream(&key, stream).await })
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
    }

    /// Streams `source` into `object` as a multipart upload (bounded memory, as
    /// [`Self::put_original`] on a remote store); on any error, the source's included, the
    /// upload is aborted and nothing is stored.
    pub async fn put_stream(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        source: impl futures_util::Stream<Item = Result<Bytes, StoreError>> + Unpin,
    ) -> Result<(), StoreError> {
        self.upload_stream(&object_key(hash_id, object), source)
            .await
    }

    /// Writes `source` to `key` as a multipart upload holding at most
    /// `(PARTS_IN_FLIGHT + 1) × PART_BYTES`; on any error the upload is aborted.
    async fn upload_stream(
        &self,
        key: &ObjectPath,
        mut source: impl futures_util::Stream<Item = Result<Bytes, StoreError>> + Unpin,
    ) -> Result<(), StoreError> {
        let _slot = self
            .remote_uploads
            .acquire()
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        let mut upload = object_store::WriteMultipart::new_with_chunk_size(
            self.objects.put_multipart(key).await?,
            PART_BYTES,
        );
        let written = async {
            while let Some(chunk) = source.next().await {
                upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                upload.write(&chunk?);
            }
            Ok::<_, StoreError>(())
        }
        .await;
        match written {
            Ok(()) => {
                upload.finish().await?;
                Ok(())
            }
            Err(error) => {
                // Let the parts in flight land (or fail) before aborting: cancelling their
                // requests does not stop the server, and S3 may keep a part that arrives
                // after the abort (its documentation says so; s3s-fs did, 1 CI run in ~40).
                let _ = upload.wait_for_capacity(0).await;
                if let Err(abort) = upload.abort().await {
                    tracing::warn!(%key, %abort, "could not abort a failed multipart upload");
                }
                Err(error)
            }
        }
    }

    /// Moves a finished local file (in the staging directory's filesystem) into place as
    /// `object`. Durable when this returns.
    pub async fn put_file(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        file: &Path,
    ) -> Result<(), StoreError> {
        let key = object_key(hash_id, object);
        match &self.local {
            Some(local) => {
                let target = local.path_to_filesystem(&key)?;
                let parent = target.parent().map(Path::to_owned).unwrap_or_default();
                tokio::fs::create_dir_all(&parent).await?;
                tokio::fs::rename(file, &target).await?;
                sync_directory(parent).await?;
            }
            None => self.upload_file(&key, file).await?,
        }
        Ok(())
    }

    /// The MP4 to serve for playback: the faststart copy when there is one, else the original.
    pub async fn playable_mp4(&self, hash_id: &HashId) -> Result<MediaObject, StoreError> {
        match self
            .objects
            .head(&object_key(hash_id, MediaObject::Faststart))
            .await
        {
            Ok(_) => Ok(MediaObject::Faststart),
            Err(object_store::Error::NotFound { .. }) => Ok(MediaObject::Original),
            Err(other) => Err(other.into()),
        }
    }

    /// A new empty directory in the staging area for files made from an upload (on the same
    /// filesystem, so [`MediaStore::put_file`] renames them); removed on drop.
    pub fn scratch_dir(&self) -> Result<tempfile::TempDir, StoreError> {
        Ok(tempfile::Builder::new()
            .prefix(crate::staging::SCRATCH_PREFIX)
            .tempdir_in(&self.staging_dir)?)
    }

    pub async fn put_bytes(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        let key = object_key(hash_id, object);
        self.objects.put(&key, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get_bytes(
        &self,
        hash_id: &HashId,
        object: MediaObject,
    ) -> Result<Bytes, StoreError> {
        let key = object_key(hash_id, object);
        Ok(self.objects.get(&key).await?.bytes().await?)
    }

    /// Bytes `range` of the object, in memory (for small parts of objects).
    pub async fn get_range(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        range: Range<u64>,
    ) -> Result<Bytes, StoreError> {
        let key = object_key(hash_id, object);
        Ok(self.objects.get_range(&key, range).await?)
    }

    pub async fn info(
        &self,
        hash_id: &HashId,
        object: MediaObject,
    ) -> Result<ObjectInfo, StoreError> {
        let meta = self.objects.head(&object_key(hash_id, object)).await?;
        Ok(ObjectInfo {
            size: meta.size,
            e_tag: meta.e_tag,
        })
    }

    /// Streams the object, or `range` of it (a half-open byte range within its size).
    pub async fn open(
        &self,
        hash_id: &HashId,
        object: MediaObject,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .objects
            .get_opts(&object_key(hash_id, object), options)
            .await?;
        let byte_range = result.range.clone();
        match result.payload {
            // object_store streams local files 8 KiB per blocking read; players pull
            // megabytes, so read local files in larger blocks here.
            GetResultPayload::File(file, _) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(byte_range.start))
                    .await?;
                let body = file.take(byte_range.end - byte_range.start);
                let stream = ReaderStream::with_capacity(body, LOCAL_READ_BLOCK);
                Ok(stream.map_err(StoreError::from).boxed())
            }
            GetResultPayload::Stream(stream) => Ok(stream.map_err(StoreError::from).boxed()),
        }
    }

    /// A local path holding the original, for the media pipeline. For a local store that is
    /// the stored file itself; for a remote one a temporary download, deleted on drop.
    pub async fn local_original(&self, hash_id: &HashId) -> Result<LocalCopy, StoreError> {
        let key = object_key(hash_id, MediaObject::Original);
        if let Some(local) = &self.local {
            let path = local.path_to_filesystem(&key)?;
            tokio::fs::metadata(&path)
                .await
                .map_err(|_| StoreError::NotFound)?;
            return Ok(LocalCopy::Stored(path));
        }
        let mut staged = self.stage().await?;
        let mut stream = self.objects.get(&key).await?.into_stream();
        while let Some(chunk) = stream.next().await {
            staged.write(chunk?).await?;
        }
        staged.finish().await?;
        Ok(LocalCopy::Downloaded(staged))
    }

    /// Every video that has stored objects, with the time its newest object was written.
    pub async fn stored_videos(&self) -> Result<Vec<(HashId, i64)>, StoreError> {
        let mut newest = std::collections::HashMap::<String, i64>::new();
        let mut listing = self.objects.list(Some(&ObjectPath::from("videos")));
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let Some(hash_id) = meta.location.parts().nth(1) else {
                continue;
            };
            let written = meta.last_modified.timestamp_micros();
            let entry = newest.entry(hash_id.as_ref().to_owned()).or_insert(written);
            *entry = (*entry).max(written);
        }
        Ok(newest
            .into_iter()
            .filter_map(|(raw, written)| Some((HashId::parse(&raw).ok()?, written)))
            .collect())
    }

    /// Every object key under `videos/`, sorted (what `reelshare gc` and tests look at).
    pub async fn keys(&self) -> Result<Vec<String>, StoreError> {
        let mut keys: Vec<String> = self
            .objects
            .list(Some(&ObjectPath::from("videos")))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await?;
        keys.sort();
        Ok(keys)
    }

    /// Whether the video's original is stored.
    pub async fn has_original(&self, hash_id: &HashId) -> Result<bool, StoreError> {
        match self.info(hash_id, MediaObject::Original).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Whether storage answers: a metadata request for a key that need not exist (a missing
    /// object is an answer; an unreachable store, refused credentials or an unreadable
    /// directory are not). Costs one `HEAD` on S3, one `stat` on disk.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self.objects.head(&ObjectPath::from("health/ping")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Deletes every object of a video (whatever was made from it: renditions, segments);
    /// objects already gone are fine.
    pub async fn delete_all(&self, hash_id: &HashId) -> Result<(), StoreError> {
        let prefix = video_prefix(hash_id);
        let keys: Vec<ObjectPath> = self
            .objects
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for key in keys {
            match self.objects.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        if let Some(local) = &self.local
            && let Ok(dir) = local.path_to_filesystem(&prefix)
        {
            // LocalFileSystem leaves the emptied directories behind; only empty ones go.
            remove_empty_dirs(dir).await;
        }
        Ok(())
    }
}

/// Removes `dir` and its subdirectories, deepest first, where they are empty.
async fn remove_empty_dirs(dir: PathBuf) {
    let _ = tokio::task::spawn_blocking(move || {
        fn walk(dir: &Path) {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        walk(&entry.path());
                    }
                }
            }
            let _ = std::fs::remove_dir(dir);
        }
        walk(&dir);
    })
    .await;
}

/// A local file holding a video's original for processing.
pub enum LocalCopy {
    Stored(PathBuf),
    Downloaded(StagedFile),
}

impl LocalCopy {
    pub fn path(&self) -> &Path {
        match self {
            Self::Stored(path) => path,
            Self::Downloaded(staged) => staged.path(),
        }
    }
}

async fn sync_directory(dir: PathBuf) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}
