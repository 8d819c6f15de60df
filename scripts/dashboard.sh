#!/usr/bin/env bash
# Start the detector dashboard (Voila) with the bundled model on http://127.0.0.1:8866.
# Extra arguments go to `fakescope dashboard` (e.g. --port 9000, --model path.onnx).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh widgets,eda
exec .venv/bin/fakescope dashboard "$@"
