#!/usr/bin/env bash
# Resumable uploads with an independent client: sets up tuspy (setup.sh), then runs the
# ignored tests that upload fixtures through it, cut off and resumed again and again, and check
# the stored video has exactly the file's bytes. See bench/README.md, "Resumable uploads".
set -euo pipefail
cd "$(dirname "$0")/../.."
bench/tus/setup.sh
cargo test -p server --test api tus_client -- --ignored --nocapture
