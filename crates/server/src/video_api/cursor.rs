//! The opaque `next` cursor of the Video API's feeds. It carries the keyset position
//! `(listed_at, id)` of the last video of a page and which feed it belongs to, signed with
//! the server's key: a client can pass it back but not forge, alter or move it to another
//! feed. Anything that does not verify is the original's `{"error": "invalid next page"}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ids::{AccountId, VideoId};
use domain::video::Timestamp;
use store::videos::FeedPosition;

use super::error::VideoApiError;
use crate::http::signing::Signer;

/// Longer than any cursor this module makes.
const MAX_CURSOR_LEN: usize = 200;

/// Which feed a cursor pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Explore,
    User(AccountId),
}

impl Feed {
    fn tag(self) -> String {
        match self {
            Self::Explore => "explore".into(),
            Self::User(owner) => format!("user-{owner}"),
        }
    }
}

pub fn encode(signer: &Signer, feed: Feed, position: FeedPosition) -> String {
    let payload = format!(
        "{}:{}:{}",
        feed.tag(),
        position.listed_at.as_micros(),
        position.id
    );
    let signature = signer.sign(&["next", &payload]);
    format!("{}.{signature}", URL_SAFE_NO_PAD.encode(payload))
}

pub fn decode(signer: &Signer, feed: Feed, cursor: &str) -> Result<FeedPosition, VideoApiError> {
    let invalid = || VideoApiError::InvalidNextPage;
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid());
    }
    let (encoded, signature) = cursor.split_once('.').ok_or_else(invalid)?;
    let payload = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?;
    let payload = String::from_utf8(payload).map_err(|_| invalid())?;
    if !signer.verify(&["next", &payload], signature) {
        return Err(invalid());
    }
    let mut parts = payload.split(':');
    let (Some(tag), Some(at), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if tag != feed.tag() {
        return Err(invalid());
    }
    Ok(FeedPosition {
        listed_at: Timestamp::from_micros(at.parse().map_err(|_| invalid())?),
        id: VideoId::new(id.parse().map_err(|_| invalid())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> FeedPosition {
        FeedPosition {
            listed_at: Timestamp::from_micros(1_700_000_000_000_000),
            id: VideoId::new(42),
        }
    }

    #[test]
    fn a_cursor_round_trips_within_its_feed() {
        let signer = Signer::new(vec![3; 32]);
        let cursor = encode(&signer, Feed::Explore, position());
        assert_eq!(decode(&signer, Feed::Explore, &cursor).unwrap(), position());
    }

    #[test]
    fn a_cursor_is_refused_in_another_feed_or_when_altered() {
        let signer = Signer::new(vec![3; 32]);
        let cursor = encode(&signer, Feed::User(AccountId::new(1)), position());
        assert!(decode(&signer, Feed::User(AccountId::new(2)), &cursor).is_err());
        assert!(decode(&signer, Feed::Explore, &cursor).is_err());
        let (payload, signature) = cursor.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode("user-1:9999999999999999:1");
        assert!(
            decode(
                &signer,
                Feed::User(AccountId::new(1)),
                &format!("{forged}.{signature}")
            )
            .is_err()
        );
        assert!(decode(&signer, Feed::User(AccountId::new(1)), payload).is_err());
        assert!(decode(&signer, Feed::Explore, "garbage").is_err());
        assert!(
            decode(
                &Signer::new(vec![4; 32]),
                Feed::User(AccountId::new(1)),
                &cursor
            )
            .is_err()
        );
    }

    proptest::proptest! {
        // Fuzzing the decoder (run longer with PROPTEST_CASES): any input, printable or not,
        // valid-looking or a mutated real cursor, is either the position it was made from or
        // refused; never a panic, never a position nobody signed.
        #[test]
        fn any_input_is_refused_unless_it_is_a_cursor_this_server_made(
            raw in proptest::prelude::any::<String>(),
            flips in proptest::collection::vec((0usize..64, proptest::prelude::any::<u8>()), 0..4),
            cut in 0usize..80,
        ) {
            let signer = Signer::new(vec![3; 32]);
            let feed = Feed::User(AccountId::new(7));
            proptest::prop_assert!(decode(&signer, feed, &raw).is_err() || raw.is_empty());
            let real = encode(&signer, feed, position());
            let mut bytes = real.clone().into_bytes();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            bytes.truncate(cut.max(1).min(bytes.len()));
            let mutated = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(found) = decode(&signer, feed, &mutated) {
                proptest::prop_assert_eq!(found, position());
            }
        }
    }
}
