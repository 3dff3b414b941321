#!/usr/bin/env bash
# The explore feed at 10^6 listed videos on PostgreSQL (issue 11), beside the same feed on
# SQLite measured in the same run (bench/explore/run.sh) as the baseline. A fresh schema of
# DATABASE_URL is migrated by `reelshare serve`, seeded with COUNT listed public videos by SQL
# (generate_series; rows only, the page reads no media), served again, and GET /video/explore/
# is measured under wrk: the first page and a page ~6 000 videos deep, 20 s at 16 connections
# each. Target: p99 <= 10 ms. The schema is dropped on exit.
# Needs: release builds of reelshare and the seed_explore example, psql, curl, wrk, python3:
#   cargo build --release -p server --bin reelshare --example seed_explore
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/explore/run-postgres.sh [COUNT] [target dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
count=${1:-1000000}
target=${2:-$repo/target/release}
db=${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL database}
schema="bench_explore_$$"
case "$db" in *\?*) sep='&' ;; *) sep='?' ;; esac
url="$db${sep}options=-c%20search_path%3D$schema"
work=$(mktemp -d /var/tmp/reelshare-explore-pg.XXXXXX)
port=18184
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  psql "$db" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

serve() {
  # As in run.sh: the projection's refresh slowed down so it does not compete for the cores.
  env -u DATABASE_URL REELSHARE_DATABASE_URL="$url" REELSHARE_PROJECTION_REFRESH_SECONDS=3600 REELSHARE_FFMPEG=disabled \
    "$target/reelshare" serve --bind 127.0.0.1:$port --data-dir "$work/data" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health_check" >/dev/null && return
    sleep 0.1
  done
  cat "$work/server.log" >&2
  exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

echo "=== SQLite baseline (bench/explore/run.sh $count) ==="
# (without DATABASE_URL, which reelshare would otherwise use instead of its SQLite file)
env -u DATABASE_URL "$here/run.sh" "$count" "$target"

echo "=== PostgreSQL ($(psql "$db" -Atc 'SHOW server_version')) ==="
psql "$db" -qc "CREATE SCHEMA $schema"
serve # migrates the schema and seeds the default creator (account 1), who owns every row
stop
echo "seeding $count listed videos (generate_series)"
start=$(date +%s.%N)
PGOPTIONS="-c search_path=$schema" psql "$db" -v ON_ERROR_STOP=1 -q <<SQL
-- One listing a second going back in time, two sharing each second, as seed_explore does.
INSERT INTO videos (hash_id, account_id, file_name, title, description, status, content_type,
                    size_in_bytes, duration_ms, width, height, uploaded_at, listed_at)
SELECT 'x' || lpad(i::text, 15, '0'), 1, 'seeded.mp4', 'Seeded video',
       'A row for the explore benchmark', 'ready', 'video/mp4', 1000000, 12000, 1080, 1920,
       now_us - (i / 2) * 1000000, now_us - (i / 2) * 1000000
FROM generate_series(0::bigint, $count - 1) AS i,
     (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us) AS now;
INSERT INTO video_stats (video_id) SELECT id FROM videos WHERE hash_id LIKE 'x%';
VACUUM ANALYZE videos;
VACUUM ANALYZE video_stats;
SQL
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "seeding took %.1f s\n", e - s }'
psql "$db" -Atc "SELECT 'table + indexes: ' || pg_size_pretty(pg_total_relation_size('$schema.videos'))"
serve

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
