#!/usr/bin/env bash
# Install everything Kehu needs into the checkout: a virtual environment at .venv with the
# locked Python packages, and the locked front-end packages in node_modules. Idempotent and
# quick when nothing changed. KEHU_DEV=1 (the test command sets it) adds the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
lock=requirements.lock
[ "${KEHU_DEV:-0}" = 1 ] && lock=requirements-dev.lock

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtual environment in .venv"
  "$python" -m venv .venv
fi
stamp=".venv/.stamp-$(basename "$lock")-$(sha256sum "$lock" pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> Installing Python packages from $lock"
  # (grep drops the warnings some machines' pip configuration prints for every package)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock" \
    2> >(grep -v "is ignored: it is neither" >&2)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . \
    2> >(grep -v "is ignored: it is neither" >&2)
  rm -f .venv/.stamp-*; touch "$stamp"
fi

if ! command -v npm >/dev/null; then
  echo "npm is missing: install Node.js 20 or newer (it brings npm), then run this again." >&2
  exit 1
fi
npm_stamp="node_modules/.stamp-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$npm_stamp" ]; then
  echo "==> Installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$npm_stamp"
fi
