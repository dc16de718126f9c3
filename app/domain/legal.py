"""Legal pages: imprint, privacy notice and accessibility statement, from Markdown files.

An instance puts its own texts into ``RUNDE_LEGAL_DIR`` (``<name>.<locale>.md``); a missing
file falls back to the default shipped in ``app/legal/``. Markdown is rendered with
markdown-it-py (CommonMark with tables) with raw HTML off (it is escaped) and only safe link
schemes and no images, so a text file cannot put script, markup or a request to another
server into the page.
``docs/privacy.md`` lists the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from markdown_it import MarkdownIt
from markupsafe import Markup

from app.domain.errors import NotFound
from app.i18n import LOCALES, N_

LegalName = Literal["imprint", "privacy", "accessibility"]
LEGAL_PAGES: tuple[str, ...] = get_args(LegalName)
DEFAULTS = Path(__file__).resolve().parent.parent / "legal"

# "js-default": CommonMark plus tables (the cookie list is one); raw HTML stays off.
# Images are off: a picture in a legal text would be a request to another server.
_markdown = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False}).disable("image")


@dataclass(frozen=True)
class LegalPage:
    name: str
    locale: str
    title: str
    html: Markup
    source: Path


def legal_source(*, name: str, locale: str, folder: Path | None) -> Path:
    """The file a page is read from: the instance's own, else the shipped default."""
    if name not in LEGAL_PAGES:
        raise NotFound(N_("This page does not exist."))
    lang = locale if locale in LOCALES else "de"
    if folder is not None:
        own = folder / f"{name}.{lang}.md"
        if own.is_file():
            return own
    return DEFAULTS / f"{name}.{lang}.md"


def legal_page(*, name: str, locale: str, folder: Path | None) -> LegalPage:
    source = legal_source(name=name, locale=locale, folder=folder)
    text = source.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), name)
    # markdown-it escapes raw HTML (html=False) and refuses javascript:/data: links itself.
    html = Markup(_markdown.render(text))  # noqa: S704 - markdown-it's output, raw HTML escaped
    return LegalPage(name=name, locale=locale, title=title, html=html, source=source)
