#!/usr/bin/env bash
# Durable view-event ingest on SQLite through HTTP, against SQLite's own batched insert rate
# on the same machine. See README.md. Needs a release build, wrk, sqlite3, curl and jq.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/reelshare}
CLIP=${CLIP:-$ROOT/../shared/media/clip-a.mp4}
PORT=${PORT:-18480}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
ROWS=${ROWS:-200000}
DATA=$(mktemp -d)

RUST_LOG=warn REELSHARE_ALLOW_ANONYMOUS_CREATOR_UPLOADS=true "$BIN" serve --bind "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/get-creator-data?creator_id=1" >/dev/null && break
  sleep 0.2
done
VIDEO_ID=$(curl -sf -F creator_id=1 -F title="Ingest benchmark clip" -F "file=@$CLIP" \
  "http://127.0.0.1:$PORT/upload-video" | jq .video_id)
HASH=$(sqlite3 "$DATA/reelshare.db" "SELECT hash_id FROM videos WHERE id = $VIDEO_ID")

echo "== HTTP ingest: wrk -t2 -c$CONNECTIONS -d$DURATION, one new viewer per request"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$HERE/views.lua" "http://127.0.0.1:$PORT" -- "$HASH"
sqlite3 "$DATA/reelshare.db" \
  "SELECT 'stored events: ' || COUNT(*) FROM view_events;
   SELECT 'qualified views in video_stats: ' || qualified_views FROM video_stats WHERE video_id = $VIDEO_ID;"

echo "== SQLite alone: $ROWS single-row INSERTs into the same table, 1000 per transaction"
DB="$DATA/raw.db"
sqlite3 "$DB" "PRAGMA journal_mode = WAL;" >/dev/null
sqlite3 "$DB" "CREATE TABLE view_events (id INTEGER PRIMARY KEY AUTOINCREMENT, video_id BIGINT NOT NULL,
  viewer TEXT NOT NULL, session_id TEXT NOT NULL, watched_seconds REAL NOT NULL, counted BIGINT NOT NULL,
  reason TEXT, at BIGINT NOT NULL, UNIQUE (video_id, viewer, session_id));"
awk -v rows="$ROWS" 'BEGIN {
  print "PRAGMA synchronous = NORMAL;";
  for (i = 0; i < rows; i++) {
    if (i % 1000 == 0) print "BEGIN;";
    printf "INSERT INTO view_events (video_id, viewer, session_id, watched_seconds, counted, reason, at) VALUES (1, %c:bench-%d%c, %cs%d%c, 5.0, 1, NULL, %d);\n", 39, i, 39, 39, i, 39, 1700000000000000 + i;
    if (i % 1000 == 999) print "COMMIT;";
  }
  if (rows % 1000 != 0) print "COMMIT;";
}' >"$DATA/inserts.sql"
START=$(date +%s.%N)
sqlite3 "$DB" <"$DATA/inserts.sql"
END=$(date +%s.%N)
awk -v s="$START" -v e="$END" -v n="$ROWS" 'BEGIN { printf "%d rows in %.3f s: %.0f rows/s\n", n, e - s, n / (e - s) }'
