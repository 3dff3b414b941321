#!/usr/bin/env bash
# Regenerates the committed media fixtures in this directory from ffmpeg's synthetic lavfi
# sources (testsrc2 pictures, sine tones), so the test suite needs nothing outside the
# repository. See README.md for what each file is and which tests use it.
#
# Usage: testdata/make.sh   (from anywhere; writes next to this script)
#
# The flags are chosen for reproducible bytes: bit-exact muxing (no encoder version string,
# no creation time, no random Matroska UIDs), no metadata carried over, one encoder thread.
# The bytes still depend on the ffmpeg/x264/libvpx builds; README.md records the versions the
# committed files were made with. Tests pin properties (sizes, durations, codecs), not hashes,
# so regenerating with another ffmpeg should keep them passing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

ff() {
    ffmpeg -hide_banner -loglevel error -nostdin -y "$@"
}

# Reproducible container bytes.
exact=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
# Vertical phone-like H.264 in yuv420p, a keyframe every 2 s (never from scene cuts), so the
# keyframe nearest to duration/3 (the thumbnail) is not the first frame.
h264=(-c:v libx264 -pix_fmt yuv420p -preset medium -crf 36 -threads 1 -sc_threshold 0)
# Mono AAC at a low bitrate: present, as in a phone clip, but small.
aac=(-c:a aac -b:a 32k -ac 1 -ar 44100)

# picture SIZE RATE SECONDS [FILTER]: a testsrc2 input, optionally filtered.
picture() {
    local filter="testsrc2=size=$1:rate=$2:duration=$3"
    if [[ $# -ge 4 ]]; then filter="$filter,$4"; fi
    echo "$filter"
}
# tone FREQUENCY SECONDS: a sine input.
tone() {
    echo "sine=frequency=$1:sample_rate=44100:duration=$2"
}

# Constrained baseline: CAVLC, no B-frames. 6 s at 30 fps.
ff -f lavfi -i "$(picture 360x640 30 6)" -f lavfi -i "$(tone 440 6)" \
    "${h264[@]}" -profile:v baseline -g 60 -keyint_min 60 \
    "${aac[@]}" -movflags +faststart "${exact[@]}" h264-baseline.mp4

# Main: CABAC, no B-frames. 8 s at 24 fps, hue turned so the picture differs.
ff -f lavfi -i "$(picture 360x640 24 8 hue=h=120)" -f lavfi -i "$(tone 550 8)" \
    "${h264[@]}" -profile:v main -bf 0 -g 48 -keyint_min 48 \
    "${aac[@]}" -movflags +faststart "${exact[@]}" h264-main.mp4

# High with B-frames (always 3 in a row, pyramid): composition offsets and an edit list,
# like a phone clip. 10 s at 30 fps, the longest fixture (watch tests report up to 9 s).
ff -f lavfi -i "$(picture 360x640 30 10 hue=h=240)" -f lavfi -i "$(tone 330 10)" \
    "${h264[@]}" -profile:v high -bf 3 -x264-params b-adapt=0:b-pyramid=normal \
    -g 60 -keyint_min 60 \
    "${aac[@]}" -movflags +faststart "${exact[@]}" h264-high-bframes.mp4

# The baseline clip's pictures stored sideways (640×360, turned 90° anticlockwise) with a
# display matrix saying "turn 90° clockwise to show": what a phone held upright writes.
# Same source, timing and keyframes as h264-baseline.mp4, so its upright thumbnail can be
# compared with that file's. ffmpeg 5.1 turns a `rotate` tag into a display matrix only on
# stream copy, and reads it as anticlockwise degrees: 270 anticlockwise = 90 clockwise.
# (Later ffmpeg versions set it with the input option `-display_rotation` instead.)
ff -f lavfi -i "$(picture 360x640 30 6 transpose=cclock)" -f lavfi -i "$(tone 440 6)" \
    "${h264[@]}" -profile:v baseline -g 60 -keyint_min 60 \
    "${aac[@]}" "${exact[@]}" "$scratch/sideways.mp4"
ff -i "$scratch/sideways.mp4" -map 0 -c copy -metadata:s:v:0 rotate=270 \
    -movflags +faststart "${exact[@]}" rotated-90.mp4
# Refuse to leave a rotated-90.mp4 that is not rotated (the tag's meaning changed over
# ffmpeg versions): ffprobe reports display matrices anticlockwise, so -90.
rotation=$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation \
    -of default=noprint_wrappers=1:nokey=1 rotated-90.mp4)
if [[ $rotation != -90 ]]; then
    echo "rotated-90.mp4 has rotation '$rotation', expected -90 (90° clockwise)" >&2
    exit 1
fi

# h264-baseline.mp4 remuxed without +faststart: ftyp, mdat, then moov (same samples).
ff -i h264-baseline.mp4 -map 0 -c copy "${exact[@]}" moov-at-end.mp4

# moov-at-end.mp4 cut in the middle of its mdat: an upload that stopped early, before the
# moov was ever sent.
size=$(stat -c %s moov-at-end.mp4)
head -c $((size / 2)) moov-at-end.mp4 >truncated.mp4

# AAC only, in an .m4a (major brand M4A): an MP4 with no video track.
ff -f lavfi -i "$(tone 660 3)" "${aac[@]}" -movflags +faststart "${exact[@]}" audio-only.m4a

# VP9 in WebM, no audio: a container and codec only ffmpeg can read. 3 s at 30 fps.
ff -f lavfi -i "$(picture 360x640 30 3)" \
    -c:v libvpx-vp9 -pix_fmt yuv420p -b:v 150k -deadline good -cpu-used 4 -threads 1 \
    -row-mt 0 -g 60 "${exact[@]}" vp9.webm

ls -l ./*.mp4 ./*.m4a ./*.webm
