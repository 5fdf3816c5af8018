#!/usr/bin/env bash
# Set up (first time) and run the screening service.
#   ./scripts/run.sh                      lists downloaded from the official URLs
#   LISTS_DIR=DIR ./scripts/run.sh        lists read from an offline mirror folder
# Uses an embedded Redis unless REDIS_URL is set. Extra arguments go to `screening serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/screening serve "$@"
