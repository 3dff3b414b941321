//! Writes ISO-BMFF (MP4): a small nested box writer, [`BoxWriter`], and on top of it a
//! non-fragmented, faststart file with one H.264 video track, [`write_video_mp4`].
//!
//! It deliberately does not do audio, B-frames (no `ctts`, no edit list: nothing here emits
//! them), fragmented MP4, or streaming output: the whole file is built in memory, which is
//! right for short generated clips. It knows nothing about the test pattern or the encoder:
//! it takes an `avcC` record and length-prefixed samples, so a later remuxer (faststart,
//! fMP4/HLS) can lift it out of `synth` as it is.
//!
//! Hand-written rather than the `mp4` crate's `Mp4Writer`: that writer puts `mdat` first and
//! `moov` at the end (faststart would take a second pass over the file), and brings
//! byteorder, bytes, num-rational and serde along; the boxes one video track needs take a few
//! hundred lines here, and the crate already reads MP4 with `mp4parse`.
//!
//! Box layouts follow ISO/IEC 14496-12 (the file format) and 14496-15 (`avcC`). Times are
//! zero and names fixed, so the same input always gives the same bytes.

use super::SynthError;

/// A growing byte buffer with nested boxes: [`BoxWriter::boxed`] writes a placeholder
/// size, runs the closure for the payload, then patches the size in. Nesting is by closure,
/// so a box can never be left open.
#[derive(Debug, Default)]
pub(crate) struct BoxWriter {
    bytes: Vec<u8>,
}

impl BoxWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// A plain box: 32-bit size, type, then whatever `payload` writes.
    pub(crate) fn boxed(
        &mut self,
        kind: &[u8; 4],
        payload: impl FnOnce(&mut Self) -> Result<(), SynthError>,
    ) -> Result<(), SynthError> {
        let start = self.bytes.len();
        self.u32(0);
        self.bytes.extend_from_slice(kind);
        payload(self)?;
        let size = u32::try_from(self.bytes.len() - start).map_err(|_| {
            SynthError::Mux(format!(
                "{} box exceeds 4 GiB",
                String::from_utf8_lossy(kind)
            ))
        })?;
        self.bytes[start..start + 4].copy_from_slice(&size.to_be_bytes());
        Ok(())
    }

    /// A "full box": a plain box whose payload starts with a version byte and 24 bits of flags.
    pub(crate) fn full_box(
        &mut self,
        kind: &[u8; 4],
        version: u8,
        flags: u32,
        payload: impl FnOnce(&mut Self) -> Result<(), SynthError>,
    ) -> Result<(), SynthError> {
        self.boxed(kind, |w| {
            w.u32((u32::from(version) << 24) | (flags & 0x00FF_FFFF));
            payload(w)
        })
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub(crate) fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn bytes(&mut self, value: &[u8]) {
        self.bytes.extend_from_slice(value);
    }

    pub(crate) fn zeros(&mut self, count: usize) {
        self.bytes.resize(self.bytes.len() + count, 0);
    }

    /// The unity transformation matrix of `mvhd`/`tkhd` (16.16 and 2.30 fixed point).
    fn identity_matrix(&mut self) {
        for value in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            self.u32(value);
        }
    }
}

/// The header of a box whose payload is `payload_len` bytes and is written separately
/// (the `mdat`): 8 bytes, or 16 with a 64-bit `largesize` when it does not fit in 32 bits.
pub(crate) fn box_header(kind: &[u8; 4], payload_len: u64) -> Vec<u8> {
    let mut header = Vec::with_capacity(16);
    match u32::try_from(payload_len + 8) {
        Ok(size) => header.extend_from_slice(&size.to_be_bytes()),
        Err(_) => {
            header.extend_from_slice(&1u32.to_be_bytes());
            header.extend_from_slice(kind);
            header.extend_from_slice(&(payload_len + 16).to_be_bytes());
            return header;
        }
    }
    header.extend_from_slice(kind);
    header
}

/// One video sample (access unit) in decode order.
#[derive(Debug, Clone)]
pub(crate) struct Mp4Sample {
    /// Length-prefixed NAL units, as `avcC`'s NAL length size says.
    pub data: Vec<u8>,
    /// Duration in media timescale ticks.
    pub duration: u32,
    /// A sync sample (IDR): listed in `stss`.
    pub sync: bool,
}

/// Everything [`write_video_mp4`] needs for its one H.264 track.
#[derive(Debug, Clone)]
pub(crate) struct VideoTrack {
    pub width: u16,
    pub height: u16,
    /// Ticks per second of the sample durations.
    pub timescale: u32,
    /// The `AVCDecoderConfigurationRecord` (the payload of `avcC`, see [`avc_config_record`]).
    pub avc_config: Vec<u8>,
    pub samples: Vec<Mp4Sample>,
    /// Samples per chunk; the last chunk takes the rest. One second's worth is usual.
    pub samples_per_chunk: u32,
}

/// `mvhd` timescale: milliseconds are plenty for a movie-level duration.
const MOVIE_TIMESCALE: u32 = 1000;
const TRACK_ID: u32 = 1;

/// Builds `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §5.3.3.1) from one SPS and one
/// PPS (NAL units without start codes), for 4-byte NAL lengths.
pub(crate) fn avc_config_record(sps: &[u8], pps: &[u8]) -> Result<Vec<u8>, SynthError> {
    if sps.len() < 4 || sps[0] & 0x1F != 7 || pps.is_empty() || pps[0] & 0x1F != 8 {
        return Err(SynthError::Mux("avcC needs one SPS and one PPS".into()));
    }
    let too_long = |_| SynthError::Mux("parameter set longer than 64 KiB".into());
    let (profile, compatibility, level) = (sps[1], sps[2], sps[3]);
    let mut record = vec![1, profile, compatibility, level];
    // 6 reserved bits set, lengthSizeMinusOne = 3; 3 reserved bits set, one SPS.
    record.extend_from_slice(&[0xFC | 3, 0xE0 | 1]);
    record.extend_from_slice(&u16::try_from(sps.len()).map_err(too_long)?.to_be_bytes());
    record.extend_from_slice(sps);
    record.push(1);
    record.extend_from_slice(&u16::try_from(pps.len()).map_err(too_long)?.to_be_bytes());
    record.extend_from_slice(pps);
    // High profiles append chroma format and bit depths. Reading them from the SPS would
    // mean an Exp-Golomb parser; callers here only ever feed 8-bit 4:2:0.
    if matches!(profile, 100 | 110 | 122 | 144) {
        record.extend_from_slice(&[0xFC | 1, 0xF8, 0xF8, 0]);
    }
    Ok(record)
}

/// A complete faststart MP4: `ftyp`, `moov`, then `mdat` with the samples in order.
pub(crate) fn write_video_mp4(track: &VideoTrack) -> Result<Vec<u8>, SynthError> {
    if track.samples.is_empty() || track.timescale == 0 || track.samples_per_chunk == 0 {
        return Err(SynthError::Mux(
            "a track needs samples, a timescale and a chunk size".into(),
        ));
    }
    let mut ftyp = BoxWriter::new();
    ftyp.boxed(b"ftyp", |w| {
        w.bytes(b"isom");
        w.u32(0x200);
        w.bytes(b"isomiso2avc1mp41");
        Ok(())
    })?;
    let ftyp = ftyp.into_bytes();

    let mdat_payload_len: u64 = track.samples.iter().map(|s| s.data.len() as u64).sum();
    let mdat_header = box_header(b"mdat", mdat_payload_len);
    // Chunk offsets point into the mdat, which follows the moov, whose size depends on
    // whether the offsets need 64 bits. Lay the moov out with zero offsets to learn its size
    // (offset values do not change it), switch to co64 if the file ends past 4 GiB, then lay
    // it out again with the real offsets.
    let chunks = chunk_sample_ranges(track);
    let zero_offsets = vec![0; chunks.len()];
    let mut use_co64 = false;
    let mut sizing = write_moov(track, &chunks, &zero_offsets, use_co64)?;
    let file_end = (ftyp.len() + sizing.len() + mdat_header.len()) as u64 + mdat_payload_len;
    if file_end > u64::from(u32::MAX) {
        use_co64 = true;
        sizing = write_moov(track, &chunks, &zero_offsets, use_co64)?;
    }
    let data_start = (ftyp.len() + sizing.len() + mdat_header.len()) as u64;
    let mut offsets = Vec::with_capacity(chunks.len());
    let mut position = data_start;
    for range in &chunks {
        offsets.push(position);
        position += track.samples[range.clone()]
            .iter()
            .map(|s| s.data.len() as u64)
            .sum::<u64>();
    }
    let moov = write_moov(track, &chunks, &offsets, use_co64)?;
    debug_assert_eq!(moov.len(), sizing.len());

    let total = ftyp.len() + moov.len() + mdat_header.len() + mdat_payload_len as usize;
    let mut file = Vec::with_capacity(total);
    file.extend_from_slice(&ftyp);
    file.extend_from_slice(&moov);
    file.extend_from_slice(&mdat_header);
    for sample in &track.samples {
        file.extend_from_slice(&sample.data);
    }
    Ok(file)
}

/// Consecutive runs of `samples_per_chunk` sample indices.
fn chunk_sample_ranges(track: &VideoTrack) -> Vec<std::ops::Range<usize>> {
    let per_chunk = track.samples_per_chunk as usize;
    (0..track.samples.len())
        .step_by(per_chunk)
        .map(|start| start..(start + per_chunk).min(track.samples.len()))
        .collect()
}

fn write_moov(
    track: &VideoTrack,
    chunks: &[std::ops::Range<usize>],
    chunk_offsets: &[u64],
    use_co64: bool,
) -> Result<Vec<u8>, SynthError> {
    let media_duration: u64 = track.samples.iter().map(|s| u64::from(s.duration)).sum();
    let movie_duration = media_duration * u64::from(MOVIE_TIMESCALE) / u64::from(track.timescale);
    // Version 1 headers carry 64-bit times; only needed past ~49 days in milliseconds.
    let version =
        u8::from(u32::try_from(media_duration).is_err() || u32::try_from(movie_duration).is_err());
    let duration = |w: &mut BoxWriter, value: u64| {
        if version == 1 {
            w.u64(value);
        } else {
            w.u32(value as u32);
        }
    };
    // creation_time and modification_time: zero ("unknown"), so output is reproducible.
    let times = |w: &mut BoxWriter| w.zeros(if version == 1 { 16 } else { 8 });

    let mut w = BoxWriter::new();
    w.boxed(b"moov", |w| {
        w.full_box(b"mvhd", version, 0, |w| {
            times(w);
            w.u32(MOVIE_TIMESCALE);
            duration(w, movie_duration);
            w.u32(0x0001_0000); // rate 1.0
            w.u16(0x0100); // volume 1.0
            w.zeros(10);
            w.identity_matrix();
            w.zeros(24); // pre_defined
            w.u32(TRACK_ID + 1); // next_track_ID
            Ok(())
        })?;
        w.boxed(b"trak", |w| {
            // Flags: track enabled, used in the presentation.
            w.full_box(b"tkhd", version, 0x3, |w| {
                times(w);
                w.u32(TRACK_ID);
                w.u32(0); // reserved
                duration(w, movie_duration);
                w.zeros(8);
                w.u16(0); // layer
                w.u16(0); // alternate_group
                w.u16(0); // volume: 0 for video
                w.u16(0);
                w.identity_matrix();
                // Display size, 16.16 fixed point.
                w.u32(u32::from(track.width) << 16);
                w.u32(u32::from(track.height) << 16);
                Ok(())
            })?;
            w.boxed(b"mdia", |w| {
                w.full_box(b"mdhd", version, 0, |w| {
                    times(w);
                    w.u32(track.timescale);
                    duration(w, media_duration);
                    // ISO 639-2 "und", three 5-bit letters (each minus 0x60).
                    w.u16(0x55C4);
                    w.u16(0);
                    Ok(())
                })?;
                w.full_box(b"hdlr", 0, 0, |w| {
                    w.u32(0); // pre_defined
                    w.bytes(b"vide");
                    w.zeros(12);
                    w.bytes(b"VideoHandler\0");
                    Ok(())
                })?;
                w.boxed(b"minf", |w| {
                    // Flags 1 is required for vmhd; graphics mode copy, opcolor 0.
                    w.full_box(b"vmhd", 0, 1, |w| {
                        w.zeros(8);
                        Ok(())
                    })?;
                    w.boxed(b"dinf", |w| {
                        w.full_box(b"dref", 0, 0, |w| {
                            w.u32(1);
                            // Flag 1: the media data is in this file.
                            w.full_box(b"url ", 0, 1, |_| Ok(()))
                        })
                    })?;
                    w.boxed(b"stbl", |w| {
                        write_sample_tables(w, track, chunks, chunk_offsets, use_co64)
                    })
                })
            })
        })
    })?;
    Ok(w.into_bytes())
}

fn write_sample_tables(
    w: &mut BoxWriter,
    track: &VideoTrack,
    chunks: &[std::ops::Range<usize>],
    chunk_offsets: &[u64],
    use_co64: bool,
) -> Result<(), SynthError> {
    let count = |n: usize| {
        u32::try_from(n).map_err(|_| SynthError::Mux("more than 2^32 table entries".into()))
    };
    let sample_count = count(track.samples.len())?;

    w.full_box(b"stsd", 0, 0, |w| {
        w.u32(1);
        w.boxed(b"avc1", |w| {
            w.zeros(6); // reserved
            w.u16(1); // data_reference_index: the dref's only entry
            w.zeros(16); // pre_defined, reserved
            w.u16(track.width);
            w.u16(track.height);
            w.u32(0x0048_0000); // 72 dpi, horizontally and vertically
            w.u32(0x0048_0000);
            w.u32(0); // reserved
            w.u16(1); // frame_count: one frame per sample
            // compressorname: a length byte then up to 31 characters, zero padded.
            let name = b"reelshare synth";
            w.u8(name.len() as u8);
            w.bytes(name);
            w.zeros(31 - name.len());
            w.u16(0x0018); // depth: colour, no alpha
            w.u16(0xFFFF); // pre_defined = -1
            w.boxed(b"avcC", |w| {
                w.bytes(&track.avc_config);
                Ok(())
            })
        })
    })?;

    // Decoding times as runs of equal durations.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for sample in &track.samples {
        match runs.last_mut() {
            Some((n, delta)) if *delta == sample.duration => *n += 1,
            _ => runs.push((1, sample.duration)),
        }
    }
    w.full_box(b"stts", 0, 0, |w| {
        w.u32(count(runs.len())?);
        for (n, delta) in &runs {
            w.u32(*n);
            w.u32(*delta);
        }
        Ok(())
    })?;

    // Without stss every sample is a sync sample; with it, only those listed (1-based).
    if track.samples.iter().any(|s| !s.sync) {
        let sync: Vec<u32> = (1..=sample_count)
            .zip(&track.samples)
            .filter(|(_, s)| s.sync)
            .map(|(number, _)| number)
            .collect();
        w.full_box(b"stss", 0, 0, |w| {
            w.u32(count(sync.len())?);
            for number in sync {
                w.u32(number);
            }
            Ok(())
        })?;
    }

    // Sample-to-chunk as runs: a new entry only where samples-per-chunk changes (at most
    // twice here: the full chunks, then a shorter last one).
    let mut stsc: Vec<(u32, u32)> = Vec::new();
    for (index, range) in chunks.iter().enumerate() {
        let per_chunk = count(range.len())?;
        if stsc.last().is_none_or(|(_, n)| *n != per_chunk) {
            stsc.push((count(index + 1)?, per_chunk));
        }
    }
    w.full_box(b"stsc", 0, 0, |w| {
        w.u32(count(stsc.len())?);
        for (first_chunk, per_chunk) in stsc {
            w.u32(first_chunk);
            w.u32(per_chunk);
            w.u32(1); // sample_description_index
        }
        Ok(())
    })?;

    w.full_box(b"stsz", 0, 0, |w| {
        w.u32(0); // sample_size 0: sizes follow, one per sample
        w.u32(sample_count);
        for sample in &track.samples {
            w.u32(count(sample.data.len())?);
        }
        Ok(())
    })?;

    if use_co64 {
        w.full_box(b"co64", 0, 0, |w| {
            w.u32(count(chunk_offsets.len())?);
            chunk_offsets.iter().for_each(|offset| w.u64(*offset));
            Ok(())
        })
    } else {
        w.full_box(b"stco", 0, 0, |w| {
            w.u32(count(chunk_offsets.len())?);
            for offset in chunk_offsets {
                w.u32(
                    u32::try_from(*offset).map_err(|_| {
                        SynthError::Mux("chunk offset past 4 GiB without co64".into())
                    })?,
                );
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::isobmff::read_top_level;
    use crate::mp4_track::{VideoTrackKind, read_video_track};

    #[test]
    fn a_box_is_its_size_then_its_type_then_its_payload() {
        let mut w = BoxWriter::new();
        w.boxed(b"free", |w| {
            w.bytes(b"abc");
            Ok(())
        })
        .unwrap();
        assert_eq!(w.into_bytes(), b"\0\0\0\x0bfreeabc");
    }

    #[test]
    fn nested_boxes_each_count_their_own_children() {
        let mut w = BoxWriter::new();
        w.boxed(b"moov", |w| {
            w.full_box(b"mvhd", 1, 0x000102, |w| {
                w.u16(7);
                Ok(())
            })?;
            w.boxed(b"trak", |_| Ok(()))
        })
        .unwrap();
        let bytes = w.into_bytes();
        assert_eq!(bytes.len(), 8 + 14 + 8);
        assert_eq!(&bytes[..8], b"\0\0\0\x1emoov");
        // Full box: size, type, version 1, 24-bit flags, payload.
        assert_eq!(&bytes[8..22], b"\0\0\0\x0emvhd\x01\x00\x01\x02\0\x07");
        assert_eq!(&bytes[22..], b"\0\0\0\x08trak");
    }

    #[test]
    fn an_mdat_header_grows_to_64_bits_only_when_needed() {
        assert_eq!(box_header(b"mdat", 100), b"\0\0\0\x6cmdat");
        let big = u64::from(u32::MAX);
        let header = box_header(b"mdat", big);
        assert_eq!(&header[..8], b"\0\0\0\x01mdat");
        assert_eq!(header[8..], (big + 16).to_be_bytes());
    }

    #[test]
    fn avc_config_record_carries_profile_level_and_both_parameter_sets() {
        let record = avc_config_record(&[0x67, 66, 0xC0, 30, 0xAA], &[0x68, 0xCE]).unwrap();
        assert_eq!(
            record,
            [
                1, 66, 0xC0, 30, 0xFF, 0xE1, 0, 5, 0x67, 66, 0xC0, 30, 0xAA, 1, 0, 2, 0x68, 0xCE
            ]
        );
        assert!(avc_config_record(&[0x68, 66, 0, 30], &[0x68]).is_err());
    }

    fn fake_track(sample_count: usize, per_chunk: u32) -> VideoTrack {
        VideoTrack {
            width: 360,
            height: 640,
            timescale: 30_000,
            // The SPS and PPS openh264 writes for 360×640 Constrained Baseline (the reader
            // checks the SPS's picture size against the container's).
            avc_config: avc_config_record(
                &[
                    0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x68, 0x17, 0x05, 0x1e, 0x5e, 0x6a, 0x0c, 0x0c,
                    0x0c, 0x0f, 0x08, 0x84, 0x6a,
                ],
                &[0x68, 0xce, 0x3c, 0x80],
            )
            .unwrap(),
            samples: (0..sample_count)
                .map(|i| {
                    // A 4-byte length, then a NAL "payload" of (i % 7 + 1) bytes.
                    let len = i % 7 + 1;
                    let mut data = (len as u32).to_be_bytes().to_vec();
                    data.extend(std::iter::repeat_n(i as u8, len));
                    Mp4Sample {
                        data,
                        duration: 1000,
                        sync: i % 10 == 0,
                    }
                })
                .collect(),
            samples_per_chunk: per_chunk,
        }
    }

    #[test]
    fn the_file_is_ftyp_moov_mdat_in_that_order() {
        let file = write_video_mp4(&fake_track(25, 10)).unwrap();
        let mut kinds = Vec::new();
        let mut pos = 0;
        while pos < file.len() {
            let size = u32::from_be_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
            kinds.push(String::from_utf8_lossy(&file[pos + 4..pos + 8]).into_owned());
            pos += size;
        }
        assert_eq!(pos, file.len(), "box sizes add up to the file");
        assert_eq!(kinds, ["ftyp", "moov", "mdat"]);
    }

    /// The crate's own reader (mp4parse underneath) gets back every sample where it was put,
    /// with the right sync flags and times: offsets, stsc runs and stts agree.
    #[test]
    fn the_crates_reader_finds_every_sample_with_its_time_and_sync_flag() {
        let track = fake_track(25, 10);
        let file = write_video_mp4(&track).unwrap();
        let boxes = read_top_level(&mut Cursor::new(&file), file.len() as u64).unwrap();
        let video = read_video_track(
            &boxes,
            &crate::limits::Limits::from_config(&crate::MediaConfig::default()),
        )
        .unwrap();
        assert_eq!((video.probe.width, video.probe.height), (360, 640));
        assert_eq!(video.probe.video_codec, "h264");
        assert!((video.probe.duration_seconds - 25.0 / 30.0).abs() < 0.001);
        let VideoTrackKind::H264 {
            samples, timescale, ..
        } = video.kind
        else {
            panic!("not read as H.264");
        };
        assert_eq!(timescale, 30_000);
        assert_eq!(samples.len(), 25);
        for (i, (read, written)) in samples.iter().zip(&track.samples).enumerate() {
            let at = read.offset as usize;
            assert_eq!(
                &file[at..at + read.size as usize],
                &written.data[..],
                "sample {i}"
            );
            assert_eq!(read.keyframe, written.sync, "sample {i}");
            assert_eq!(read.presentation_ticks, i as i64 * 1000, "sample {i}");
        }
    }
}
