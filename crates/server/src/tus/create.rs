//! `POST /tus/`: creating an upload (the creation extension), optionally with its first bytes
//! (creation-with-upload). The declared `Upload-Length` must be within `max_upload_bytes`
//! (else 413 before anything is stored), the metadata must name the file, an account may have
//! at most `tus_max_open_uploads` unfinished uploads (429), and creations are rate-limited like
//! the other uploads. When first bytes were sent but not all kept (cut off, checksum mismatch),
//! the upload still exists: 201 with the offset reached, as the extension asks. The row is written before the file, so a file without a row is always
//! dead (the sweep removes it).

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ids::UploadId;
use rand::RngCore;
use store::resumable;
use store::tus_uploads::{self, TusUpload};

use super::error::TusError;
use super::protocol::{
    self, Checksum, UPLOAD_DEFER_LENGTH, UPLOAD_EXPIRES, UPLOAD_LENGTH, UPLOAD_METADATA,
    UPLOAD_OFFSET, UploadMetadata,
};
use super::receive::{self, Incoming};
use super::resource;
use crate::http::auth;
use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::settings::Settings;
use crate::state::AppState;
use crate::video_api::links::Links;

fn new_upload_id() -> UploadId {
    let mut raw = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut raw);
    UploadId::parse(&URL_SAFE_NO_PAD.encode(raw)).expect("16 base64url characters")
}

/// What a creation request asks for, checked before anything is stored.
struct Creation {
    length: u64,
    /// `Upload-Metadata` as sent (checked).
    metadata: String,
    /// Whether first bytes come with it (creation-with-upload).
    with_bytes: bool,
    checksum: Option<Checksum>,
    declared: Option<u64>,
}

impl Creation {
    fn parse(headers: &HeaderMap, settings: &Settings) -> Result<Self, TusError> {
        if headers.contains_key(UPLOAD_DEFER_LENGTH) {
            return Err(TusError::BadRequest(
                "Upload-Defer-Length is not supported: send Upload-Length".into(),
            ));
        }
        let length = protocol::number(headers, &UPLOAD_LENGTH)?
            .ok_or_else(|| TusError::BadRequest("Upload-Length is required".into()))?;
        let limit = settings.max_upload_bytes;
        if length > limit {
            return Err(TusError::TooLarge(format!(
                "Upload-Length is over the maximum size of {limit} bytes"
            )));
        }
        let metadata = match headers.get(UPLOAD_METADATA) {
            Some(value) => value
                .to_str()
                .map_err(|_| TusError::BadRequest("Upload-Metadata must be ASCII".into()))?
                .to_owned(),
            None => String::new(),
        };
        let parsed = UploadMetadata::parse(&metadata).map_err(TusError::BadRequest)?;
        if let Some(file_type) = &parsed.file_type
            && !settings.valid_file_types.contains(file_type)
        {
            return Err(TusError::UnsupportedMediaType(format!(
                "filetype {file_type} is not one of {}",
                settings.valid_file_types.join(", ")
            )));
        }
        let with_bytes = protocol::carries_upload_bytes(headers);
        let (checksum, declared) = if with_bytes {
            (
                Checksum::from_headers(headers)?,
                protocol::number(headers, &CONTENT_LENGTH)?,
            )
        } else {
            (None, None)
        };
        if declared.is_some_and(|declared| declared > length) {
            return Err(TusError::TooLarge(
                "the body is longer than Upload-Length".into(),
            ));
        }
        Ok(Self {
            length,
            metadata,
            with_bytes,
            checksum,
            declared,
        })
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TusError> {
    protocol::check_version(&headers)?;
    let caller = auth::required_account(&state, &headers).await?;
    state.rate_limits.check_ip(Action::Upload, ip)?;
    state
        .rate_limits
        .check_account(Action::Upload, &caller.id.to_string())?;
    let creation = Creation::parse(&headers, &state.settings)?;
    let now = state.clock.now();
    let open = tus_uploads::count_open(state.pool(), caller.id, now).await?;
    if open >= state.settings.tus_max_open_uploads {
        return Err(TusError::TooManyOpen(state.settings.tus_max_open_uploads));
    }

    let upload = TusUpload {
        id: new_upload_id(),
        owner: caller.id,
        length: creation.length,
        offset: 0,
        metadata: creation.metadata,
        created_at: now,
        expires_at: receive::expiry(&state),
    };
    tus_uploads::insert(state.pool(), &upload).await?;
    resumable::create(&state.media.resumable_dir(), &upload.id).await?;
    tracing::info!(upload_id = %upload.id, length = upload.length, "resumable upload created");

    let location = Links::for_request(&state, &headers).absolute(&format!("/tus/{}", upload.id));
    let mut response = if creation.with_bytes || upload.length == 0 {
        let incoming = Incoming {
            body,
            declared: creation.declared,
            checksum: creation.checksum,
        };
        first_bytes(&state, &upload, incoming).await?
    } else {
        let mut response = StatusCode::CREATED.into_response();
        response
            .headers_mut()
            .insert(UPLOAD_EXPIRES, protocol::http_date(upload.expires_at));
        response
    };
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// creation-with-upload: the new upload's first bytes (an empty upload is complete at once).
async fn first_bytes(
    state: &AppState,
    upload: &TusUpload,
    incoming: Incoming,
) -> Result<Response, TusError> {
    let (upload, mut file) = resource::lock(state, upload).await?;
    match receive::receive(state, &upload, &mut file, incoming).await {
        Ok(offset) => resource::written(state, &upload, file, offset).await,
        // The upload exists even though its first bytes did not all make it: the client
        // learns where it is and how far it got, and resumes.
        Err(error) if error.is_transfer_failure() => {
            tracing::info!(upload_id = %upload.id, %error, "first bytes of a new upload refused");
            let mut response = StatusCode::CREATED.into_response();
            let out = response.headers_mut();
            out.insert(UPLOAD_OFFSET, HeaderValue::from(file.len()));
            out.insert(UPLOAD_EXPIRES, protocol::http_date(receive::expiry(state)));
            Ok(response)
        }
        Err(error) => Err(error),
    }
}
