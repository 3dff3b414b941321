#!/usr/bin/env bash
# Benchmarks for the Creator API foundation (issue 2), each against its baseline on the same
# machine and disk:
#   1. upload of a 1 GiB MP4 through POST /upload-video vs `dd` writing 1 GiB (conv=fsync),
#      and the server's peak RSS growth during the upload;
#   2. range streaming (1 MiB ranges of that file, wrk, 8 connections) vs nginx serving the
#      same file;
#   3. GET /get-video-data under wrk with 64 connections: requests/s and p99.
# Needs: a release build of reelshare, curl, wrk, nginx (Debian packages). Usage:
#   cargo build --release && bench/creator-api/run.sh [path/to/reelshare]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/target/release/reelshare}
clips=${REELSHARE_SAMPLE_MEDIA:-$repo/../shared/media}
work=$(mktemp -d /var/tmp/reelshare-bench.XXXXXX)
chmod 755 "$work"  # nginx workers must read the served file
port=18181
nginx_port=18182
trap 'kill $server_pid 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

# A valid 1 GiB MP4: a real clip followed by a 1 GiB `free` box (skipped by players/parsers).
big="$work/big.mp4"
python3 - "$clips/clip-a.mp4" "$big" <<'PY'
import sys, struct
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
pad = (1 << 30) - len(data) - 16
with open(dst, 'wb') as f:
    f.write(data)
    f.write(struct.pack('>I', 1) + b'free' + struct.pack('>Q', pad + 16))
    chunk = b'\0' * (1 << 20)
    while pad > 0:
        n = min(pad, len(chunk)); f.write(chunk[:n]); pad -= n
PY
size=$(stat -c %s "$big")
echo "test file: $size bytes"

REELSHARE_MAX_UPLOAD_BYTES=2000000000 "$bin" serve --bind 127.0.0.1:$port --data-dir "$work/data" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -sf "127.0.0.1:$port/get-creator-data?creator_id=1" >/dev/null && break; sleep 0.2; done
rss_kib() { awk "/^$1:/ {print \$2}" /proc/$server_pid/status; }

echo "== 1. upload 1 GiB vs dd"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
dd_seconds=$( { /usr/bin/time -f %e dd if=/dev/zero of="$work/dd.bin" bs=1M count=1024 conv=fsync status=none; } 2>&1 )
rm -f "$work/dd.bin"
cat "$big" > /dev/null   # the client reads its file warm, as dd reads /dev/zero

rss_before=$(rss_kib VmRSS)
upload_seconds=$(curl -s -o "$work/upload.json" -w '%{time_total}' \
  -F creator_id=1 -F title=big -F "file=@$big;type=video/mp4" "127.0.0.1:$port/upload-video")
rss_peak=$(rss_kib VmHWM)
cat "$work/upload.json"; echo
python3 - "$dd_seconds" "$upload_seconds" "$size" "$rss_before" "$rss_peak"  <<'PY'
import sys
dd, up, size, before, peak = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
mib = size / 2**20
print(f"dd:     {dd:.2f} s  {mib/dd:.0f} MiB/s")
print(f"upload: {up:.2f} s  {mib/up:.0f} MiB/s   ratio upload/dd throughput = {dd/up:.2f} (target >= 0.8)")
print(f"server RSS before {before/1024:.1f} MiB, peak {peak/1024:.1f} MiB, growth {(peak-before)/1024:.1f} MiB (target <= 64)")
PY

echo "== 2. range streaming vs nginx (1 MiB ranges, 8 connections, 10 s)"
mkdir -p "$work/www"; cp "$big" "$work/www/big.mp4"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf"
cat > "$work/range.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local start = ((n * 7919) % 1000) * 1048576
  return wrk.format("GET", nil, { Range = "bytes=" .. start .. "-" .. (start + 1048575) })
end
LUA
wrk -t2 -c8 -d10s -s "$work/range.lua" "http://127.0.0.1:$nginx_port/big.mp4" | tee "$work/nginx.txt"
wrk -t2 -c8 -d10s -s "$work/range.lua" "http://127.0.0.1:$port/get-video?video_id=1" | tee "$work/reelshare.txt"
python3 - "$work/nginx.txt" "$work/reelshare.txt" <<'PY'
import sys, re
def rate(path):
    m = re.search(r"Requests/sec:\s+([\d.]+)", open(path).read()); return float(m.group(1))
n, r = rate(sys.argv[1]), rate(sys.argv[2])
print(f"nginx {n:.0f} req/s ({n:.0f} MiB/s), reelshare {r:.0f} req/s ({r:.0f} MiB/s): ratio {r/n:.2f} (target >= 0.8)")
PY

echo "== 3. /get-video-data, wrk, 64 connections, 10 s"
wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port/get-video-data?video_id=1"
