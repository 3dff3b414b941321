#!/usr/bin/env bash
# The independent tus client for the resumable-upload tests: tuspy, pinned, in a virtualenv
# under target/ (reused across runs). The ignored test `tus_client` finds it there (or at
# REELSHARE_TUS_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/../.."
TUSPY_VERSION=1.1.0
VENV="${TUS_VENV:-target/tus-venv}"
if ! "$VENV/bin/python3" -c "import tusclient, importlib.metadata as m; assert m.version('tuspy') == '$TUSPY_VERSION'" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "tuspy==$TUSPY_VERSION"
fi
"$VENV/bin/python3" -c "import importlib.metadata as m; print('tuspy', m.version('tuspy'))"
