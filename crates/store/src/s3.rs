//! Media on any S3-compatible object store: the connection settings (with a secret that never
//! prints), building `object_store`'s `AmazonS3` from them, and presigned GET links, so media
//! bytes go from the bucket to the viewer without passing through reelshare.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::signer::{Method, SignedUrlOptions, Signer};

use crate::StoreError;

/// The longest a presigned link may live (SigV4 refuses more than seven days).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// A credential: kept, handed to the S3 client, and otherwise never shown (`Debug` and
/// `Display` print `[redacted]`).
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (the S3 client).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a bucket is and how to sign for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `https://…` (or `http://` for a server on this machine); `None`: AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    /// Both or neither; neither: the environment's AWS credentials chain (instance role…).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    pub path_style: bool,
}

impl S3Settings {
    /// The S3 client for these settings.
    pub fn connect(&self) -> Result<Arc<AmazonS3>, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(!self.path_style);
        if let Some(endpoint) = &self.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(key), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            builder = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret.expose());
        }
        Ok(Arc::new(builder.build()?))
    }
}

/// Signs GET links for objects of one bucket.
#[derive(Debug, Clone)]
pub struct Presigner {
    s3: Arc<AmazonS3>,
}

impl Presigner {
    pub fn new(s3: Arc<AmazonS3>) -> Self {
        Self { s3 }
    }

    /// A GET link for `key` valid for `expires_in` (at least a second, at most [`MAX_PRESIGN`]),
    /// the bucket told (signed `response-content-type` / `response-content-disposition`) which
    /// `Content-Type` and `Content-Disposition` to answer with.
    pub async fn get(
        &self,
        key: &ObjectPath,
        expires_in: Duration,
        headers: &ResponseHeaders<'_>,
    ) -> Result<String, StoreError> {
        let expires_in = expires_in.clamp(Duration::from_secs(1), MAX_PRESIGN);
        let options = SignedUrlOptions::new().with_query([
            ("response-content-type", headers.content_type),
            ("response-content-disposition", headers.content_disposition),
        ]);
        let url = self
            .s3
            .signed_url_opts(Method::GET, key, expires_in, &options)
            .await?;
        Ok(url.to_string())
    }

    /// The origin (`scheme://host[:port]`) of the links [`Self::get`] makes, taken from a link
    /// signed the same way (no request is sent): web pages that play such links must allow
    /// it in their Content-Security-Policy.
    pub async fn origin(&self) -> Result<String, StoreError> {
        let url = self
            .s3
            .signed_url_opts(
                Method::GET,
                &ObjectPath::from("origin"),
                Duration::from_secs(60),
                &SignedUrlOptions::new(),
            )
            .await?;
        Ok(url.origin().ascii_serialization())
    }
}

/// The headers a presigned GET's answer must carry.
#[derive(Debug, Clone, Copy)]
pub struct ResponseHeaders<'a> {
    pub content_type: &'a str,
    pub content_disposition: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let settings = S3Settings {
            endpoint: Some("http://127.0.0.1:9000".into()),
            bucket: "media".into(),
            region: "us-east-1".into(),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some(Secret::new("very-secret-value")),
            path_style: true,
        };
        let printed = format!("{settings:?} {}", Secret::new("very-secret-value"));
        assert!(!printed.contains("very-secret-value"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }
}
