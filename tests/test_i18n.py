"""Every string shipped is in both catalogs, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import pick_locale

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
METHOD_MAP = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
OPTIONS = {"app/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def shipped_messages() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(locale: str) -> dict[object, object]:
    with (ROOT / "app" / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", ["de", "en"])
def test_every_shipped_string_is_translated(locale: str) -> None:
    entries = catalog(locale)
    missing = []
    for message in shipped_messages():
        translation = entries.get(message)
        if not translation or (isinstance(translation, tuple) and not all(translation)):
            missing.append(message)
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"


def test_german_placeholders_match() -> None:
    for message_id, translation in catalog("de").items():
        ids = message_id if isinstance(message_id, tuple) else (message_id,)
        forms = translation if isinstance(translation, tuple) else (translation,)
        wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        for form in forms:
            assert set(PLACEHOLDER.findall(str(form))) <= wanted, (message_id, form)


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, "de-DE,de;q=0.9,en;q=0.8", "de"),
        (None, "en-US,en;q=0.9,de;q=0.5", "en"),
        (None, "fr-FR, en;q=0.4, de;q=0.7", "de"),
        ("de", "en", "de"),
        (None, None, "de"),
        (None, "xx;q=abc", "de"),
    ],
)
def test_locale_negotiation(cookie: str | None, header: str | None, expected: str) -> None:
    assert pick_locale(cookie, header, "de") == expected
