#!/usr/bin/env bash
# Mixed load against one reelshare node: uploads, feed reads and watch reports at once (see
# README.md). Needs a build of the server and of the load example; uses the release build when
# there is one (PROFILE=debug for the debug one).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PROFILE=${PROFILE:-release}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
CLIP=${CLIP:-$ROOT/../shared/media/clip-a.mp4}
[ -f "$CLIP" ] || CLIP=$ROOT/testdata/h264-high-bframes.mp4
PORT=${PORT:-18490}
SECONDS_=${DURATION_SECONDS:-60}
UPLOADERS=${UPLOADERS:-64}
READERS=${READERS:-16}
VIEWERS=${VIEWERS:-16}
DATA=$(mktemp -d)

cargo_flag=$([ "$PROFILE" = release ] && echo --release || true)
(cd "$ROOT" && cargo build -q $cargo_flag --bin reelshare --example load)

# The benchmark measures throughput, not the abuse limits: rate limits that would stop one
# client IP registering 64 accounts and uploading nonstop are off, and uploads wait for a
# processing slot instead of being turned away (each waits in the queue of 64).
REELSHARE_RATE_LIMIT_REGISTER_PER_IP=off REELSHARE_RATE_LIMIT_REGISTER_PER_ACCOUNT=off \
REELSHARE_RATE_LIMIT_UPLOAD_PER_IP=off REELSHARE_RATE_LIMIT_UPLOAD_PER_ACCOUNT=off \
REELSHARE_PROCESSING_QUEUE=$UPLOADERS RUST_LOG=warn \
  "$TARGET/reelshare" serve --bind "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health_check" >/dev/null && break
  sleep 0.2
done
echo "== $UPLOADERS uploaders ($(du -h "$CLIP" | cut -f1) $(basename "$CLIP")), $READERS explore readers, $VIEWERS viewers, ${SECONDS_} s ($PROFILE build, $(nproc) cores)"
"$TARGET/examples/load" "http://127.0.0.1:$PORT" "$CLIP" "$SECONDS_" "$UPLOADERS" "$READERS" "$VIEWERS"
echo "== peak server memory: $(grep VmHWM /proc/$PID/status)"
