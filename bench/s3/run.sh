#!/usr/bin/env bash
# Upload into S3 through reelshare and streaming from it, side by side with s3s-fs serving the
# same file directly (a signed PUT and GET with curl --aws-sigv4), in the same run.
#
#   cargo build --release && bench/s3/run.sh        # or: bench/s3/run.sh path/to/reelshare
#
# Needs curl (7.75+, for --aws-sigv4) and python3; s3s-fs is started (and installed if
# missing) by bench/s3/start.sh. SIZE_MIB sets the file size (default 256).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/target/release/reelshare}
clip=${CLIP:-$repo/testdata/h264-high-bframes.mp4}
size_mib=${SIZE_MIB:-256}
work=$(mktemp -d /var/tmp/reelshare-s3-bench.XXXXXX)
eval "$("$here/start.sh" --server-env)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
trap 'kill $server_pid "$REELSHARE_TEST_S3_PID" 2>/dev/null || true; rm -rf "$work" "$REELSHARE_TEST_S3_ROOT" "$REELSHARE_TEST_S3_ROOT.log"' EXIT

# A valid MP4: the clip followed by a `free` box up to the size.
big="$work/big.mp4"
python3 - "$clip" "$big" "$size_mib" <<'PY'
import sys, struct
src, dst, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
pad = (mib << 20) - len(data) - 16
with open(dst, 'wb') as f:
    f.write(data)
    f.write(struct.pack('>I', 1) + b'free' + struct.pack('>Q', pad + 16))
    chunk = b'\0' * (1 << 20)
    while pad > 0:
        n = min(pad, len(chunk)); f.write(chunk[:n]); pad -= n
PY
size=$(stat -c %s "$big")
cat "$big" >/dev/null
echo "test file: $size bytes; reelshare: $bin; s3s-fs: $REELSHARE_S3_ENDPOINT"

REELSHARE_ALLOW_ANONYMOUS_CREATOR_UPLOADS=true REELSHARE_MAX_UPLOAD_BYTES=4000000000 \
  "$bin" serve --bind 127.0.0.1:$port --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/health_check" >/dev/null && break; sleep 0.2; done

s3=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$REELSHARE_S3_ACCESS_KEY_ID:$REELSHARE_S3_SECRET_ACCESS_KEY"
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
direct="$REELSHARE_S3_ENDPOINT/reelshare/direct.mp4"

echo "== upload"
direct_put=$(curl -sf "${s3[@]}" -T "$big" -o /dev/null -w '%{time_total}' "$direct")
rss_kib() { awk "/^$1:/ {print \$2}" /proc/$server_pid/status; }
rss_before=$(rss_kib VmRSS)
upload=$(curl -sf -o "$work/upload.json" -w '%{time_total}' \
  -F creator_id=1 -F title=big -F "file=@$big;type=video/mp4" "127.0.0.1:$port/upload-video")
rss_peak=$(rss_kib VmHWM)
cat "$work/upload.json"; echo

echo "== streaming the whole file, 3 times each"
stream() { curl -sf "$@" -o /dev/null -w '%{time_total}\n'; }
direct_get=$(for _ in 1 2 3; do stream "${s3[@]}" "$direct"; done | sort -n | sed -n 2p)
via=$(for _ in 1 2 3; do stream -L "127.0.0.1:$port/get-video?video_id=1"; done | sort -n | sed -n 2p)
redirect=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "127.0.0.1:$port/get-video?video_id=1")

python3 - "$size" "$direct_put" "$upload" "$direct_get" "$via" "$rss_before" "$rss_peak" "$redirect" <<'PY'
import sys
size = int(sys.argv[1]) / 2**20
put, up, get, via = map(float, sys.argv[2:6])
before, peak = int(sys.argv[6]), int(sys.argv[7])
code, redirect = sys.argv[8].split()
print(f"upload:  s3s-fs PUT {put:.2f} s ({size/put:.0f} MiB/s), through reelshare {up:.2f} s "
      f"({size/up:.0f} MiB/s): ratio {put/up:.2f}")
print(f"         reelshare RSS before {before/1024:.1f} MiB, peak {peak/1024:.1f} MiB")
print(f"stream:  s3s-fs GET {get:.2f} s ({size/get:.0f} MiB/s), /get-video + redirect {via:.2f} s "
      f"({size/via:.0f} MiB/s): ratio {get/via:.2f} (median of 3)")
print(f"         the redirect alone: {code} in {float(redirect)*1000:.1f} ms")
PY
