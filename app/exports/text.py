"""Making participant text safe for each format without losing it.

Participant text is data: it must never become markup, a link, a formula or a layout
change in any export. Each format escapes in its own way (HTML by Jinja's autoescape, XML by
lxml); what they share is here:

* :func:`isolate` contains bidi controls (e.g. U+202E RIGHT-TO-LEFT OVERRIDE) inside the
  text they came with, so they cannot reverse the rest of a line or paragraph.
* :func:`xml_safe` replaces the few characters XML 1.0 cannot hold (U+FFFE, U+FFFF, lone
  C0 controls — input refuses most of them already) with U+FFFD, so DOCX/ODT never fail.
* :func:`md_escape` backslash-escapes Markdown so text stays text (no emphasis, links,
  images, HTML or autolinks).
* :func:`csv_cell` neutralises cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import re

# Embeddings and overrides are closed by PDF, isolates by PDI (UAX #9).
_OPENERS_PDF = frozenset("\u202a\u202b\u202d\u202e")  # LRE RLE LRO RLO
_OPENERS_PDI = frozenset("\u2066\u2067\u2068")  # LRI RLI FSI
PDF, PDI, FSI = "\u202c", "\u2069", "\u2068"
BIDI_CONTROLS = _OPENERS_PDF | _OPENERS_PDI | {PDF, PDI, "\u200e", "\u200f", "\u061c"}
_HAS_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def isolate(text: str) -> str:
    """``text`` unchanged unless it holds bidi controls; then wrapped in an isolate (FSI …
    PDI) with every embedding it opened closed again, and closers it never opened dropped
    (they would otherwise end the surrounding isolate early)."""
    if not _HAS_BIDI.search(text):
        return text
    out: list[str] = []
    stack: list[str] = []
    for ch in text:
        if ch in _OPENERS_PDF or ch in _OPENERS_PDI:
            stack.append(ch)
        elif ch == PDF:
            if not stack or stack[-1] not in _OPENERS_PDF:
                continue  # unmatched: dropped
            stack.pop()
        elif ch == PDI:
            if not any(o in _OPENERS_PDI for o in stack):
                continue  # unmatched: dropped
            while stack and stack.pop() not in _OPENERS_PDI:
                pass
        out.append(ch)
    closers = "".join(PDI if o in _OPENERS_PDI else PDF for o in reversed(stack))
    return FSI + "".join(out) + closers + PDI


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$@^])")
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def md_escape(text: str, *, line_start: bool = True) -> str:
    """Escape ``text`` for use inside a Markdown paragraph, list item or table cell.

    Every character that could start inline markup is backslash-escaped (``[`` ``]`` are,
    so ``(`` ``)`` and ``!`` cannot make a link or an image; ``<`` ``>`` are, so there is no
    HTML); an ``&`` that would start an entity is; ``://`` and ``www.`` are broken so no
    renderer autolinks them. At the start of a line (each continuation line, and the first
    one unless ``line_start=False``) list, heading and quote markers are escaped too.
    """
    out = []
    for index, line in enumerate(text.split("\n")):
        line = _MD_SPECIAL.sub(r"\\\1", line.strip())
        line = _MD_ENTITY.sub(r"\\&", line)
        line = line.replace("://", r"\:\/\/").replace("www.", r"www\.")
        if index > 0 or line_start:
            if line[:1] in ("-", "+", "=", ":"):
                line = "\\" + line
            line = re.sub(r"^(\d+)([.)])", r"\1\\\2", line)
        out.append(line)
    return "\n".join(out)


def md_lines(text: str, *, indent: str = "", table: bool = False, inline: bool = False) -> str:
    """Escaped text whose line breaks survive: hard breaks (backslash) in paragraphs and list
    items (continuation lines indented by ``indent``), `` / `` inside table cells.
    ``inline``: the text follows other text on its line (no block marker can start there)."""
    escaped = md_escape(isolate(text), line_start=not (inline or table)).split("\n")
    if table:  # a table cell is one line; no HTML, so a visible separator
        return " / ".join(line for line in escaped if line)
    return ("\\\n" + indent).join(line for line in escaped if line)


# Cells starting with these are formulas (or become formulas) in Excel, LibreOffice and
# Google Sheets; a leading apostrophe makes them text (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell's text: ``None`` is empty, booleans are ``true``/``false``, numbers stay
    numbers, and text that a spreadsheet would run as a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
