//! Where media bytes live: an `object_store` (a local directory by default, S3 for scale-out).
//! Objects are keyed by the video's hash id: `videos/<hash_id>/original`, one key per
//! thumbnail size, and what playback needs (`faststart.mp4`, `hls/…`). A local store accepts
//! a staged upload by renaming it into place (atomic, O(1), then the directory is fsynced); a
//! remote store receives it as a multipart upload.

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
use tokio_util::io::ReaderStream;

use crate::StoreError;
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

/// A stream of an object's bytes (or a range of them).
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

#[derive(Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
    /// Set when the store is a local directory: enables the rename fast path.
    local: Option<Arc<LocalFileSystem>>,
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
            staging_dir: staging_dir.to_owned(),
        })
    }

    /// A store backed by any object store (S3, memory); uploads stage in `staging_dir`.
    pub fn remote(objects: Arc<dyn ObjectStore>, staging_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(staging_dir)?;
        Ok(Self {
            objects,
            local: None,
            staging_dir: staging_dir.to_owned(),
        })
    }

    /// A new, empty staging file for an incoming upload.
    pub async fn stage(&self) -> Result<StagedFile, StoreError> {
        Ok(StagedFile::create_in(&self.staging_dir).await?)
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

    async fn upload_file(&self, key: &ObjectPath, file: &Path) -> Result<(), StoreError> {
        use tokio::io::AsyncReadExt;
        const PART: usize = 8 << 20;
        let mut upload = object_store::WriteMultipart::new_with_chunk_size(
            self.objects.put_multipart(key).await?,
            PART,
        );
        let written = async {
            let mut source = tokio::fs::File::open(file).await?;
            let mut buffer = vec![0u8; PART];
            loop {
                let read = source.read(&mut buffer).await?;
                if read == 0 {
                    return Ok::<_, StoreError>(());
                }
                upload.wait_for_capacity(4).await?;
                upload.write(&buffer[..read]);
            }
        }
        .await;
        match written {
            Ok(()) => {
                upload.finish().await?;
                Ok(())
            }
            Err(error) => {
                // A failed write leaves no partial upload behind in the object store.
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
