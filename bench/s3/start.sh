#!/usr/bin/env bash
# Starts s3s-fs, a real S3-compatible server that checks SigV4 signatures, on a free loopback
# port with a fresh root directory, installing it first when missing. Prints the environment
# the tests and `reelshare` read, as `export` lines:
#
#   eval "$(bench/s3/start.sh)"          # … then, when done:  kill "$REELSHARE_TEST_S3_PID"
#   eval "$(bench/s3/start.sh --server-env)"
#
# REELSHARE_TEST_S3_* configure the test suite (helpers.rs makes a fresh bucket per test);
# with --server-env, REELSHARE_STORAGE=s3 and the REELSHARE_S3_* twins also point a
# `reelshare serve` at the same server (bucket `reelshare`).
set -euo pipefail

# s3s-fs 0.14 is the last release that builds on Rust 1.95 (0.17 needs 1.96).
S3S_VERSION="${S3S_VERSION:-0.14.1}"
if ! command -v s3s-fs >/dev/null && [ ! -x "$HOME/.cargo/bin/s3s-fs" ]; then
  cargo install --locked s3s-fs --version "$S3S_VERSION" --features binary >&2
fi
S3S="$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")"

root="$(mktemp -d "${TMPDIR:-/tmp}/reelshare-s3.XXXXXX")"
mkdir -p "$root/reelshare"   # the bucket a `reelshare serve` uses
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
key="reelshare-test"
# Hex, so the secret never starts with `-` (s3s-fs would read it as an option: 1 run in 64
# failed that way with a base64url secret).
secret="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$S3S" --host 127.0.0.1 --port "$port" --access-key="$key" --secret-key="$secret" "$root" \
  >"$root.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$root.log" >&2; exit 1; }
  sleep 0.1
done
cat <<ENV
export REELSHARE_TEST_S3_PID=$pid
export REELSHARE_TEST_S3_ROOT=$root
export REELSHARE_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export REELSHARE_TEST_S3_ACCESS_KEY_ID=$key
export REELSHARE_TEST_S3_SECRET_ACCESS_KEY=$secret
export REELSHARE_TEST_S3_REGION=us-east-1
ENV
[ "${1:-}" = "--server-env" ] || exit 0
cat <<ENV
export REELSHARE_STORAGE=s3
export REELSHARE_S3_ENDPOINT=http://127.0.0.1:$port
export REELSHARE_S3_BUCKET=reelshare
export REELSHARE_S3_REGION=us-east-1
export REELSHARE_S3_ACCESS_KEY_ID=$key
export REELSHARE_S3_SECRET_ACCESS_KEY=$secret
export REELSHARE_S3_PATH_STYLE=true
ENV
