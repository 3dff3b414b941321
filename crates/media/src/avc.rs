//! Turns MP4's H.264 framing into the Annex B byte stream openh264 decodes: the `avcC`
//! record's SPS/PPS become start-code-prefixed NAL units, and each sample's length-prefixed
//! NAL units get start codes instead of lengths. Pure byte shuffling, no decoding; every
//! length is checked against the buffer so broken input yields `Corrupt`, never a panic.

use crate::MediaError;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// The decoder configuration from an `avcC` box.
#[derive(Debug, Clone)]
pub(crate) struct AvcConfig {
    /// Bytes in each NAL length prefix: 1, 2 or 4.
    pub nal_length_size: usize,
    /// SPS and PPS NAL units, already in Annex B form.
    pub parameter_sets_annex_b: Vec<u8>,
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
        read_parameter_sets(&mut reader, sps_count, &mut parameter_sets_annex_b)
            .ok_or_else(|| broken("SPS runs past the record"))?;
        let pps_count = reader.u8().ok_or_else(|| broken("missing PPS count"))?;
        read_parameter_sets(&mut reader, pps_count, &mut parameter_sets_annex_b)
            .ok_or_else(|| broken("PPS runs past the record"))?;
        if sps_count == 0 || pps_count == 0 {
            return Err(broken("no SPS or no PPS"));
        }
        Ok(Self {
            nal_length_size,
            parameter_sets_annex_b,
        })
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

fn read_parameter_sets(reader: &mut ByteReader<'_>, count: u8, out: &mut Vec<u8>) -> Option<()> {
    for _ in 0..count {
        let len = usize::from(reader.u16()?);
        let nal = reader.take(len)?;
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(nal);
    }
    Some(())
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

    fn avcc() -> Vec<u8> {
        // version, profile, compat, level, 0xFF (4-byte lengths), 1 SPS of 3 bytes, 1 PPS of 2.
        vec![
            1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 3, 0x67, 0xAA, 0xBB, 1, 0, 2, 0x68, 0xCC,
        ]
    }

    #[test]
    fn parameter_sets_become_annex_b() {
        let config = AvcConfig::parse(&avcc()).unwrap();
        assert_eq!(config.nal_length_size, 4);
        assert_eq!(
            config.parameter_sets_annex_b,
            [0, 0, 0, 1, 0x67, 0xAA, 0xBB, 0, 0, 0, 1, 0x68, 0xCC]
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
            AvcConfig::parse(&avcc()[..9]),
            Err(MediaError::Corrupt(_))
        ));
    }
}
