#!/usr/bin/env python3
"""Writes the hostile-media corpus in this directory: MP4 files that lie about their sample
tables, box sizes, nesting, H.264 SPS, durations and sizes, plus truncated and bit-flipped
variants. Each file covers one finding of the media security review; README.md lists them
with the outcome the pipeline must produce, and crates/media/tests/media/hostile.rs checks
every file against that table.

It starts from one small valid MP4 that ffmpeg makes here (testsrc2, 64x64, 1 s, H.264,
moov after mdat so editing the moov never moves the sample data), parses its boxes, edits
fields and re-serialises with correct sizes wherever the lie is not the size itself.
Python 3 standard library only (plus the ffmpeg binary for the base file). It does not
produce valid media: only the control files are meant to be accepted.

Usage: python3 make.py [output-dir]   (default: the directory of this script)
"""

import os
import struct
import subprocess
import sys
import tempfile

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

# Boxes whose payload is a plain sequence of child boxes.
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


class Box:
    """A box: `kind`, the bytes before any children (`head`), and children or raw bytes."""

    def __init__(self, kind, head=b"", children=None):
        self.kind = kind
        self.head = head
        self.children = children  # None for a leaf: then `head` is the whole payload

    def payload(self):
        if self.children is None:
            return self.head
        return self.head + b"".join(c.encode() for c in self.children)

    def encode(self):
        payload = self.payload()
        return struct.pack(">I", len(payload) + 8) + self.kind + payload

    def find(self, *path):
        """The first descendant along `path`, e.g. find(b"trak", b"mdia")."""
        box = self
        for kind in path:
            box = next(c for c in box.children if c.kind == kind)
        return box


def parse_boxes(data):
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        payload = data[pos + 8 : pos + size]
        if kind in CONTAINERS:
            boxes.append(Box(kind, b"", parse_boxes(payload)))
        elif kind == b"stsd":
            # Full box header and entry count, then sample entries.
            boxes.append(Box(kind, payload[:8], [parse_sample_entry(payload[8:])]))
        else:
            boxes.append(Box(kind, payload))
        pos += size
    return boxes


def parse_sample_entry(data):
    size, kind = struct.unpack(">I4s", data[:8])
    # Visual sample entry: 78 bytes of fixed fields, then child boxes (avcC, ...).
    return Box(kind, data[8:86], parse_boxes(data[86:size]))


def encode_file(boxes):
    return b"".join(b.encode() for b in boxes)


# --- H.264 SPS rewriting ------------------------------------------------------------------


class Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u(self, n):
        v = 0
        for _ in range(n):
            v = (v << 1) | ((self.data[self.pos // 8] >> (7 - self.pos % 8)) & 1)
            self.pos += 1
        return v

    def ue(self):
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self):
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def ue_bits(value):
    code = value + 1
    n = code.bit_length()
    return "0" * (n - 1) + format(code, "b")


def unescape(nal):
    out, zeros = bytearray(), 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def escape(rbsp):
    out, zeros = bytearray(), 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def size_field_bit(sps):
    """Bit offset, in the unescaped payload after the NAL header, of pic_width_in_mbs_minus1
    (x264 High profile, no scaling matrix)."""
    r = Bits(unescape(sps[1:]))
    profile = r.u(8)
    r.u(16)
    r.ue()
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if r.ue() == 3:
            r.u(1)
        r.ue(), r.ue(), r.u(1)
        assert r.u(1) == 0, "scaling matrices not handled"
    r.ue()
    poc = r.ue()
    if poc == 0:
        r.ue()
    assert poc != 1, "POC type 1 not handled"
    r.ue(), r.u(1)
    return r.pos


def resize_sps(sps, width, height):
    """The same SPS (x264 High profile, no scaling matrix) claiming width x height, a
    multiple of 16, with no cropping; everything after the cropping fields is copied."""
    header, rbsp = sps[:1], unescape(sps[1:])
    r = Bits(rbsp)
    profile = r.u(8)
    r.u(16)
    r.ue()
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = r.ue()
        if chroma == 3:
            r.u(1)
        r.ue(), r.ue(), r.u(1)
        assert r.u(1) == 0, "scaling matrices not handled"
    r.ue()
    poc = r.ue()
    if poc == 0:
        r.ue()
    assert poc != 1, "POC type 1 not handled"
    r.ue(), r.u(1)
    before_size = r.pos
    r.ue(), r.ue()
    frame_mbs_only = r.u(1)
    assert frame_mbs_only == 1
    r.u(1)  # direct_8x8_inference_flag
    if r.u(1):
        r.ue(), r.ue(), r.ue(), r.ue()
    after_crop = r.pos
    all_bits = "".join(format(b, "08b") for b in rbsp)
    new_bits = (
        all_bits[:before_size]
        + ue_bits(width // 16 - 1)
        + ue_bits(height // 16 - 1)
        + "1"  # frame_mbs_only_flag
        + "1"  # direct_8x8_inference_flag
        + "0"  # frame_cropping_flag
        + all_bits[after_crop:]
    )
    # Re-pad: the copied tail ends with the original stop bit and zero padding.
    new_bits = new_bits.rstrip("0")
    new_bits += "0" * (-len(new_bits) % 8)
    out = bytes(int(new_bits[i : i + 8], 2) for i in range(0, len(new_bits), 8))
    return header + escape(out)


def sps_of(avcc):
    length = struct.unpack(">H", avcc[6:8])[0]
    return avcc[8 : 8 + length]


def with_sps(avcc, sps):
    length = struct.unpack(">H", avcc[6:8])[0]
    return avcc[:6] + struct.pack(">H", len(sps)) + sps + avcc[8 + length :]


# --- the base file -------------------------------------------------------------------------


def make_base(path, extra=()):
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi",
         "-i", "testsrc2=size=64x64:rate=10:duration=1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "5", "-an",
         "-map_metadata", "-1", "-fflags", "+bitexact", *extra, path],
        check=True,
    )
    with open(path, "rb") as f:
        return f.read()


def fullbox_count(payload, count, count_at=4):
    """`payload` with its entry count (after version/flags) replaced."""
    return payload[:count_at] + struct.pack(">I", count) + payload[count_at + 4 :]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        base = make_base(os.path.join(tmp, "base.mp4"))
        faststart = make_base(os.path.join(tmp, "fast.mp4"), ["-movflags", "+faststart"])

    files = {}

    def variant(name, edit):
        boxes = parse_boxes(base)
        moov = next(b for b in boxes if b.kind == b"moov")
        result = edit(boxes, moov)
        files[name] = result if isinstance(result, bytes) else encode_file(boxes)

    def stbl(moov):
        return moov.find(b"trak", b"mdia", b"minf", b"stbl")

    def table(moov, kind):
        return next(c for c in stbl(moov).children if c.kind == kind)

    def mdat_offset(boxes):
        pos = 0
        for b in boxes:
            if b.kind == b"mdat":
                return pos + 8
            pos += len(b.encode())

    files["control-valid-64x64.mp4"] = base

    # --- finding 1: sample-table count bombs -------------------------------------------------

    def stsc_bomb(boxes, moov, stsz_table):
        # 1000 chunks, all at the start of mdat, 10 000 samples each: 10^7 one-byte samples
        # that all fit in the first 10 kB of "data", claimed by a few kB of tables.
        data = mdat_offset(boxes)
        table(moov, b"stco").head = b"\0\0\0\0" + struct.pack(">I", 1000) + struct.pack(">I", data) * 1000
        table(moov, b"stsc").head = b"\0\0\0\0" + struct.pack(">IIII", 1, 1, 10_000, 1)
        if not stsz_table:
            table(moov, b"stsz").head = b"\0\0\0\0" + struct.pack(">II", 1, 10_000_000)

    variant("stsc-bomb-10M-one-byte-samples.mp4", lambda b, m: stsc_bomb(b, m, False))
    variant("stsc-bomb-10M-stsz-lists-10.mp4", lambda b, m: stsc_bomb(b, m, True))

    def count_bomb(kind, count, count_at=4):
        def edit(boxes, moov):
            box = table(moov, kind)
            box.head = fullbox_count(box.head, count, count_at)
        return edit

    variant("stsz-count-1e8.mp4", count_bomb(b"stsz", 100_000_000, 8))
    variant("stts-count-1e8.mp4", count_bomb(b"stts", 100_000_000))
    variant("stco-count-1e8.mp4", count_bomb(b"stco", 100_000_000))
    variant("stss-count-1e8.mp4", count_bomb(b"stss", 100_000_000))
    variant("stsc-count-1e8.mp4", count_bomb(b"stsc", 100_000_000))
    variant("stsd-count-1e8.mp4", count_bomb(b"stsd", 100_000_000))

    def elst_bomb(boxes, moov):
        elst = moov.find(b"trak", b"edts", b"elst")
        elst.head = fullbox_count(elst.head, 100_000_000)

    variant("elst-count-1e8.mp4", elst_bomb)

    # --- hostile box structures ---------------------------------------------------------------

    def trak_claims_4gb(boxes, moov):
        out = bytearray(encode_file(boxes))
        trak_at = out.index(b"trak") - 4
        out[trak_at : trak_at + 4] = struct.pack(">I", 0xFFFFFFF0)
        return bytes(out)

    variant("box-4gb-trak-in-moov.mp4", trak_claims_4gb)

    def stsz_claims_2_62(boxes, moov):
        # A 64-bit size (size field 1) of 2^62 on the stsz inside the stbl.
        out = bytearray(encode_file(boxes))
        at = out.index(b"stsz") - 4
        size = struct.unpack(">I", out[at : at + 4])[0]
        body = out[at + 8 : at + size]
        large = struct.pack(">I", 1) + b"stsz" + struct.pack(">Q", 1 << 62) + body
        out[at : at + size] = large
        return bytes(out)

    variant("box-2e62-stsz-64bit-size.mp4", stsz_claims_2_62)

    def top_level_4gb_before_moov(boxes, moov):
        # A `free` box with a 64-bit size of 4 GiB right after ftyp: moov is never reached.
        ftyp = boxes[0].encode()
        rest = encode_file(boxes[1:])
        free = struct.pack(">I", 1) + b"free" + struct.pack(">Q", 1 << 32)
        return ftyp + free + rest

    variant("box-4gb-top-level-free.mp4", top_level_4gb_before_moov)

    def mdat_claims_4gb(boxes, moov):
        out = bytearray(encode_file(boxes))
        at = out.index(b"mdat") - 4
        out[at : at + 4] = struct.pack(">I", 0xFFFFFFFF)
        return bytes(out)

    variant("box-4gb-mdat.mp4", mdat_claims_4gb)

    def trak_size_short(boxes, moov):
        # trak's size 16 bytes short: its last child runs past the end of its parent.
        out = bytearray(encode_file(boxes))
        at = out.index(b"trak") - 4
        size = struct.unpack(">I", out[at : at + 4])[0]
        out[at : at + 4] = struct.pack(">I", size - 16)
        return bytes(out)

    variant("box-child-overruns-trak.mp4", trak_size_short)

    def deep_nesting(boxes, moov, depth):
        # `depth` nested udta boxes appended to moov: 8 bytes a level.
        nested = b""
        for _ in range(depth):
            nested = struct.pack(">I", len(nested) + 8) + b"udta" + nested
        moov.children.append(Box(b"udta", nested[8:]))

    variant("nesting-10k-udta.mp4", lambda b, m: deep_nesting(b, m, 10_000))

    # --- finding 2: a lying SPS -----------------------------------------------------------------

    def avc1(moov):
        return stbl(moov).find(b"stsd").children[0]

    def avcc_box(moov):
        return avc1(moov).find(b"avcC")

    def set_entry_size(entry, width, height):
        # VisualSampleEntry: 6 reserved + 2 index + 16 pre_defined/reserved, then w, h.
        entry.head = entry.head[:24] + struct.pack(">HH", width, height) + entry.head[28:]

    def set_tkhd_size(moov, width, height):
        tkhd = moov.find(b"trak", b"tkhd")
        tkhd.head = tkhd.head[:-8] + struct.pack(">II", width << 16, height << 16)

    def lying_sps(width, height, container_too):
        def edit(boxes, moov):
            avcc = avcc_box(moov)
            avcc.head = with_sps(avcc.head, resize_sps(sps_of(avcc.head), width, height))
            if container_too:
                set_entry_size(avc1(moov), width, height)
                set_tkhd_size(moov, width, height)
        return edit

    variant("sps-16000x16000-in-64x64-container.mp4", lying_sps(16000, 16000, False))
    variant("sps-8192x4608-in-64x64-container.mp4", lying_sps(8192, 4608, False))
    variant("sps-8192x4608-everywhere.mp4", lying_sps(8192, 4608, True))

    def sample_offsets(moov):
        """(offset, size) of every sample, from stsc/stco/stsz."""
        stsc = table(moov, b"stsc").head
        runs = [struct.unpack(">III", stsc[8 + 12 * i : 20 + 12 * i]) for i in range(struct.unpack(">I", stsc[4:8])[0])]
        stco = table(moov, b"stco").head
        chunks = [struct.unpack(">I", stco[8 + 4 * i : 12 + 4 * i])[0] for i in range(struct.unpack(">I", stco[4:8])[0])]
        stsz = table(moov, b"stsz").head
        sizes = [struct.unpack(">I", stsz[12 + 4 * i : 16 + 4 * i])[0] for i in range(struct.unpack(">I", stsz[8:12])[0])]
        out, sample = [], 0
        for index, offset in enumerate(chunks):
            per_chunk = [n for first, n, _ in runs if first <= index + 1][-1]
            for _ in range(per_chunk):
                out.append((offset, sizes[sample]))
                offset += sizes[sample]
                sample += 1
        return out

    def inband_sps(boxes, moov):
        # The avcC is honest; every keyframe starts with an SPS claiming 16000x16000 (whichever
        # keyframe the pipeline decodes, the decoder would see it first).
        avcc = avcc_box(moov)
        big = resize_sps(sps_of(avcc.head), 16000, 16000)
        stss = table(moov, b"stss").head
        keyframes = [struct.unpack(">I", stss[8 + 4 * i : 12 + 4 * i])[0] - 1 for i in range(struct.unpack(">I", stss[4:8])[0])]
        offsets = sample_offsets(moov)
        out = bytearray(encode_file(boxes))
        for k in keyframes:
            at, size = offsets[k]
            first_len = struct.unpack(">I", out[at : at + 4])[0]
            # Overwrite the start of the sample's first NAL unit with the SPS, and turn the
            # rest of that NAL into a filler NAL unit (type 12) so the lengths still add up.
            assert first_len >= len(big) + 5
            filler_len = first_len - len(big) - 4
            out[at : at + 4 + first_len] = (
                struct.pack(">I", len(big)) + big
                + struct.pack(">I", filler_len) + b"\x0c" + b"\xff" * (filler_len - 1)
            )
        return bytes(out)

    variant("sps-inband-16000x16000.mp4", inband_sps)

    # --- finding 4: implausible durations and sizes --------------------------------------------

    def set_duration(box, version_at_0_duration_at, value):
        v0_at = version_at_0_duration_at
        box.head = box.head[:v0_at] + struct.pack(">I", value) + box.head[v0_at + 4 :]

    def duration_10h(boxes, moov):
        mvhd = moov.find(b"mvhd")
        timescale = struct.unpack(">I", mvhd.head[12:16])[0]
        set_duration(mvhd, 16, 10 * 3600 * timescale)
        set_duration(moov.find(b"trak", b"tkhd"), 20, 10 * 3600 * timescale)

    variant("duration-10h-mvhd-tkhd.mp4", duration_10h)

    def duration_136y_mvhd(boxes, moov):
        # Timescale 1 and 0xFFFFFFFE seconds (all ones would mean "unknown"): 136 years.
        mvhd = moov.find(b"mvhd")
        mvhd.head = mvhd.head[:12] + struct.pack(">II", 1, 0xFFFFFFFE) + mvhd.head[20:]
        set_duration(moov.find(b"trak", b"tkhd"), 20, 0xFFFFFFFE)

    variant("duration-136y-mvhd-tkhd.mp4", duration_136y_mvhd)

    def duration_136y_mdhd(boxes, moov):
        # Headers say 0 (unknown); the media header, as version 1, says 2^32 s.
        mvhd = moov.find(b"mvhd")
        set_duration(mvhd, 16, 0)
        set_duration(moov.find(b"trak", b"tkhd"), 20, 0)
        mdhd = moov.find(b"trak", b"mdia", b"mdhd")
        timescale = struct.unpack(">I", mdhd.head[12:16])[0]
        mdhd.head = (
            b"\x01\0\0\0" + struct.pack(">QQIQ", 0, 0, timescale, (1 << 32) * timescale)
            + mdhd.head[20:]
        )

    variant("duration-136y-mdhd.mp4", duration_136y_mdhd)

    def stts_10h(boxes, moov):
        # The sample table itself spans 10 hours: one sample lasting ~10 h.
        stts = table(moov, b"stts")
        mdhd = moov.find(b"trak", b"mdia", b"mdhd")
        timescale = struct.unpack(">I", mdhd.head[12:16])[0]
        count, delta = struct.unpack(">II", stts.head[8:16])
        stts.head = b"\0\0\0\0" + struct.pack(">IIIII", 2, count - 1, delta, 1, 10 * 3600 * timescale)

    variant("duration-10h-stts.mp4", stts_10h)

    def tkhd_8192(boxes, moov):
        set_tkhd_size(moov, 8192, 8192)

    variant("tkhd-8192x8192-on-64x64-stream.mp4", tkhd_8192)

    def avc1_8192(boxes, moov):
        set_entry_size(avc1(moov), 8192, 8192)
        set_tkhd_size(moov, 8192, 8192)

    variant("avc1-tkhd-8192x8192-on-64x64-stream.mp4", avc1_8192)

    # --- the same lies in Matroska, which only ffmpeg reads: ffprobe's report is checked --------

    def to_matroska(mp4):
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.mp4"), os.path.join(tmp, "out.mkv")
            with open(src, "wb") as f:
                f.write(mp4)
            subprocess.run(
                # -v fatal: remuxing the lying SPS makes ffmpeg's stream probe complain.
                ["ffmpeg", "-v", "fatal", "-y", "-nostdin", "-i", src, "-c", "copy",
                 "-map_metadata", "-1", "-fflags", "+bitexact", dst],
                check=True,
            )
            with open(dst, "rb") as f:
                return f.read()

    mkv = bytearray(to_matroska(base))
    # Segment Info / Duration (ID 0x4489, 8-byte float, in 1 ms timecode units): 10 hours.
    at = mkv.index(b"\x44\x89\x88")
    assert struct.unpack(">d", mkv[at + 3 : at + 11])[0] == 1000.0
    mkv[at + 3 : at + 11] = struct.pack(">d", 10 * 3600 * 1000.0)
    files["mkv-duration-10h.mkv"] = bytes(mkv)
    files["mkv-sps-8192x4608-everywhere.mkv"] = to_matroska(files["sps-8192x4608-everywhere.mp4"])

    # --- truncated and bit-flipped ------------------------------------------------------------

    files["truncated-inside-moov.mp4"] = base[: len(base) - 300]
    files["truncated-inside-mdat-faststart.mp4"] = faststart[: len(faststart) * 2 // 3]

    def flip(name, kind, offset_in_box, mask):
        out = bytearray(base)
        at = out.index(kind) - 4 + offset_in_box
        out[at] ^= mask
        files[name] = bytes(out)

    # Top bit of stsz's sample count: 2^31 + 10 samples listed in a 60-byte box.
    flip("bitflip-stsz-count.mp4", b"stsz", 16, 0x80)
    # Top bit of stco's first chunk offset: the samples point 2 GB past the end.
    flip("bitflip-stco-offset.mp4", b"stco", 16, 0x80)
    # One bit inside the SPS's pic_width_in_mbs_minus1 field: the exp-Golomb code grows and
    # everything after it shifts, so the SPS no longer matches the container (or parses).
    def flip_sps_width():
        boxes = parse_boxes(base)
        moov = next(b for b in boxes if b.kind == b"moov")
        sps = sps_of(avcc_box(moov).head)
        bit = size_field_bit(sps) + 2
        assert b"\0\0\3" not in sps[: 1 + bit // 8 + 1], "no emulation bytes before the field"
        out = bytearray(base)
        at = out.index(sps) + 1 + bit // 8
        out[at] ^= 0x80 >> (bit % 8)
        files["bitflip-sps-width.mp4"] = bytes(out)

    flip_sps_width()

    os.makedirs(OUT, exist_ok=True)
    total = 0
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        total += len(data)
        print(f"{len(data):8d}  {name}")
    print(f"{total:8d}  total, {len(files)} files")


if __name__ == "__main__":
    main()
