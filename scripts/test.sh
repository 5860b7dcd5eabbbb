#!/usr/bin/env bash
# Every check Kehu has: lint, format, types, migrations, then the test suite on SQLite and,
# when KEHU_TEST_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/postgres), again
# on PostgreSQL (pytest creates and drops its own test_… database there).
# The browser tests need Debian's chromium: installed with apt when missing and possible.
set -euo pipefail
cd "$(dirname "$0")/.."

KEHU_DEV=1 bash scripts/setup.sh

if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "==> Installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
      || echo "!!! apt-get could not install chromium; the browser tests will be skipped !!!"
  else
    echo "!!! /usr/bin/chromium is missing and apt-get is not available here (or not root):"
    echo "!!! THE BROWSER TESTS WILL BE SKIPPED. Install Debian's 'chromium' package to run them."
  fi
fi

# Tests never touch the data directory of a running Kehu.
KEHU_DATA_DIR=$(mktemp -d)
export KEHU_DATA_DIR
trap 'rm -rf "$KEHU_DATA_DIR"' EXIT
unset DATABASE_URL REDIS_URL KEHU_ENV

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy"
.venv/bin/mypy kehu
echo "==> migrations are complete"
.venv/bin/kehu makemigrations --check --dry-run
echo "==> translations and static files"
.venv/bin/kehu compiletranslations
.venv/bin/kehu collectstatic --noinput --verbosity 0

# The unit tests run on every core (pytest-xdist; KEHU_TEST_WORKERS=0 for one process), the
# browser tests after them, a file at a time per worker: each worker serves its own archive,
# which the tests of a file may build on. Exit status 5 means a selection (e.g. a path given as
# an argument) had no tests of that kind.
WORKERS=${KEHU_TEST_WORKERS:-auto}

echo "==> pytest on SQLite"
.venv/bin/pytest -n "$WORKERS" -m "not e2e" "$@" || [ $? -eq 5 ]
echo "==> browser tests (SQLite)"
.venv/bin/pytest -n "$WORKERS" --dist loadfile -m e2e "$@" || [ $? -eq 5 ]

if [ -n "${KEHU_TEST_POSTGRES_URL:-}" ]; then
  echo "==> pytest on PostgreSQL ($KEHU_TEST_POSTGRES_URL)"
  DATABASE_URL="$KEHU_TEST_POSTGRES_URL" .venv/bin/pytest -n "$WORKERS" --create-db -m "not e2e" "$@"
else
  echo "(KEHU_TEST_POSTGRES_URL is not set: the PostgreSQL pass is skipped)"
fi
