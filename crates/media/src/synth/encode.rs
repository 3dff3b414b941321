//! Encodes pictures to H.264 with openh264 and hands back what an MP4 needs: the SPS and
//! PPS for `avcC`, and per frame a sample of 4-byte length-prefixed NAL units with its
//! IDR flag. openh264 emits Annex B (start codes) with the parameter sets in front of every
//! IDR; here the start codes become lengths and the parameter sets move to `avcC` only.
//!
//! It does not choose what to encode or write files. Settings are fixed for determinism:
//! one thread, no frame skipping, no scene-change detection (keyframes only where the
//! interval says), constant parameter-set ids. Rate control is off: openh264 then codes at
//! its fixed base quantiser (QP 26), so size follows content. Its bitrate modes were the
//! alternative, but they cannot hold a bitrate without skipping frames (and say so on
//! stderr), while every frame must come out because the MP4 promises fps × seconds samples.

use openh264::OpenH264API;
use openh264::encoder::{
    Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode, SpsPpsStrategy,
    UsageType, VuiConfig,
};
use openh264::formats::YUVSource;

use super::SynthError;

/// NAL unit types (H.264 Table 7-1) this module treats specially.
const NAL_IDR_SLICE: u8 = 5;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_ACCESS_UNIT_DELIMITER: u8 = 9;

/// One encoded frame.
#[derive(Debug, Clone)]
pub(crate) struct EncodedFrame {
    /// NAL units, each behind a 4-byte big-endian length.
    pub data: Vec<u8>,
    /// Holds an IDR slice: decoding can start here.
    pub idr: bool,
}

/// A whole encoded clip.
#[derive(Debug, Clone)]
pub(crate) struct EncodedStream {
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
    pub frames: Vec<EncodedFrame>,
}

pub(crate) struct H264Encoder {
    encoder: Encoder,
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    frames: Vec<EncodedFrame>,
    fps: u32,
}

impl H264Encoder {
    /// An encoder for `fps` frames per second with an IDR every `keyframe_interval` frames.
    pub(crate) fn new(fps: u32, keyframe_interval: u32) -> Result<Self, SynthError> {
        let config = EncoderConfig::new()
            // "Real time" only names the tuning preset (the non-real-time camera preset is
            // refused by this openh264); nothing here depends on the clock.
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Off)
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            .intra_frame_period(IntraFramePeriod::from_num_frames(keyframe_interval))
            .skip_frames(false)
            .scene_change_detect(false)
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            // One thread: threaded slice scheduling could make output differ run to run,
            // and the demo runs next to a server on small machines.
            .num_threads(1)
            // Say in the SPS what `pattern` wrote: BT.601, limited range.
            .vui(VuiConfig::bt601());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| SynthError::Encoder(format!("could not start: {e}")))?;
        Ok(Self {
            encoder,
            sps: None,
            pps: None,
            frames: Vec::new(),
            fps,
        })
    }

    /// Encodes frame number `index` (the timestamp is derived from it).
    pub(crate) fn push(
        &mut self,
        picture: &impl YUVSource,
        index: usize,
    ) -> Result<(), SynthError> {
        let millis = index as u64 * 1000 / u64::from(self.fps);
        let stream = self
            .encoder
            .encode_at(picture, openh264::Timestamp::from_millis(millis))
            .map_err(|e| SynthError::Encoder(format!("frame {index}: {e}")))?;
        let mut frame = EncodedFrame {
            data: Vec::new(),
            idr: false,
        };
        for layer_index in 0..stream.num_layers() {
            let Some(layer) = stream.layer(layer_index) else {
                continue;
            };
            for nal_index in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(nal_index).and_then(strip_start_code) else {
                    continue;
                };
                match nal[0] & 0x1F {
                    NAL_SPS => keep_parameter_set(&mut self.sps, nal, "SPS")?,
                    NAL_PPS => keep_parameter_set(&mut self.pps, nal, "PPS")?,
                    NAL_ACCESS_UNIT_DELIMITER => {}
                    kind => {
                        frame.idr |= kind == NAL_IDR_SLICE;
                        let len = u32::try_from(nal.len()).map_err(|_| {
                            SynthError::Encoder("NAL unit larger than 4 GiB".into())
                        })?;
                        frame.data.extend_from_slice(&len.to_be_bytes());
                        frame.data.extend_from_slice(nal);
                    }
                }
            }
        }
        if frame.data.is_empty() {
            return Err(SynthError::Encoder(format!(
                "frame {index} produced no picture (frame type {:?})",
                stream.frame_type()
            )));
        }
        self.frames.push(frame);
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<EncodedStream, SynthError> {
        let (Some(sps), Some(pps)) = (self.sps, self.pps) else {
            return Err(SynthError::Encoder("no SPS/PPS was emitted".into()));
        };
        if !self.frames.first().is_some_and(|f| f.idr) {
            return Err(SynthError::Encoder("the first frame is not an IDR".into()));
        }
        Ok(EncodedStream {
            sps,
            pps,
            frames: self.frames,
        })
    }
}

/// Records a parameter set; a different one later would need a second sample entry, which
/// the constant-id strategy should never produce.
fn keep_parameter_set(
    slot: &mut Option<Vec<u8>>,
    nal: &[u8],
    what: &str,
) -> Result<(), SynthError> {
    match slot {
        None => {
            *slot = Some(nal.to_vec());
            Ok(())
        }
        Some(previous) if previous.as_slice() == nal => Ok(()),
        Some(_) => Err(SynthError::Encoder(format!(
            "the {what} changed mid-stream"
        ))),
    }
}

/// The NAL unit behind a 3- or 4-byte Annex B start code; `None` for an empty unit.
/// openh264 hands out one NAL unit per slice, so there is no scanning for further codes.
fn strip_start_code(unit: &[u8]) -> Option<&[u8]> {
    let rest = unit
        .strip_prefix(&[0, 0, 0, 1])
        .or_else(|| unit.strip_prefix(&[0, 0, 1]))
        .unwrap_or(unit);
    (!rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::pattern::TestPattern;

    #[test]
    fn start_codes_of_either_length_are_removed() {
        assert_eq!(
            strip_start_code(&[0, 0, 0, 1, 0x65, 1]),
            Some(&[0x65, 1][..])
        );
        assert_eq!(strip_start_code(&[0, 0, 1, 0x41]), Some(&[0x41][..]));
        assert_eq!(strip_start_code(&[0, 0, 0, 1]), None);
    }

    #[test]
    fn idrs_come_every_interval_and_samples_hold_only_slices() {
        let (fps, frames) = (10, 25);
        let pattern = TestPattern::new("GOP", 0, 64, 96, frames, fps);
        let mut canvas = pattern.canvas();
        let mut encoder = H264Encoder::new(fps, 10).unwrap();
        for index in 0..frames {
            pattern.paint(index, &mut canvas);
            encoder.push(&canvas, index).unwrap();
        }
        let stream = encoder.finish().unwrap();
        assert_eq!(stream.sps[0] & 0x1F, NAL_SPS);
        assert_eq!(stream.pps[0] & 0x1F, NAL_PPS);
        let idrs: Vec<usize> = (0..frames).filter(|&i| stream.frames[i].idr).collect();
        assert_eq!(idrs, [0, 10, 20]);
        for frame in &stream.frames {
            // Walk the length prefixes: they must tile the sample exactly, with no SPS/PPS.
            let mut pos = 0;
            while pos < frame.data.len() {
                let len = u32::from_be_bytes(frame.data[pos..pos + 4].try_into().unwrap());
                let kind = frame.data[pos + 4] & 0x1F;
                assert!(matches!(kind, 1 | 5 | 6), "NAL type {kind} in a sample");
                pos += 4 + len as usize;
            }
            assert_eq!(pos, frame.data.len());
        }
    }
}
