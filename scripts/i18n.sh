#!/bin/sh
# Extract every translatable string, merge it into the Dutch and English catalogs, and compile them.
#
#   scripts/i18n.sh          extract + update + compile, then list what Dutch still lacks
#   scripts/i18n.sh compile  compile only
#
# msgids are English. Keywords: _, gettext, ngettext (Babel's defaults), _l / lazy_gettext (lazy labels)
# and N_ (service error messages, translated where they are shown). babel.cfg lists the files.
# New strings arrive with an empty msgstr (no fuzzy guesses: they were wrong more often than right here).
# Translate every entry the script lists in marketplace/translations/nl/LC_MESSAGES/messages.po (the English
# catalog stays empty: the msgid is the English text), then run it again to compile.
# tests/unit/test_translations.py reads KEYWORDS below and fails while the catalogs are behind the code or a
# Dutch entry is empty, fuzzy or has other placeholders than its msgid.
set -eu
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYBABEL="$VENV/bin/pybabel"
PYTHON="$VENV/bin/python"
DIR=marketplace/translations
KEYWORDS="-k _l -k lazy_gettext -k N_"

if [ "${1:-}" != "compile" ]; then
    POT="$(mktemp "${TMPDIR:-/tmp}/srx-messages.XXXXXX")"
    trap 'rm -f "$POT"' EXIT
    # shellcheck disable=SC2086
    "$PYBABEL" -q extract -F babel.cfg $KEYWORDS --add-comments=Translators: --no-wrap \
        --project=SRX --copyright-holder="SRX" -o "$POT" .
    for lang in nl en; do
        "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$lang" --init-missing --ignore-obsolete --no-fuzzy-matching --no-wrap
    done
fi

"$PYBABEL" compile -d "$DIR" --statistics

# What Dutch still needs (fuzzy entries are not compiled: review them and remove the fuzzy flag).
"$PYTHON" - "$DIR/nl/LC_MESSAGES/messages.po" <<'PY'
import sys
from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as f:
    catalog = read_po(f)
todo = [(m, "fuzzy" if m.fuzzy else "untranslated") for m in catalog if m.id and (
    m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))]
for message, why in todo:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    print(f"nl {why}: {msgid!r}  ({where})")
if todo:
    print(f"{len(todo)} Dutch entries to translate in {sys.argv[1]}")
PY
