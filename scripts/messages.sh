#!/usr/bin/env bash
# Refresh the Simplified Chinese catalogue kehu/locale/zh_Hans/LC_MESSAGES/django.po from the
# source strings (Python and templates; tests are skipped). Existing translations are kept
# (makemessages merges with msgmerge); entries for strings that no longer exist are dropped.
# New strings come in untranslated: translate them, then `.venv/bin/kehu compiletranslations`.
# Needs GNU gettext (xgettext, msgmerge, msgattrib) and the virtual environment (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Django needs a data directory to load its settings; never touch the real one.
KEHU_DATA_DIR=$(mktemp -d)
export KEHU_DATA_DIR
trap 'rm -rf "$KEHU_DATA_DIR"' EXIT

# Run from the package so only kehu/ is scanned and the catalogue lands in kehu/locale.
cd kehu
"$root/.venv/bin/kehu" makemessages --locale zh_Hans --no-location --no-obsolete \
  --ignore 'tests/*' "$@"
