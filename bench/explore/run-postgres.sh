#!/usr/bin/env bash
# The explore feed at 10^6 listed videos on PostgreSQL (issue 11), beside the same feed on
# SQLite measured in the same run as the baseline. For each backend a fresh database (a
# SQLite file in a temporary data directory; a fresh schema of DATABASE_URL) is migrated by
# `reelshare serve`, seeded with COUNT listed public videos by SQL (rows only, the page reads
# no media; the rows seed_explore makes), served again, and GET /video/explore/ is measured
# under wrk: the first page and a page ~6 000 videos deep, 20 s at 16 connections each.
# Target on PostgreSQL: p99 <= 10 ms. The schema is dropped on exit.
# Needs a build of reelshare (release by default), psql, sqlite3, curl, wrk and python3:
#   cargo build --release -p server --bin reelshare
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/explore/run-postgres.sh [COUNT] [target dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
count=${1:-1000000}
target=${2:-$repo/target/release}
db=${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL database}
schema="bench_explore_$$"
case "$db" in *\?*) sep='&' ;; *) sep='?' ;; esac
work=$(mktemp -d /var/tmp/reelshare-explore-pg.XXXXXX)
port=18184
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  psql "$db" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# serve DATA_DIR [DATABASE URL]: without DATABASE_URL, which reelshare would otherwise use
# instead of its SQLite file; the projection's refresh slowed down as in run.sh, so it does
# not compete for the cores.
serve() {
  env -u DATABASE_URL ${2:+REELSHARE_DATABASE_URL="$2"} REELSHARE_PROJECTION_REFRESH_SECONDS=3600 \
    REELSHARE_FFMPEG=disabled "$target/reelshare" serve --bind 127.0.0.1:$port --data-dir "$1" \
    >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health_check" >/dev/null && return
    sleep 0.1
  done
  cat "$work/server.log" >&2
  exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# The rows: one listing a second going back in time, two sharing each second, all owned by the
# default creator (account 1, made by the first start). $1: a SELECT of i from 0 to count-1;
# $2: now in unix microseconds; $3: i as 15 digits (a hash id is 16 URL-safe characters).
rows_sql() {
  cat <<SQL
INSERT INTO videos (hash_id, account_id, file_name, title, description, status, content_type,
                    size_in_bytes, duration_ms, width, height, uploaded_at, listed_at)
SELECT 'x' || $3, 1, 'seeded.mp4', 'Seeded video',
       'A row for the explore benchmark', 'ready', 'video/mp4', 1000000, 12000, 1080, 1920,
       $2 - (i / 2) * 1000000, $2 - (i / 2) * 1000000
FROM ($1) AS series;
INSERT INTO video_stats (video_id) SELECT id FROM videos WHERE hash_id LIKE 'x%';
SQL
}

measure() {
  local next=""
  for _ in $(seq 200); do
    next=$(curl -sf "http://127.0.0.1:$port/video/explore/?next=$next" |
      python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["next"] or ""))')
  done
  echo "deep cursor after 200 pages (6000 videos): ${next:0:24}…"
  echo "== first page =="
  wrk -t2 -c16 -d20s --latency "http://127.0.0.1:$port/video/explore/" | grep -E "Latency|50%|90%|99%|Requests/sec"
  echo "== page 201 =="
  wrk -t2 -c16 -d20s --latency "http://127.0.0.1:$port/video/explore/?next=$next" | grep -E "Latency|50%|90%|99%|Requests/sec"
}

now_us=$(($(date +%s) * 1000000))
timed() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "seeding took %.1f s\n", e - s }'; }

echo "=== SQLite $(sqlite3 --version | cut -d' ' -f1) (baseline), $count listed videos ==="
serve "$work/sqlite"
stop
seed_sqlite() {
  {
    echo "PRAGMA journal_mode = WAL; BEGIN;"
    rows_sql "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $count - 1) SELECT i FROM s" "$now_us" \
      "substr('000000000000000' || i, -15, 15)"
    echo "COMMIT; ANALYZE;"
  } | sqlite3 "$work/sqlite/reelshare.db" >/dev/null
}
timed seed_sqlite
echo "database file: $(stat -c %s "$work/sqlite/reelshare.db") bytes"
serve "$work/sqlite"
measure
stop

echo "=== PostgreSQL $(psql "$db" -Atc 'SHOW server_version' | cut -d' ' -f1), $count listed videos ==="
psql "$db" -qc "CREATE SCHEMA $schema"
url="$db${sep}options=-c%20search_path%3D$schema"
serve "$work/postgres" "$url"
stop
seed_postgres() {
  {
    rows_sql "SELECT i FROM generate_series(0::bigint, $count - 1) AS i" "$now_us" "lpad(i::text, 15, '0')"
    echo "VACUUM ANALYZE videos; VACUUM ANALYZE video_stats;"
  } | PGOPTIONS="-c search_path=$schema" psql "$db" -v ON_ERROR_STOP=1 -q
}
timed seed_postgres
psql "$db" -Atc "SELECT 'videos table + indexes: ' || pg_size_pretty(pg_total_relation_size('$schema.videos'))"
serve "$work/postgres" "$url"
measure
