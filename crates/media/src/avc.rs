//! Turns MP4's H.264 framing into the Annex B byte stream openh264 decodes: the `avcC`
//! record's SPS/PPS become start-code-prefixed NAL units, and each sample's length-prefixed
//! NAL units get start codes instead of lengths. Pure byte shuffling, no decoding; every
//! length is checked against the buffer so broken input yields `Corrupt`, never a panic.
//! The one thing it reads inside NAL units is the SPS picture size (via `h264_sps`): the
//! record's SPS must agree with itself, and an SPS repeated inside a sample must not change
//! the size the pipeline already checked.

use crate::MediaError;
use crate::h264_sps::{SpsSize, parse_sps};
use crate::limits::sizes_agree;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// The decoder configuration from an `avcC` box.
#[derive(Debug, Clone)]
pub(crate) struct AvcConfig {
    /// Bytes in each NAL length prefix: 1, 2 or 4.
    pub nal_length_size: usize,
    /// SPS and PPS NAL units, already in Annex B form.
    pub parameter_sets_annex_b: Vec<u8>,
    /// The picture size of the record's SPS (all of them agree).
    pub sps: SpsSize,
}

impl AvcConfig {
    /// Parses an `avcC` payload (ISO/IEC 14496-15 §5.3.3.1).
    pub(crate) fn parse(avcc: &[u8]) -> Result<Self, MediaError> {
        let broken = |what: &str| MediaError::Corrupt(format!("avcC record: {what}"));
        if avcc.len() < 7 || avcc[0] != 1 {
            return Err(broken("too short or unknown version"));
        }
        let nal_length_size = usize::from(avcc[4] & 0b11) + 1;
        if nal_length_size == 3 {
            return Err(broken("3-byte NAL lengths are not allowed"));
        }
        let mut reader = ByteReader {
            bytes: avcc,
            pos: 5,
        };
        let mut parameter_sets_annex_b = Vec::new();
        let sps_count = reader.u8().ok_or_else(|| broken("missing SPS count"))? & 0x1F;
        let mut sps: Option<SpsSize> = None;
        for _ in 0..sps_count {
            let nal = read_parameter_set(&mut reader, &mut parameter_sets_annex_b)
                .ok_or_else(|| broken("SPS runs past the record"))?;
            let size = parse_sps(nal).ok_or_else(|| broken("its SPS cannot be read"))?;
            // Two SPS of different sizes in one record: the decoder would pick by id, so
            // the size we check would not be the size it allocates.
            if sps.is_some_and(|first| (first.width, first.height) != (size.width, size.height)) {
                return Err(broken("its SPS disagree about the picture size"));
            }
            sps.get_or_insert(size);
        }
        let pps_count = reader.u8().ok_or_else(|| broken("missing PPS count"))?;
        for _ in 0..pps_count {
            read_parameter_set(&mut reader, &mut parameter_sets_annex_b)
                .ok_or_else(|| broken("PPS runs past the record"))?;
        }
        let sps = match sps {
            Some(sps) if pps_count > 0 => sps,
            _ => return Err(broken("no SPS or no PPS")),
        };
        Ok(Self {
            nal_length_size,
            parameter_sets_annex_b,
            sps,
        })
    }

    /// Checks any SPS repeated inside a sample (encoders may resend it before keyframes):
    /// `Corrupt` when it cannot be read or describes another picture size than the record,
    /// because the decoder would switch to that size and allocate for it. Framing errors are
    /// left to [`Self::sample_to_annex_b`].
    pub(crate) fn check_in_band_sps(&self, sample: &[u8]) -> Result<(), MediaError> {
        let mut pos = 0usize;
        while let Some(prefix) = sample.get(pos..pos + self.nal_length_size) {
            let len = prefix
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            pos += self.nal_length_size;
            let Some(nal) = pos.checked_add(len).and_then(|end| sample.get(pos..end)) else {
                return Ok(());
            };
            if nal.first().is_some_and(|header| header & 0x1F == 7) {
                let expected = (self.sps.width, self.sps.height);
                match parse_sps(nal) {
                    Some(sps) if sizes_agree((sps.width, sps.height), expected) => {}
                    Some(sps) => {
                        return Err(MediaError::Corrupt(format!(
                            "an SPS inside the video changes the picture size from {}×{} to {}×{}",
                            expected.0, expected.1, sps.width, sps.height
                        )));
                    }
                    None => {
                        return Err(MediaError::Corrupt(
                            "an SPS inside the video cannot be read".into(),
                        ));
                    }
                }
            }
            pos += len;
        }
        Ok(())
    }

    /// Rewrites one sample's length-prefixed NAL units as Annex B, appending to `out`.
    pub(crate) fn sample_to_annex_b(
        &self,
        sample: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        let mut pos = 0usize;
        while pos < sample.len() {
            let prefix = sample
                .get(pos..pos + self.nal_length_size)
                .ok_or_else(|| MediaError::Corrupt("sample ends inside a NAL length".into()))?;
            let len = prefix
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            pos += self.nal_length_size;
            let nal = pos
                .checked_add(len)
                .and_then(|end| sample.get(pos..end))
                .ok_or_else(|| MediaError::Corrupt("NAL unit runs past its sample".into()))?;
            if !nal.is_empty() {
                out.extend_from_slice(&START_CODE);
                out.extend_from_slice(nal);
            }
            pos += len;
        }
        Ok(())
    }
}

/// Reads one length-prefixed parameter set, appends it to `out` in Annex B form and
/// returns it.
fn read_parameter_set<'a>(reader: &mut ByteReader<'a>, out: &mut Vec<u8>) -> Option<&'a [u8]> {
    let len = usize::from(reader.u16()?);
    let nal = reader.take(len)?;
    out.extend_from_slice(&START_CODE);
    out.extend_from_slice(nal);
    Some(nal)
}

struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(slice)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x264's SPS for a 64×64 High-profile stream.
    const SPS_64: [u8; 24] = [
        0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x44, 0x26, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
        0x00, 0x00, 0x03, 0x00, 0x50, 0x3c, 0x48, 0x96, 0x58,
    ];
    /// x264's SPS for a 1920×1080 Constrained Baseline stream.
    const SPS_1080: [u8; 25] = [
        0x67, 0x42, 0xc0, 0x28, 0xda, 0x01, 0xe0, 0x08, 0x9f, 0x97, 0x01, 0x10, 0x00, 0x00, 0x03,
        0x00, 0x10, 0x00, 0x00, 0x03, 0x00, 0xa0, 0xf1, 0x83, 0x2a,
    ];

    fn avcc_with(sps: &[&[u8]]) -> Vec<u8> {
        // version, profile, compat, level, 0xFF (4-byte lengths), the SPS, 1 PPS of 2 bytes.
        let mut record = vec![1, 0x64, 0, 0x0A, 0xFF, 0xE0 | sps.len() as u8];
        for nal in sps {
            record.extend_from_slice(&(nal.len() as u16).to_be_bytes());
            record.extend_from_slice(nal);
        }
        record.extend_from_slice(&[1, 0, 2, 0x68, 0xCC]);
        record
    }

    fn avcc() -> Vec<u8> {
        avcc_with(&[&SPS_64])
    }

    #[test]
    fn parameter_sets_become_annex_b() {
        let config = AvcConfig::parse(&avcc()).unwrap();
        assert_eq!(config.nal_length_size, 4);
        let mut expected = vec![0, 0, 0, 1];
        expected.extend_from_slice(&SPS_64);
        expected.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xCC]);
        assert_eq!(config.parameter_sets_annex_b, expected);
        assert_eq!((config.sps.width, config.sps.height), (64, 64));
    }

    #[test]
    fn an_unreadable_or_inconsistent_sps_is_corrupt() {
        for record in [
            avcc_with(&[&[0x67, 0xAA, 0xBB]]),
            avcc_with(&[&SPS_64, &SPS_1080]),
            avcc_with(&[]),
        ] {
            let result = AvcConfig::parse(&record);
            assert!(matches!(result, Err(MediaError::Corrupt(_))), "{result:?}");
        }
        assert!(AvcConfig::parse(&avcc_with(&[&SPS_64, &SPS_64])).is_ok());
    }

    fn length_prefixed(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|nal| [(nal.len() as u32).to_be_bytes().as_slice(), nal].concat())
            .collect()
    }

    #[test]
    fn an_in_band_sps_must_keep_the_picture_size() {
        let config = AvcConfig::parse(&avcc()).unwrap();
        let slice: &[u8] = &[0x65, 0x88, 0x84];
        assert!(
            config
                .check_in_band_sps(&length_prefixed(&[&SPS_64, slice]))
                .is_ok()
        );
        assert!(config.check_in_band_sps(&length_prefixed(&[slice])).is_ok());
        let resized = config.check_in_band_sps(&length_prefixed(&[&SPS_1080, slice]));
        assert!(
            matches!(&resized, Err(MediaError::Corrupt(m)) if m.contains("1920×1080")),
            "{resized:?}"
        );
        let garbage = config.check_in_band_sps(&length_prefixed(&[&[0x67, 0xFF], slice]));
        assert!(
            matches!(garbage, Err(MediaError::Corrupt(_))),
            "{garbage:?}"
        );
    }

    #[test]
    fn length_prefixed_sample_becomes_annex_b() {
        let config = AvcConfig::parse(&avcc()).unwrap();
        let sample = [0, 0, 0, 2, 0x65, 0x11, 0, 0, 0, 1, 0x06];
        let mut out = Vec::new();
        config.sample_to_annex_b(&sample, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x65, 0x11, 0, 0, 0, 1, 0x06]);
    }

    #[test]
    fn overlong_nal_length_is_corrupt() {
        let config = AvcConfig::parse(&avcc()).unwrap();
        let mut out = Vec::new();
        let result = config.sample_to_annex_b(&[0xFF, 0xFF, 0xFF, 0xFF, 1], &mut out);
        assert!(matches!(result, Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn truncated_record_is_corrupt() {
        assert!(matches!(
            AvcConfig::parse(&avcc()[..20]),
            Err(MediaError::Corrupt(_))
        ));
    }
}
