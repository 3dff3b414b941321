//! How timestamps are written on the wire: the Creator API's `YYYY-MM-DD HH:MM:SS` (UTC) and
//! the Video API's ISO 8601.

use domain::video::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

fn datetime(at: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.as_micros()) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2025-08-30 08:49:38`, UTC, whole seconds.
pub fn creator_api(at: Timestamp) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    datetime(at).format(&format).unwrap_or_default()
}

/// `2025-08-30T08:49:38.123456Z`.
pub fn iso8601(at: Timestamp) -> String {
    datetime(at).format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creator_api_times_are_utc_without_fractions() {
        let at = Timestamp::from_micros(1_756_543_778_123_456);
        assert_eq!(creator_api(at), "2025-08-30 08:49:38");
        assert_eq!(iso8601(at), "2025-08-30T08:49:38.123456Z");
    }
}
