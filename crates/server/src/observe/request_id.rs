//! Every request has an id: the client's (or a proxy's) `x-request-id` when it is sane (1 to
//! [`MAX_LEN`] visible ASCII characters), else a new random one. It is set on the request
//! before the request's log span is made (so every log line of the request names it) and
//! copied onto the response. An id that is too long or holds control characters is replaced,
//! never logged, so a client cannot forge log lines or bloat them.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

pub const HEADER: &str = "x-request-id";
/// Longest id taken from a request.
pub const MAX_LEN: usize = 128;

/// Whether `id` may be used as given.
pub fn acceptable(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A new id: 16 random bytes in hex.
pub fn generate() -> HeaderValue {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&hex).expect("hex is a valid header value")
}

/// The middleware: outermost, so the request span and every response (errors included)
/// see the id.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = match request.headers().get(HEADER) {
        Some(given) if acceptable(given.as_bytes()) => given.clone(),
        _ => generate(),
    };
    request.headers_mut().insert(HEADER, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(HEADER, id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_refused() {
        assert!(acceptable(b"abc-123_X.Y"));
        assert!(acceptable(&[b'a'; MAX_LEN]));
        assert!(!acceptable(&[b'a'; MAX_LEN + 1]));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"with space"));
        assert!(!acceptable(b"line\nbreak"));
        assert!(!acceptable("é".as_bytes()));
        assert!(acceptable(generate().as_bytes()));
        assert_ne!(generate(), generate());
    }
}
