//! Reads the picture size out of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1),
//! so the pipeline can check what the decoder would really allocate instead of trusting the
//! container's `tkhd`/`avc1` fields, which a hostile file can set to anything.
//!
//! It parses only the fields up to and including frame cropping: profile, chroma format
//! (with the high profiles' bit depths and scaling lists, which must be skipped bit-exactly),
//! picture order count fields, the size in macroblocks, `frame_mbs_only_flag` and the
//! cropping window. It deliberately stops before the VUI and validates nothing it does not
//! need; decoding the stream is openh264's job. Every read is bounds-checked: a short or
//! malformed SPS is `None`, never a panic.

/// The size facts of one SPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpsSize {
    pub profile_idc: u8,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// Width and height in luma samples before cropping (whole macroblocks). Kept as u64:
    /// the SPS can claim up to 2³² macroblocks per side.
    pub coded_width: u64,
    pub coded_height: u64,
    /// The displayed (cropped) picture size, what ffprobe reports as width × height.
    pub width: u64,
    pub height: u64,
}

/// Profiles whose SPS carries `chroma_format_idc` and friends (H.264 §7.3.2.1.1).
const HIGH_PROFILES: [u8; 13] = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];
/// An SPS is a few dozen bytes; with scaling lists it stays well under this.
const MAX_SPS_BYTES: usize = 1024;

/// Parses an SPS NAL unit (starting with its one-byte NAL header, type 7, as stored in
/// `avcC` and in Annex B streams). `None` when it is not an SPS or is malformed.
pub(crate) fn parse_sps(nal: &[u8]) -> Option<SpsSize> {
    let (&header, rest) = nal.split_first()?;
    if header & 0x1F != 7 || header & 0x80 != 0 {
        return None;
    }
    // Emulation prevention bytes (00 00 03) sit between the payload bits; remove them into a
    // small fixed buffer: nothing here is sized by the input beyond MAX_SPS_BYTES.
    let mut rbsp = [0u8; MAX_SPS_BYTES];
    let mut len = 0usize;
    let mut zeros = 0usize;
    for &byte in rest {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        *rbsp.get_mut(len)? = byte;
        len += 1;
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    let mut bits = BitReader {
        bytes: &rbsp[..len],
        pos: 0,
    };

    let profile_idc = bits.bits(8)? as u8;
    let _constraint_flags_and_reserved = bits.bits(8)?;
    let _level_idc = bits.bits(8)?;
    let _seq_parameter_set_id = bits.ue_at_most(31)?;

    let mut chroma_format_idc = 1u8;
    let mut separate_colour_plane = false;
    if HIGH_PROFILES.contains(&profile_idc) {
        chroma_format_idc = bits.ue_at_most(3)? as u8;
        if chroma_format_idc == 3 {
            separate_colour_plane = bits.flag()?;
        }
        let _bit_depth_luma_minus8 = bits.ue_at_most(6)?;
        let _bit_depth_chroma_minus8 = bits.ue_at_most(6)?;
        let _qpprime_y_zero_transform_bypass = bits.flag()?;
        if bits.flag()? {
            // seq_scaling_matrix_present_flag: 8 lists, or 12 for 4:4:4.
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if bits.flag()? {
                    skip_scaling_list(&mut bits, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }

    let _log2_max_frame_num_minus4 = bits.ue_at_most(12)?;
    match bits.ue_at_most(2)? {
        0 => {
            let _log2_max_pic_order_cnt_lsb_minus4 = bits.ue_at_most(12)?;
        }
        1 => {
            let _delta_pic_order_always_zero = bits.flag()?;
            let _offset_for_non_ref_pic = bits.se()?;
            let _offset_for_top_to_bottom_field = bits.se()?;
            let cycle = bits.ue_at_most(255)?;
            for _ in 0..cycle {
                let _offset_for_ref_frame = bits.se()?;
            }
        }
        _ => {}
    }
    let _max_num_ref_frames = bits.ue()?;
    let _gaps_in_frame_num_allowed = bits.flag()?;
    let width_in_mbs = u64::from(bits.ue()?) + 1;
    let height_in_map_units = u64::from(bits.ue()?) + 1;
    let frame_mbs_only = bits.flag()?;
    if !frame_mbs_only {
        let _mb_adaptive_frame_field = bits.flag()?;
    }
    let _direct_8x8_inference = bits.flag()?;
    let (mut crop_left, mut crop_right, mut crop_top, mut crop_bottom) = (0u64, 0, 0, 0);
    if bits.flag()? {
        crop_left = u64::from(bits.ue()?);
        crop_right = u64::from(bits.ue()?);
        crop_top = u64::from(bits.ue()?);
        crop_bottom = u64::from(bits.ue()?);
    }

    // Interlaced streams count map units in field pairs: two macroblock rows each.
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let coded_width = width_in_mbs * 16;
    let coded_height = height_in_map_units * 16 * field_factor;
    // Cropping is in chroma sample units (§7.4.2.1.1, CropUnitX/CropUnitY).
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (crop_unit_x, crop_unit_y) = match chroma_array_type {
        0 => (1, field_factor),
        1 => (2, 2 * field_factor),
        2 => (2, field_factor),
        _ => (1, field_factor),
    };
    let crop_x = (crop_left + crop_right).checked_mul(crop_unit_x)?;
    let crop_y = (crop_top + crop_bottom).checked_mul(crop_unit_y)?;
    // A crop that removes the whole picture is malformed.
    let width = coded_width.checked_sub(crop_x).filter(|w| *w > 0)?;
    let height = coded_height.checked_sub(crop_y).filter(|h| *h > 0)?;
    Some(SpsSize {
        profile_idc,
        chroma_format_idc,
        coded_width,
        coded_height,
        width,
        height,
    })
}

/// Reads past one scaling_list() (§7.3.2.1.1.1): only the delta values are coded, and a
/// next scale of 0 ends the list early.
fn skip_scaling_list(bits: &mut BitReader<'_>, size: usize) -> Option<()> {
    let mut last_scale = 8i64;
    let mut next_scale = 8i64;
    for _ in 0..size {
        if next_scale != 0 {
            let delta = bits.se()?;
            if !(-128..=127).contains(&delta) {
                return None;
            }
            next_scale = (last_scale + delta + 256).rem_euclid(256);
        }
        if next_scale != 0 {
            last_scale = next_scale;
        }
    }
    Some(())
}

/// MSB-first bit reader over an RBSP.
struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    fn flag(&mut self) -> Option<bool> {
        Some(self.bit()? == 1)
    }

    fn bits(&mut self, count: u32) -> Option<u32> {
        debug_assert!(count <= 32);
        (0..count).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// Unsigned exp-Golomb, ue(v). A code longer than 32 bits does not fit a u32 and never
    /// occurs in a valid stream.
    fn ue(&mut self) -> Option<u32> {
        let mut leading_zeros = 0u32;
        while self.bit()? == 0 {
            leading_zeros += 1;
            if leading_zeros > 31 {
                return None;
            }
        }
        let suffix = self.bits(leading_zeros)?;
        // 2^n − 1 + suffix, computed in u64 because n = 31 with an all-ones suffix overflows.
        u32::try_from((1u64 << leading_zeros) - 1 + u64::from(suffix)).ok()
    }

    fn ue_at_most(&mut self, max: u32) -> Option<u32> {
        self.ue().filter(|v| *v <= max)
    }

    /// Signed exp-Golomb, se(v): 1, −1, 2, −2, … for codes 1, 2, 3, 4, ….
    fn se(&mut self) -> Option<i64> {
        let code = i64::from(self.ue()?);
        Some(if code % 2 == 1 {
            (code + 1) / 2
        } else {
            -(code / 2)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn size(sps_hex: &str) -> (u64, u64) {
        let sps = parse_sps(&hex(sps_hex)).expect("parses");
        (sps.width, sps.height)
    }

    // The SPS bytes below are copied from the avcC of files made with
    // `ffmpeg -f lavfi -i testsrc2=size=W×H … -c:v libx264 [-profile:v/-pix_fmt …]`;
    // the expected sizes are what ffprobe reports for the same files.

    #[test]
    fn constrained_baseline_1080p_crops_1088_to_1080() {
        let sps = parse_sps(&hex("6742c028da01e0089f970110000003001000000300a0f1832a")).unwrap();
        assert_eq!((sps.coded_width, sps.coded_height), (1920, 1088));
        assert_eq!((sps.width, sps.height), (1920, 1080));
        assert_eq!((sps.profile_idc, sps.chroma_format_idc), (66, 1));
    }

    #[test]
    fn baseline_and_high_64x64() {
        assert_eq!(
            size("6742c00ad90426c044000003000400000300283c489920"),
            (64, 64)
        );
        assert_eq!(
            size("6764000aacd94426c044000003000400000300503c489658"),
            (64, 64)
        );
    }

    #[test]
    fn big_4096x2304() {
        assert_eq!(
            size("6742c033da004000486c044000000300400000030083c60ca8"),
            (4096, 2304)
        );
    }

    #[test]
    fn high_profile_with_odd_sizes_crops_in_chroma_units() {
        // 100×75 4:2:0: cropping is in 2-pixel units, so x264 codes 100×74 (as ffprobe says).
        assert_eq!(
            size("6764000aacd9472f9e4c044000000300400000030283c4896580"),
            (100, 74)
        );
        assert_eq!(
            size("67640016acd940a02ff970110000030001000003000a0f162d96"),
            (640, 360)
        );
    }

    #[test]
    fn high_422_10_bit_reads_chroma_format_and_bit_depths() {
        let sps = parse_sps(&hex("677a000cb6cd94141fb0110000030001000003000a0f142996")).unwrap();
        assert_eq!((sps.profile_idc, sps.chroma_format_idc), (122, 2));
        assert_eq!((sps.width, sps.height), (320, 240));
    }

    #[test]
    fn high_444_predictive() {
        let sps = parse_sps(&hex("67f4000a919b28589d80880000030008000003005078912cb0")).unwrap();
        assert_eq!((sps.profile_idc, sps.chroma_format_idc), (244, 3));
        assert_eq!((sps.width, sps.height), (176, 144));
    }

    #[test]
    fn monochrome() {
        let sps = parse_sps(&hex("6764000af365109b016c800000030080000005078912cb")).unwrap();
        assert_eq!(sps.chroma_format_idc, 0);
        assert_eq!((sps.width, sps.height), (64, 64));
    }

    #[test]
    fn interlaced_counts_field_pairs() {
        // 720×576 with `-flags +ildct+ilme`: frame_mbs_only_flag = 0, 18 map units of 32 rows.
        let sps = parse_sps(&hex("67640016acd940b424d8088000000300800000050f8a14cb")).unwrap();
        assert_eq!((sps.coded_width, sps.coded_height), (720, 576));
        assert_eq!((sps.width, sps.height), (720, 576));
    }

    /// Writes SPS fields MSB first, for the cases x264 never produces.
    #[derive(Default)]
    struct BitWriter {
        bits: Vec<bool>,
    }

    impl BitWriter {
        fn u(&mut self, count: u32, value: u32) -> &mut Self {
            for i in (0..count).rev() {
                self.bits.push((value >> i) & 1 == 1);
            }
            self
        }
        fn ue(&mut self, value: u32) -> &mut Self {
            let code = u64::from(value) + 1;
            let len = 64 - code.leading_zeros();
            for _ in 1..len {
                self.bits.push(false);
            }
            for i in (0..len).rev() {
                self.bits.push((code >> i) & 1 == 1);
            }
            self
        }
        fn se(&mut self, value: i32) -> &mut Self {
            let code = if value > 0 {
                2 * value as u32 - 1
            } else {
                (-2 * value) as u32
            };
            self.ue(code)
        }
        /// NAL header, then the RBSP with trailing bits and emulation prevention.
        fn nal(&self) -> Vec<u8> {
            let mut bits = self.bits.clone();
            bits.push(true);
            while !bits.len().is_multiple_of(8) {
                bits.push(false);
            }
            let rbsp: Vec<u8> = bits
                .chunks(8)
                .map(|c| c.iter().fold(0u8, |acc, b| (acc << 1) | u8::from(*b)))
                .collect();
            let mut nal = vec![0x67];
            let mut zeros = 0;
            for byte in rbsp {
                if zeros >= 2 && byte <= 3 {
                    nal.push(3);
                    zeros = 0;
                }
                nal.push(byte);
                zeros = if byte == 0 { zeros + 1 } else { 0 };
            }
            nal
        }
    }

    /// A High-profile SPS for `mbs` macroblocks, with `scaling` writing the scaling matrix
    /// part (after the flag), and the POC type 1 cycle x264 never uses.
    fn synthetic_high(
        width_mbs: u32,
        height_mbs: u32,
        scaling: impl Fn(&mut BitWriter),
    ) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.u(8, 100).u(8, 0).u(8, 40).ue(0);
        w.ue(1).ue(0).ue(0).u(1, 0); // 4:2:0, 8-bit, no bypass
        scaling(&mut w);
        w.ue(0); // log2_max_frame_num_minus4
        w.ue(1).u(1, 0).se(-3).se(2).ue(3).se(1).se(-1).se(7); // POC type 1
        w.ue(4).u(1, 0);
        w.ue(width_mbs - 1).ue(height_mbs - 1).u(1, 1).u(1, 1);
        w.u(1, 1).ue(0).ue(4).ue(0).ue(4); // crop 4 units (8 px) right and bottom
        w.u(1, 0); // no VUI
        w.nal()
    }

    #[test]
    fn scaling_lists_and_poc_type_1_are_skipped_bit_exactly() {
        let without = synthetic_high(40, 23, |w| {
            w.u(1, 0);
        });
        let with = synthetic_high(40, 23, |w| {
            w.u(1, 1);
            for list in 0..8 {
                match list {
                    // An explicit 4×4 list with deltas of both signs.
                    0 => {
                        w.u(1, 1);
                        for j in 0..16 {
                            w.se(if j % 2 == 0 { 5 } else { -3 });
                        }
                    }
                    // "Use the default list": a first delta that makes next_scale 0.
                    1 => {
                        w.u(1, 1).se(-8);
                    }
                    // An explicit 8×8 list that ends early (next_scale reaches 0 at j = 3).
                    6 => {
                        w.u(1, 1).se(4).se(4).se(-16);
                    }
                    _ => {
                        w.u(1, 0);
                    }
                }
            }
        });
        for nal in [&without, &with] {
            let sps = parse_sps(nal).unwrap();
            assert_eq!((sps.coded_width, sps.coded_height), (640, 368));
            assert_eq!((sps.width, sps.height), (632, 360));
        }
    }

    #[test]
    fn a_huge_claim_is_reported_not_refused_here() {
        // 16000×16000 is 1000×1000 macroblocks: the caller decides it is too big.
        let nal = synthetic_high(1000, 1000, |w| {
            w.u(1, 0);
        });
        let sps = parse_sps(&nal).unwrap();
        assert_eq!((sps.coded_width, sps.coded_height), (16000, 16000));
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        let good = hex("6764000aacd94426c044000003000400000300503c489658");
        for cut in 0..good.len() - 3 {
            // Cut inside profile/level: never a size.
            if cut < 6 {
                assert_eq!(parse_sps(&good[..cut]), None, "cut at {cut}");
            } else {
                let _ = parse_sps(&good[..cut]);
            }
        }
        assert_eq!(parse_sps(&[0x68, 0xEB]), None, "a PPS is not an SPS");
        assert_eq!(parse_sps(&[0x67, 0x64, 0, 0x0A, 0, 0, 0, 0, 0, 0]), None);
        let mut long = vec![0x67, 0x64, 0, 0x0A];
        long.extend(std::iter::repeat_n(0xFF, 5000));
        let _ = parse_sps(&long);
    }
}
