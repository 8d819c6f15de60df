#!/usr/bin/env bash
# Create .venv (if needed) and install fakescope with the given extras, pinned by constraints.txt.
# Usage: scripts/bootstrap.sh EXTRAS   (e.g. "widgets,eda" or "all"). Re-runs are no-ops unless inputs changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-all}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "fakescope: creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
stamp=".venv/.fakescope-$(echo "$extras" | tr ',' '-')"
digest=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "fakescope: installing .[${extras}] (pinned by constraints.txt)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[${extras}]"
  echo "$digest" > "$stamp"
fi
