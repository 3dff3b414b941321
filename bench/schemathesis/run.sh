#!/usr/bin/env bash
# Schema fuzzing: schemathesis against the server's own /openapi.json, as a registered user.
# Fails on any 5xx, any response that does not match the document (body schema, status code,
# content type). See bench/README.md, "Schema fuzzing".
#
#   bench/schemathesis/run.sh                  # bounded pass (CI): SCHEMATHESIS_MAX_EXAMPLES=10
#   SCHEMATHESIS_MAX_EXAMPLES=100 bench/schemathesis/run.sh
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES (per operation, default 10), SCHEMATHESIS_SEED
# (default 1), SCHEMATHESIS_VENV (default target/schemathesis-venv), SCHEMATHESIS_ARGS (extra
# arguments for `schemathesis run`).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-10}"
SEED="${SCHEMATHESIS_SEED:-1}"
VENV="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"

# 1. schemathesis, pinned, in a virtualenv reused across runs.
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# 2. the server, on a free loopback port with a fresh data directory.
cargo build -q --bin reelshare
DATA_DIR="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# The fuzzer sends thousands of requests from one IP as one account: the per-IP and
# per-account rate limits are switched off for this run (they would only answer 429, which
# the document allows but which hides the handlers behind the limiter). ffmpeg is not needed:
# generated uploads are never real videos.
for action in login register upload_form upload comment report; do
  upper="$(echo "$action" | tr '[:lower:]' '[:upper:]')"
  export "REELSHARE_RATE_LIMIT_${upper}_PER_IP=off" "REELSHARE_RATE_LIMIT_${upper}_PER_ACCOUNT=off"
done
export REELSHARE_FFMPEG=disabled REELSHARE_LOG_FORMAT=text
unset DATABASE_URL REELSHARE_DATABASE_URL

./target/debug/reelshare serve --bind "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log"; exit 1; }
  sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null

# 3. a user, its bearer token, and one video of theirs (so that operations taking an id reach
# their handlers instead of stopping at 404): the ids are handed to schemathesis as fixed
# parameter values in a config file.
REGISTERED="$(curl -fsS -X POST "$BASE/auth/register" -H 'content-type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzer-password-1","display_name":"Fuzzer"}')"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
TOKEN="$(field '["token"]' <<<"$REGISTERED")"
CREATOR_ID="$(field '["creator_id"]' <<<"$REGISTERED")"
USER_ID="$(field '["user_id"]' <<<"$REGISTERED")"
VIDEO_ID="$(curl -fsS -X POST "$BASE/upload-video" -H "Authorization: Bearer $TOKEN" \
  -F "creator_id=$CREATOR_ID" -F title=seed -F 'file=@testdata/h264-main.mp4;type=video/mp4' |
  field '["video_id"]')"
HASH_ID="$(curl -fsS "$BASE/video/my/" -H "Authorization: Bearer $TOKEN" | field '["videos"][0]["hash_id"]')"
cat >"$DATA_DIR/schemathesis.toml" <<TOML
[parameters]
"path.hash_id" = "$HASH_ID"
"query.hash_id" = "$HASH_ID"
"query.video_id" = $VIDEO_ID
"query.creator_id" = $CREATOR_ID
"path.user_id" = "$USER_ID"
"query.user_id" = "$USER_ID"
TOML

# 4. the fuzz run. Narrow exclusions, each a limit of the tool rather than of the server:
# - POST /auth/logout revokes the one token the whole run authenticates with, after which
#   every authenticated operation only sees 401 (tests/api covers logout).
# - one worker: schemathesis builds hypothesis strategies whose descriptions parse Python
#   source with `ast`, which CPython 3.11 does not do safely from several threads at once
#   ("SystemError: AST constructor recursion depth mismatch").
START=$SECONDS
status=0
# shellcheck disable=SC2086
"$VENV/bin/schemathesis" --no-color --config-file "$DATA_DIR/schemathesis.toml" run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --exclude-path /auth/logout \
  --request-timeout 30 \
  --suppress-health-check too_slow,filter_too_much \
  ${SCHEMATHESIS_ARGS:-} || status=$?
echo "schemathesis: exit $status after $((SECONDS - START))s (max examples $MAX_EXAMPLES, seed $SEED)"
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines) ---"
  tail -50 "$DATA_DIR/server.log"
fi
exit "$status"
