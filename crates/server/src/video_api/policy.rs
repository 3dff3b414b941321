//! The signed upload policy: what `GET /video/upload/` allows one form post to
//! [`UPLOAD_FORM_PATH`](super::links::UPLOAD_FORM_PATH) to do, with the same contract as an S3
//! presigned POST. The policy (who uploads, the new `hash_id`, the file name, the content type,
//! the size limit and the expiry) travels as base64url JSON in the `policy` field next to its
//! HMAC in `signature`; the form also repeats `key` (the hash id) and `Content-Type`, which must
//! agree with the policy. Everything is checked before a byte of the file is read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::video::Timestamp;
use serde::{Deserialize, Serialize};

use crate::http::signing::Signer;

/// The form fields a client must send, in order, before `file`.
pub const KEY_FIELD: &str = "key";
pub const CONTENT_TYPE_FIELD: &str = "Content-Type";
pub const POLICY_FIELD: &str = "policy";
pub const SIGNATURE_FIELD: &str = "signature";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadPolicy {
    /// The uploader's public user id.
    pub user_id: String,
    pub hash_id: String,
    pub file_name: String,
    pub content_type: String,
    pub max_size_in_bytes: u64,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the upload policy's signature does not match")]
    BadSignature,
    #[error("the upload policy has expired")]
    Expired,
    #[error("the form does not match its upload policy")]
    Mismatch,
}

impl UploadPolicy {
    /// The policy's encoded form and its signature.
    pub fn sign(&self, signer: &Signer) -> (String, String) {
        let encoded = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("plain JSON"));
        let signature = signer.sign(&["POST", super::links::UPLOAD_FORM_PATH, &encoded]);
        (encoded, signature)
    }

    /// Checks the signature, the expiry and that the repeated fields agree with the policy.
    pub fn verify(
        signer: &Signer,
        encoded: &str,
        signature: &str,
        key: &str,
        content_type: &str,
        now: Timestamp,
    ) -> Result<Self, PolicyError> {
        if !signer.verify(
            &["POST", super::links::UPLOAD_FORM_PATH, encoded],
            signature,
        ) {
            return Err(PolicyError::BadSignature);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| PolicyError::BadSignature)?;
        let policy: Self = serde_json::from_slice(&bytes).map_err(|_| PolicyError::BadSignature)?;
        if now.as_seconds() >= policy.expires_at {
            return Err(PolicyError::Expired);
        }
        if policy.hash_id != key || policy.content_type != content_type {
            return Err(PolicyError::Mismatch);
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> UploadPolicy {
        UploadPolicy {
            user_id: "uuuuuuuuuuuuuuuu".into(),
            hash_id: "hhhhhhhhhhhhhhhh".into(),
            file_name: "a.mp4".into(),
            content_type: "video/mp4".into(),
            max_size_in_bytes: 10,
            expires_at: 100,
        }
    }

    #[test]
    fn a_signed_policy_verifies_until_it_expires() {
        let signer = Signer::new(vec![9; 32]);
        let (encoded, signature) = policy().sign(&signer);
        let at = |s: i64| Timestamp::from_micros(s * 1_000_000);
        let check = |key: &str, ct: &str, now| {
            UploadPolicy::verify(&signer, &encoded, &signature, key, ct, now)
        };
        assert_eq!(check("hhhhhhhhhhhhhhhh", "video/mp4", at(99)), Ok(policy()));
        assert_eq!(
            check("hhhhhhhhhhhhhhhh", "video/mp4", at(100)),
            Err(PolicyError::Expired)
        );
        assert_eq!(
            check("xhhhhhhhhhhhhhhh", "video/mp4", at(99)),
            Err(PolicyError::Mismatch)
        );
        assert_eq!(
            check("hhhhhhhhhhhhhhhh", "video/ogg", at(99)),
            Err(PolicyError::Mismatch)
        );
    }

    #[test]
    fn an_altered_policy_is_refused() {
        let signer = Signer::new(vec![9; 32]);
        let (_, signature) = policy().sign(&signer);
        let mut bigger = policy();
        bigger.max_size_in_bytes = 1 << 40;
        let (forged, _) = bigger.sign(&Signer::new(vec![1; 32]));
        let now = Timestamp::from_micros(0);
        assert_eq!(
            UploadPolicy::verify(
                &signer,
                &forged,
                &signature,
                "hhhhhhhhhhhhhhhh",
                "video/mp4",
                now
            ),
            Err(PolicyError::BadSignature)
        );
    }

    proptest::proptest! {
        // Fuzzing the form's policy check: mutated policies, signatures and fields are refused
        // (or, unchanged, accepted); never a panic, never a policy the server did not sign.
        #[test]
        fn a_mutated_policy_or_signature_never_verifies_as_something_else(
            flips in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>()), 1..6),
            in_signature in proptest::prelude::any::<bool>(),
            junk in proptest::prelude::any::<String>(),
        ) {
            let signer = Signer::new(vec![9; 32]);
            let (encoded, signature) = policy().sign(&signer);
            let now = Timestamp::from_micros(0);
            let mut target = if in_signature { signature.clone() } else { encoded.clone() }
                .into_bytes();
            for (at, value) in flips {
                let at = at % target.len();
                target[at] = value;
            }
            let target = String::from_utf8_lossy(&target).into_owned();
            let (p, s) = if in_signature {
                (encoded.as_str(), target.as_str())
            } else {
                (target.as_str(), signature.as_str())
            };
            if let Ok(found) =
                UploadPolicy::verify(&signer, p, s, "hhhhhhhhhhhhhhhh", "video/mp4", now)
            {
                proptest::prop_assert_eq!(found, policy());
            }
            let junk_check =
                UploadPolicy::verify(&signer, &junk, &junk, "hhhhhhhhhhhhhhhh", "video/mp4", now);
            proptest::prop_assert!(junk_check.is_err());
        }
    }
}
