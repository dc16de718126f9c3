"""Fill missing catalog entries from a Python mapping (used for translation passes).

    python scripts/fill_catalog.py MAPPING.py        # German from MAPPING.DE; English = msgid

Keeps existing translations; only empty entries are filled. Exits 1 if any German entry
is still empty afterwards, listing it.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "app" / "locales"


def fill(locale: str, mapping: dict[object, object]) -> list[object]:
    path = LOCALES / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        empty = not all(message.string) if isinstance(message.string, tuple) else not message.string
        if not empty:
            continue
        if locale == "en":
            message.string = message.id  # English: the msgid itself (plural: both forms)
        elif message.id in mapping:
            message.string = mapping[message.id]
        else:
            missing.append(message.id)
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=76, omit_header=False)
    return missing


def main() -> None:
    mapping = runpy.run_path(sys.argv[1])["DE"] if len(sys.argv) > 1 else {}
    fill("en", {})
    missing = fill("de", mapping)
    for message_id in missing:
        print("MISSING", message_id)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
