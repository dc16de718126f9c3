#!/usr/bin/env bash
# Extract every message, update the de/en catalogs and compile them.
#   scripts/i18n.sh          extract + update + compile (after changing strings)
#   scripts/i18n.sh compile  compile only
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
if [ "${1:-}" != "compile" ]; then
  "$PYBABEL" extract -F babel.cfg --no-location --sort-output -k N_ -o app/locales/messages.pot . >/dev/null
  for lang in de en; do
    if [ -f "app/locales/$lang/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" update -i app/locales/messages.pot -d app/locales -l "$lang" --no-fuzzy-matching --ignore-obsolete >/dev/null
    else
      "$PYBABEL" init -i app/locales/messages.pot -d app/locales -l "$lang" >/dev/null
    fi
  done
fi
"$PYBABEL" compile -d app/locales --statistics
