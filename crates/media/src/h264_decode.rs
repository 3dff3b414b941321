//! Decodes a run of H.264 samples with openh264 and hands back one chosen picture.
//!
//! openh264's convenience `Decoder::decode` flushes after every packet, which hands out
//! pictures in decode order and then fails on streams with B-frames. So we drive the raw
//! `DecodeFrameNoDelay` call without flushing, tag every packet with its sample index through
//! `uiInBsTimeStamp` (openh264 carries it through its reorder buffer to `uiOutYuvTimeStamp`),
//! and drain the reorder buffer with `FlushFrame` at the end. The wanted picture is recognised
//! by its tag, not by counting outputs. This module knows nothing about files or MP4.

use std::os::raw::c_int;
use std::ptr::null_mut;

use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264_sys2::{DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, SBufferInfo};

use crate::MediaError;
use crate::frame::YuvFrame;

/// openh264's reorder buffer holds at most 16 pictures; drain a little more to be safe.
const MAX_FLUSHED_PICTURES: usize = 32;
const MAX_PICTURE_DIMENSION: c_int = 8192;

/// One access unit in Annex B form, tagged with its sample index.
pub(crate) struct Packet {
    pub sample_index: usize,
    pub annex_b: Vec<u8>,
}

/// Feeds `parameter_sets` then `packets` (decode order, starting at a keyframe) and returns
/// the picture decoded from sample `wanted`. Stops reading packets once it has it.
pub(crate) fn decode_picture(
    parameter_sets: &[u8],
    packets: impl IntoIterator<Item = Result<Packet, MediaError>>,
    wanted: usize,
) -> Result<YuvFrame, MediaError> {
    let mut found = None;
    decode_pictures(parameter_sets, packets, &[wanted], |_, frame| {
        found = Some(frame);
    })?;
    found.ok_or_else(|| {
        MediaError::Corrupt(format!(
            "H.264 decoder produced no picture for sample {wanted}"
        ))
    })
}

/// Like [`decode_picture`] for several samples of one run: hands each picture of a sample in
/// `wanted` to `on_picture` as the decoder releases it (presentation order), and stops reading
/// packets once every one was seen. A wanted sample the decoder never outputs is skipped.
pub(crate) fn decode_pictures(
    parameter_sets: &[u8],
    packets: impl IntoIterator<Item = Result<Packet, MediaError>>,
    wanted: &[usize],
    mut on_picture: impl FnMut(usize, YuvFrame),
) -> Result<(), MediaError> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| MediaError::Corrupt(format!("H.264 decoder failed to start: {e}")))?;
    let tag_of = |index: usize| index as u64 + 1;
    let mut remaining: std::collections::BTreeSet<u64> =
        wanted.iter().map(|&i| tag_of(i)).collect();
    let mut take = |tag: u64, frame: YuvFrame, remaining: &mut std::collections::BTreeSet<u64>| {
        if remaining.remove(&tag) {
            on_picture(tag as usize - 1, frame);
        }
    };

    // Parameter sets carry tag 0, which no picture uses.
    decode_packet(&mut decoder, parameter_sets, 0)?;
    let mut failures = 0usize;
    for packet in packets {
        if remaining.is_empty() {
            return Ok(());
        }
        let packet = packet?;
        match decode_packet(&mut decoder, &packet.annex_b, tag_of(packet.sample_index)) {
            Ok(Some((tag, frame))) => take(tag, frame, &mut remaining),
            Ok(None) => {}
            // A damaged picture is concealed by the decoder; keep going, as players do,
            // unless the stream is broken throughout.
            Err(_) => {
                failures += 1;
                if failures > 8 {
                    return Err(MediaError::Corrupt("H.264 stream does not decode".into()));
                }
            }
        }
    }
    for _ in 0..MAX_FLUSHED_PICTURES {
        if remaining.is_empty() {
            break;
        }
        match flush_picture(&mut decoder)? {
            Some((tag, frame)) => take(tag, frame, &mut remaining),
            None => break,
        }
    }
    Ok(())
}

/// Decodes one packet; returns a picture if the reorder buffer released one.
fn decode_packet(
    decoder: &mut Decoder,
    annex_b: &[u8],
    tag: u64,
) -> Result<Option<(u64, YuvFrame)>, MediaError> {
    let len = c_int::try_from(annex_b.len())
        .map_err(|_| MediaError::Corrupt("H.264 access unit too large".into()))?;
    let mut planes = [null_mut::<u8>(); 3];
    let mut info = SBufferInfo {
        uiInBsTimeStamp: tag,
        ..SBufferInfo::default()
    };
    // SAFETY: the pointers are valid for the duration of the call; openh264 reads `len`
    // bytes from `annex_b` and writes plane pointers into `planes` and metadata into `info`.
    let state = unsafe {
        decoder.raw_api().decode_frame_no_delay(
            annex_b.as_ptr(),
            len,
            planes.as_mut_ptr(),
            &raw mut info,
        )
    };
    if state != 0 && info.iBufferStatus != 1 {
        return Err(MediaError::Corrupt(format!(
            "H.264 decoding error state {state:#x}"
        )));
    }
    Ok(copy_picture(&planes, &info))
}

/// Releases the next picture from the reorder buffer, if any.
fn flush_picture(decoder: &mut Decoder) -> Result<Option<(u64, YuvFrame)>, MediaError> {
    let mut remaining: c_int = 0;
    // SAFETY: the option writes one c_int.
    unsafe {
        decoder.raw_api().get_option(
            DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER,
            (&raw mut remaining).cast(),
        );
    }
    if remaining <= 0 {
        return Ok(None);
    }
    let mut planes = [null_mut::<u8>(); 3];
    let mut info = SBufferInfo::default();
    // SAFETY: as in `decode_packet`.
    unsafe {
        decoder
            .raw_api()
            .flush_frame(planes.as_mut_ptr(), &raw mut info)
    };
    Ok(copy_picture(&planes, &info))
}

/// Copies a picture out of openh264's buffers (which the next call reuses) into a tightly
/// packed frame.
fn copy_picture(planes: &[*mut u8; 3], info: &SBufferInfo) -> Option<(u64, YuvFrame)> {
    if info.iBufferStatus != 1 || planes.iter().any(|p| p.is_null()) {
        return None;
    }
    // SAFETY: `sSystemBuffer` is the only member of this union.
    let buffer = unsafe { info.UsrData.sSystemBuffer };
    let (width, height) = (buffer.iWidth, buffer.iHeight);
    let (luma_stride, chroma_stride) = (buffer.iStride[0], buffer.iStride[1]);
    let plausible = (1..=MAX_PICTURE_DIMENSION).contains(&width)
        && (1..=MAX_PICTURE_DIMENSION).contains(&height)
        && luma_stride >= width
        && chroma_stride >= (width + 1) / 2;
    if !plausible {
        return None;
    }
    let (width, height) = (width as usize, height as usize);
    let (luma_stride, chroma_stride) = (luma_stride as usize, chroma_stride as usize);
    let (chroma_width, chroma_height) = (width.div_ceil(2), height.div_ceil(2));
    // SAFETY: openh264 guarantees each plane holds `height` (or `height/2`) rows of `stride`
    // bytes, and we only read `width` bytes of each row.
    let copy_plane = |plane: *mut u8, stride: usize, w: usize, h: usize| -> Vec<u8> {
        let mut out = Vec::with_capacity(w * h);
        for row in 0..h {
            let start = unsafe { plane.add(row * stride) };
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(start, w) });
        }
        out
    };
    let frame = YuvFrame {
        width,
        height,
        y: copy_plane(planes[0], luma_stride, width, height),
        u: copy_plane(planes[1], chroma_stride, chroma_width, chroma_height),
        v: copy_plane(planes[2], chroma_stride, chroma_width, chroma_height),
    };
    Some((info.uiOutYuvTimeStamp, frame))
}
