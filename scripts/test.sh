#!/usr/bin/env bash
# Set up (first time) and run the whole test suite. Extra arguments go to pytest.
# Needs a Redis server at 127.0.0.1:6379 (or TEST_REDIS_URL); starts one if
# redis-server is installed and none answers. The embedded-Redis half of the
# suite needs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' -e clients/python
redis_up() {
  .venv/bin/python -c "import os, redis; redis.Redis.from_url(os.environ.get('TEST_REDIS_URL', 'redis://127.0.0.1:6379/0')).ping()" 2>/dev/null
}
if ! redis_up && [ -z "${TEST_REDIS_URL:-}" ] && command -v redis-server >/dev/null; then
  echo "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
fi
# Lint, format and type checks first: seconds, and a failure here names the line.
.venv/bin/ruff check --quiet service tests clients scripts
.venv/bin/ruff format --check --quiet service tests clients scripts
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest "$@"
