#!/usr/bin/env bash
# The explore feed at 10^6 listed videos on SQLite (issue 3): seeds a data directory with
# COUNT listed public videos (rows only; the page reads no media), serves it, and measures
# GET /video/explore/ under wrk: the first page, and a page deep in the feed (a cursor
# ~half-way down), each for 20 s with 16 connections. Target: p99 <= 5 ms.
# Needs: release builds of reelshare and the seed_explore example, curl, wrk, python3. Usage:
#   cargo build --release -p server --bin reelshare --example seed_explore
#   bench/explore/run.sh [COUNT] [target dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
count=${1:-1000000}
target=${2:-$repo/target/release}
work=$(mktemp -d /var/tmp/reelshare-explore.XXXXXX)
port=18183
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT

echo "seeding $count listed videos"
/usr/bin/time -f "seeding took %e s, peak RSS %M KiB" "$target/examples/seed_explore" "$work/data" "$count" | tail -1
ls -l "$work/data/reelshare.db" | awk '{print "database file:", $5, "bytes"}'

# The payout projection re-scores every listed video every few seconds by default; at 10^6
# videos that would compete with explore for the two cores, so it is slowed down here.
REELSHARE_PROJECTION_REFRESH_SECONDS=3600 REELSHARE_FFMPEG=disabled "$target/reelshare" serve --bind 127.0.0.1:$port --data-dir "$work/data" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health_check" >/dev/null && break; sleep 0.1; done

# A cursor half-way down: follow `next` for 200 pages from a cursor made at depth.
next=""
for _ in $(seq 200); do
  next=$(curl -sf "http://127.0.0.1:$port/video/explore/?next=$next" |
    python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["next"] or ""))')
done
echo "deep cursor after 200 pages (6000 videos): ${next:0:24}…"

echo "== first page =="
wrk -t2 -c16 -d20s --latency "http://127.0.0.1:$port/video/explore/" | grep -E "Latency|50%|90%|99%|Requests/sec"
echo "== page 201 =="
wrk -t2 -c16 -d20s --latency "http://127.0.0.1:$port/video/explore/?next=$next" | grep -E "Latency|50%|90%|99%|Requests/sec"
