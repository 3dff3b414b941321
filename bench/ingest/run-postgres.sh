#!/usr/bin/env bash
# Watch-report ingest through HTTP on PostgreSQL (issue 11), beside the same on SQLite in the
# same run as the baseline: for each backend, `reelshare serve` (release, RUST_LOG=warn) on a
# fresh SQLite data directory / a fresh schema of DATABASE_URL, one clip uploaded through the
# Creator API, then wrk with views.lua (every request a new viewer's counted 5 s watch), then
# what was stored. ROUNDS alternates the two backends that many times (the VM's speed drifts).
# Needs a release build, wrk, psql, sqlite3, curl and jq:
#   cargo build --release -p server --bin reelshare
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/ingest/run-postgres.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/reelshare}
CLIP=${CLIP:-$ROOT/../shared/media/clip-a.mp4}
[ -f "$CLIP" ] || CLIP=$ROOT/testdata/h264-high-bframes.mp4
PORT=${PORT:-18481}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-2}
DB=${DATABASE_URL:?DATABASE_URL must point at a PostgreSQL database}
case "$DB" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
WORK=$(mktemp -d)
PID=""
SCHEMAS=()
cleanup() {
  [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; } || true
  for s in "${SCHEMAS[@]}"; do psql "$DB" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ingest sqlite|postgres ROUND
ingest() {
  local backend=$1 data="$WORK/$1-$2" schema="bench_ingest_$$_$2" url="" query
  mkdir -p "$data"
  if [ "$backend" = postgres ]; then
    psql "$DB" -qc "CREATE SCHEMA $schema"
    SCHEMAS+=("$schema")
    url="$DB${SEP}options=-c%20search_path%3D$schema"
    query() { PGOPTIONS="-c search_path=$schema" psql "$DB" -Atc "$1"; }
  else
    query() { sqlite3 "$data/reelshare.db" "$1"; }
  fi
  if [ -n "$url" ]; then export REELSHARE_DATABASE_URL="$url"; else unset REELSHARE_DATABASE_URL; fi
  # Without DATABASE_URL, which reelshare would otherwise use instead of its SQLite file;
  # anonymous Creator API uploads (a development setting) so the script needs no token.
  env -u DATABASE_URL RUST_LOG=warn REELSHARE_ALLOW_ANONYMOUS_CREATOR_UPLOADS=true "$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$data" >"$data/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/health_check" >/dev/null && break
    sleep 0.2
  done
  local video_id hash
  video_id=$(curl -sf -F creator_id=1 -F title="Ingest benchmark clip" -F "file=@$CLIP" \
    "http://127.0.0.1:$PORT/upload-video" | jq .video_id)
  hash=$(query "SELECT hash_id FROM videos WHERE id = $video_id")
  echo "== $backend, round $2: wrk -t2 -c$CONNECTIONS -d$DURATION, one new viewer per request"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$HERE/views.lua" "http://127.0.0.1:$PORT" -- "$hash" |
    grep -E "Latency|requests in|Requests/sec|non-201"
  curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
    /^reelshare_watch_report_batch_size_sum/ { sum = $2 }
    /^reelshare_watch_report_batch_size_count/ { n = $2 }
    END { if (n > 0) printf "group commits: %d, mean batch %.1f reports\n", n, sum / n }'
  # Stopped first, so the requests still in flight when wrk ended are all counted.
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "stored events: $(query 'SELECT COUNT(*) FROM view_events');" \
    "qualified views in video_stats: $(query "SELECT qualified_views FROM video_stats WHERE video_id = $video_id")"
  unset REELSHARE_DATABASE_URL
}

echo "PostgreSQL $(psql "$DB" -Atc 'SHOW server_version'), synchronous_commit=$(psql "$DB" -Atc 'SHOW synchronous_commit'); $(nproc) cores"
for round in $(seq "$ROUNDS"); do
  ingest sqlite "$round"
  ingest postgres "$round"
done
