//! `OPTIONS /tus/`: what the server supports (version, extensions, maximum size, checksum
//! algorithms). The CORS layer answers every `OPTIONS` request as a preflight before routing,
//! so this middleware sits outside it and adds the tus headers to that answer for tus paths:
//! one response serves both a browser's preflight and a tus client's discovery.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::protocol::{
    CHECKSUM_ALGORITHMS, EXTENSIONS, TUS_CHECKSUM_ALGORITHM, TUS_EXTENSION, TUS_MAX_SIZE,
    TUS_RESUMABLE, TUS_VERSION, VERSION,
};
use crate::state::AppState;

fn is_tus_path(path: &str) -> bool {
    path == "/tus" || path.starts_with("/tus/")
}

pub async fn answer_options(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let discovery = request.method() == Method::OPTIONS && is_tus_path(request.uri().path());
    let mut response = next.run(request).await;
    if discovery {
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(TUS_RESUMABLE, HeaderValue::from_static(VERSION));
        headers.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
        headers.insert(TUS_EXTENSION, HeaderValue::from_static(EXTENSIONS));
        headers.insert(
            TUS_MAX_SIZE,
            HeaderValue::from(state.settings.max_upload_bytes),
        );
        headers.insert(
            TUS_CHECKSUM_ALGORITHM,
            HeaderValue::from_static(CHECKSUM_ALGORITHMS),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tus_paths_are_tus_paths() {
        assert!(is_tus_path("/tus"));
        assert!(is_tus_path("/tus/"));
        assert!(is_tus_path("/tus/abcdabcdabcdabcd"));
        assert!(!is_tus_path("/tusk"));
        assert!(!is_tus_path("/video/tus/"));
    }
}
