"""Fill Dutch translations into the catalog from a YAML or JSON mapping {msgid: msgstr} (or [singular, plural]).

    .venv/bin/python scripts/translate.py translations.json

Only empty entries are filled; an entry that is already translated is left as it is. Then run scripts/i18n.sh
to compile. A helper for maintainers; the app does not use it.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = (
    Path(__file__).resolve().parent.parent
    / "marketplace"
    / "translations"
    / "nl"
    / "LC_MESSAGES"
    / "messages.po"
)


def main(path: str) -> int:
    mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f, locale="nl")
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if not key or key not in mapping:
            continue
        current = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(current):
            continue
        value = mapping[key]
        message.string = tuple(value) if isinstance(message.id, tuple) else value
        message.flags.discard("fuzzy")
        filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True)
    print(f"filled {filled} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
