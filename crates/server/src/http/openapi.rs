//! The OpenAPI document at `/openapi.json` and the interactive page at `/docs` (Swagger UI,
//! built into the binary: nothing is fetched at build or run time). It covers the Video API,
//! the accounts and the engagement endpoints, described next to their handlers, and the
//! Creator API, whose operations are described here so that surface's files stay free of
//! documentation concerns.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, Tag};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;
use crate::video_api;

pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", document()))
}

/// The whole document: every surface's part, the bearer scheme and the tags.
pub fn document() -> OpenApi {
    let mut doc = video_api::openapi();
    doc.merge(<creator_api_doc::CreatorApiDoc as utoipa::OpenApi>::openapi());
    doc.info = InfoBuilder::new()
        .title("reelshare")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A self-hostable short-video platform. Two API surfaces over one domain: the Video \
             API (string ids, FastAPI-shaped errors) and the Creator API (integer ids, \
             `{\"error\": …}` errors). Send `Authorization: Bearer <token>` from `/auth/login`.",
        ))
        .build();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    doc.tags = Some(vec![
        tag("video", "The Video API"),
        tag("auth", "Accounts and bearer tokens"),
        tag(
            "engagement",
            "Views, likes, comments, shares, follows, reports, moderation and earnings",
        ),
        tag("creator", "The Creator API"),
    ]);
    doc
}

fn tag(name: &str, description: &str) -> Tag {
    let mut tag = Tag::new(name);
    tag.description = Some(description.to_owned());
    tag
}

/// The Creator API's operations. The functions carry only documentation (the handlers are in
/// `creator_api`); they are never routed or called.
#[allow(dead_code)]
mod creator_api_doc {
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(paths(
        health,
        upload_video,
        get_creator_data,
        get_creator_by_name,
        list_creators,
        get_video,
        get_video_thumbnail,
        get_video_data,
        get_all_videos_data,
        get_all_videos_thumbnails
    ))]
    pub struct CreatorApiDoc;

    /// The original service's liveness check (not in the seed; its mobile app calls it).
    #[utoipa::path(get, path = "/health", tag = "creator",
        responses(
            (status = 200, description = "`{\"ok\": true}`"),
            (status = 503, description = "`{\"ok\": false, \"error\": …}`: the database or media storage does not answer"),
        ))]
    fn health() {}

    /// Upload a video; it is listed at once under `title`.
    #[utoipa::path(post, path = "/upload-video", tag = "creator",
        request_body(content_type = "multipart/form-data",
            description = "Fields `creator_id` (integer), `title` (1–150 characters) and `file` (the video)."),
        responses(
            (status = 201, description = "`{\"ok\": true, \"video_id\": N}`"),
            (status = 400, description = "Missing or malformed field"),
            (status = 401, description = "No token while anonymous uploads are off (the default)"),
            (status = 403, description = "The token is not `creator_id`'s"),
            (status = 404, description = "Unknown creator"),
            (status = 408, description = "The file arrived too slowly"),
            (status = 413, description = "Over the size limit"),
            (status = 415, description = "Not a video, or an unsupported type"),
            (status = 422, description = "A corrupted video"),
            (status = 429, description = "Too many uploads from this client or for this creator; see `Retry-After`"),
        ))]
    fn upload_video() {}

    /// A creator's name, follower counts and total likes.
    #[utoipa::path(get, path = "/get-creator-data", tag = "creator",
        params(("creator_id" = i64, Query)),
        responses(
            (status = 200, description = "`{creator_id, followers, following, likes, name}`"),
            (status = 400, description = "Missing or non-integer id"),
            (status = 404, description = "Unknown creator"),
        ))]
    fn get_creator_data() {}

    /// A creator found by display name, as `/get-creator-data` gives it (the original
    /// service's route; not in the seed). Names are not unique: the lowest `creator_id` with
    /// exactly this name (case included, surrounding spaces ignored) wins.
    #[utoipa::path(get, path = "/get-creator-by-name", tag = "creator",
        params(("name" = String, Query, description = "The display name, e.g. `John Doe`")),
        responses(
            (status = 200, description = "`{creator_id, followers, following, likes, name}`"),
            (status = 400, description = "`{\"error\": \"name is required\"}`"),
            (status = 404, description = "`{\"error\": \"not found\"}`"),
        ))]
    fn get_creator_by_name() {}

    /// Creators in `creator_id` order, a page at a time, each as `/get-creator-data` gives it
    /// (the original service's route; not in the seed). The next page starts `after` the last
    /// `creator_id` of this one; a page shorter than `limit` is the last.
    #[utoipa::path(get, path = "/list-creators", tag = "creator",
        params(
            ("limit" = Option<u32>, Query, description = "Rows in the page: 1 to 1000, default 100"),
            ("after" = Option<i64>, Query, description = "Start after this creator_id (default 0: from the first)"),
        ),
        responses(
            (status = 200, description = "`[{creator_id, followers, following, likes, name}, …]`"),
            (status = 400, description = "`limit` or `after` is not a valid integer: `{\"error\": …}`"),
        ))]
    fn list_creators() {}

    /// The video's bytes, with HTTP ranges and ETags.
    #[utoipa::path(get, path = "/get-video", tag = "creator",
        params(("video_id" = i64, Query)),
        responses(
            (status = 400, description = "Missing or invalid `video_id`: `{\"error\": …}`"),
            (status = 200, description = "The video"),
            (status = 206, description = "A byte range of it"),
            (status = 404, description = "Unknown, or not visible to the caller"),
        ))]
    fn get_video() {}

    /// The video's thumbnail (JPEG, fits within 720×1280).
    #[utoipa::path(get, path = "/get-video-thumbnail", tag = "creator",
        params(("video_id" = i64, Query)),
        responses(
            (status = 400, description = "Missing or invalid `video_id`: `{\"error\": …}`"),
            (status = 200, description = "image/jpeg"),
            (status = 404, description = "Unknown, or not visible to the caller"),
        ))]
    fn get_video_thumbnail() {}

    /// One video's metrics, quality score and projected earnings.
    #[utoipa::path(get, path = "/get-video-data", tag = "creator",
        params(("video_id" = i64, Query)),
        responses(
            (status = 400, description = "Missing or invalid `video_id`: `{\"error\": …}`"),
            (status = 200, description = "A row of the video table"),
            (status = 404, description = "Unknown, or not visible to the caller"),
        ))]
    fn get_video_data() {}

    /// Every video of a creator the caller may see, with its data.
    #[utoipa::path(get, path = "/get-all-videos-data", tag = "creator",
        params(("creator_id" = i64, Query)),
        responses(
            (status = 400, description = "Missing or invalid `creator_id`: `{\"error\": …}`"),
            (status = 200, description = "An array of video rows"),
            (status = 404, description = "Unknown creator"),
        ))]
    fn get_all_videos_data() {}

    /// Every thumbnail of a creator's videos the caller may see, as data URIs.
    #[utoipa::path(get, path = "/get-all-videos-thumbnails", tag = "creator",
        params(("creator_id" = i64, Query)),
        responses(
            (status = 400, description = "Missing or invalid `creator_id`: `{\"error\": …}`"),
            (status = 200, description = "`{images: [{content_type, data_uri, video_id}], ok}`"),
            (status = 404, description = "Unknown creator"),
        ))]
    fn get_all_videos_thumbnails() {}
}
