//! The tus 1.0 wire format: the protocol's headers and what their values may be, parsed into
//! typed values ([`UploadMetadata`], [`Checksum`]) before a handler acts on them. No I/O.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::text::{Description, FileName, Title};
use domain::video::Timestamp;

use super::error::TusError;

pub const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
pub const TUS_VERSION: HeaderName = HeaderName::from_static("tus-version");
pub const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
pub const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
pub const TUS_CHECKSUM_ALGORITHM: HeaderName = HeaderName::from_static("tus-checksum-algorithm");
pub const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
pub const UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");
pub const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
pub const UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");
/// reelshare's own: on the response that completes an upload, the new video's `hash_id`.
pub const REELSHARE_VIDEO_ID: HeaderName = HeaderName::from_static("reelshare-video-id");

/// The one protocol version served.
pub const VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
pub const CHECKSUM_ALGORITHMS: &str = "sha1,sha256";
/// The content type of every body carrying upload bytes.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Longest `Upload-Metadata` header accepted.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;
/// Longest `filetype` value accepted.
const MAX_FILE_TYPE_BYTES: usize = 100;

/// Every request but `OPTIONS` must say it speaks this version (else 412).
pub fn check_version(headers: &HeaderMap) -> Result<(), TusError> {
    match headers.get(TUS_RESUMABLE) {
        Some(value) if value == VERSION => Ok(()),
        _ => Err(TusError::VersionUnsupported),
    }
}

/// A non-negative integer header (`Upload-Length`, `Upload-Offset`); `None` when absent.
pub fn number(headers: &HeaderMap, name: &HeaderName) -> Result<Option<u64>, TusError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TusError::BadRequest(format!(
            "{name} must be a non-negative integer"
        )));
    }
    text.parse()
        .map(Some)
        .map_err(|_| TusError::BadRequest(format!("{name} is out of range")))
}

/// Whether the body's `Content-Type` is `application/offset+octet-stream`.
pub fn carries_upload_bytes(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

/// What an upload's `Upload-Metadata` says about the video it will become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMetadata {
    pub file_name: FileName,
    /// Given, or taken from the file name.
    pub title: Title,
    pub description: Description,
    /// The client's `filetype`, if it sent one.
    pub file_type: Option<String>,
}

impl UploadMetadata {
    /// Parses `key base64value` pairs separated by commas. `filename` is required; `title`,
    /// `description` and `filetype` are optional and checked by the rules every upload path
    /// uses; other keys (clients add their own) are ignored.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "Upload-Metadata is longer than {MAX_METADATA_BYTES} bytes"
            ));
        }
        let mut file_name = None;
        let mut title = None;
        let mut description = None;
        let mut file_type = None;
        let mut seen = std::collections::HashSet::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = match pair.split_once(' ') {
                Some((key, value)) => (key, value.trim()),
                None => (pair, ""),
            };
            if !seen.insert(key) {
                return Err(format!("Upload-Metadata repeats the key {key:?}"));
            }
            let decoded = STANDARD
                .decode(value)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| format!("Upload-Metadata {key:?} is not base64 of UTF-8 text"))?;
            match key {
                "filename" => {
                    file_name = Some(FileName::parse(&decoded).map_err(|e| e.to_string())?)
                }
                "title" => title = Some(Title::parse(&decoded).map_err(|e| e.to_string())?),
                "description" => {
                    description = Some(Description::parse(&decoded).map_err(|e| e.to_string())?)
                }
                "filetype" => {
                    if decoded.len() > MAX_FILE_TYPE_BYTES {
                        return Err("Upload-Metadata filetype is too long".into());
                    }
                    file_type = Some(decoded.trim().to_ascii_lowercase());
                }
                _ => {}
            }
        }
        let file_name =
            file_name.ok_or_else(|| "Upload-Metadata must name the file (filename)".to_owned())?;
        Ok(Self {
            title: title.unwrap_or_else(|| Title::from_file_name(&file_name)),
            file_name,
            description: description.unwrap_or_default(),
            file_type,
        })
    }
}

/// A running digest of a request's bytes, to compare with its `Upload-Checksum`.
pub struct Checksum {
    digest: Digest,
    expected: Vec<u8>,
}

enum Digest {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Checksum {
    /// Parses `Upload-Checksum: <algorithm> <base64 digest>`; `None` when absent. An
    /// algorithm not in [`CHECKSUM_ALGORITHMS`] is a 400, as the extension says.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, TusError> {
        let Some(value) = headers.get(UPLOAD_CHECKSUM) else {
            return Ok(None);
        };
        let bad = || TusError::BadRequest("Upload-Checksum must be `<algorithm> <base64>`".into());
        let (algorithm, encoded) = value
            .to_str()
            .map_err(|_| bad())?
            .trim()
            .split_once(' ')
            .ok_or_else(bad)?;
        let expected = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
        let digest = match algorithm.to_ascii_lowercase().as_str() {
            "sha1" => Digest::Sha1(sha1::Digest::new()),
            "sha256" => Digest::Sha256(sha2::Digest::new()),
            _ => {
                return Err(TusError::BadRequest(format!(
                    "unsupported checksum algorithm {algorithm:?}; supported: {CHECKSUM_ALGORITHMS}"
                )));
            }
        };
        Ok(Some(Self { digest, expected }))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.digest {
            Digest::Sha1(digest) => sha1::Digest::update(digest, bytes),
            Digest::Sha256(digest) => sha2::Digest::update(digest, bytes),
        }
    }

    pub fn matches(self) -> bool {
        let actual: Vec<u8> = match self.digest {
            Digest::Sha1(digest) => sha1::Digest::finalize(digest).to_vec(),
            Digest::Sha256(digest) => sha2::Digest::finalize(digest).to_vec(),
        };
        actual == self.expected
    }
}

/// An HTTP date (RFC 9110's IMF-fixdate), as `Upload-Expires` is written.
pub fn http_date(at: Timestamp) -> HeaderValue {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let text = time::OffsetDateTime::from_unix_timestamp(at.as_micros().div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&format)
        .unwrap_or_default();
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        STANDARD.encode(text)
    }

    #[test]
    fn metadata_gives_the_file_name_title_and_description() {
        let raw = format!(
            "filename {},title {},description {},filetype {},relativePath",
            b64("clip.mp4"),
            b64("My clip"),
            b64("two\nlines"),
            b64("video/MP4")
        );
        let meta = UploadMetadata::parse(&raw).unwrap();
        assert_eq!(meta.file_name.as_str(), "clip.mp4");
        assert_eq!(meta.title.as_str(), "My clip");
        assert_eq!(meta.description.as_str(), "two\nlines");
        assert_eq!(meta.file_type.as_deref(), Some("video/mp4"));
    }

    #[test]
    fn the_title_defaults_to_the_file_name() {
        let meta = UploadMetadata::parse(&format!("filename {}", b64("a.mp4"))).unwrap();
        assert_eq!(meta.title.as_str(), "a.mp4");
        assert_eq!(meta.description.as_str(), "");
    }

    #[test]
    fn bad_metadata_is_refused() {
        let long_title = b64(&"t".repeat(151));
        for raw in [
            String::new(),
            format!("title {}", b64("no file name")),
            "filename !!!notbase64".to_owned(),
            format!("filename {},filename {}", b64("a"), b64("b")),
            format!("filename {},title {long_title}", b64("a")),
            format!("filename {}", b64("a/b")),
            format!("filename {},x {}", b64("a"), "a".repeat(MAX_METADATA_BYTES)),
        ] {
            assert!(UploadMetadata::parse(&raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn checksums_compare_the_digest_of_the_bytes() {
        let mut headers = HeaderMap::new();
        // sha1("abc")
        headers.insert(
            UPLOAD_CHECKSUM,
            HeaderValue::from_static("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),
        );
        let mut right = Checksum::from_headers(&headers).unwrap().unwrap();
        right.update(b"ab");
        right.update(b"c");
        assert!(right.matches());
        let mut wrong = Checksum::from_headers(&headers).unwrap().unwrap();
        wrong.update(b"abd");
        assert!(!wrong.matches());
        headers.insert(UPLOAD_CHECKSUM, HeaderValue::from_static("md4 AAAA"));
        assert!(Checksum::from_headers(&headers).is_err());
    }

    #[test]
    fn numbers_are_plain_non_negative_integers() {
        let mut headers = HeaderMap::new();
        assert!(matches!(number(&headers, &UPLOAD_LENGTH), Ok(None)));
        for (raw, ok) in [
            ("0", true),
            ("123", true),
            ("-1", false),
            ("+1", false),
            ("1e3", false),
        ] {
            headers.insert(UPLOAD_LENGTH, HeaderValue::from_static(raw));
            assert_eq!(number(&headers, &UPLOAD_LENGTH).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn expiry_dates_are_http_dates() {
        let at = Timestamp::from_micros(1_756_543_778_123_456);
        assert_eq!(http_date(at), "Sat, 30 Aug 2025 08:49:38 GMT");
    }
}
