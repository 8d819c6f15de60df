#!/usr/bin/env bash
# The whole test suite on a fresh machine: venv + pinned packages + Debian's chromium, then ruff and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh all
if [ ! -x /usr/bin/chromium ]; then
  echo "fakescope: installing Debian's chromium for the browser tests" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
export PATH="$PWD/.venv/bin:$PATH" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 TF_CPP_MIN_LOG_LEVEL=3
.venv/bin/ruff check fakescope tests benchmarks
.venv/bin/ruff format --check fakescope tests benchmarks
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
