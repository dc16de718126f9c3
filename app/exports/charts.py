"""Support charts: one stacked bar per stakeholder group, as SVG segments (HTML, PDF) or a
small PNG (DOCX, ODT) drawn here with zlib + struct — no imaging library needed.

The colours are those of the live board (``.seg-*`` in ``app/static/css/runde.css``); every
chart is accompanied by its numbers in text, so nothing depends on colour alone. A thin dark
mark shows the workshop's consensus threshold.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import cache

from app.domain.consensus import LEVELS

LEVEL_COLORS: dict[str, str] = {
    "full": "#1e6b35",
    "reservations": "#6fb07f",
    "stand_aside": "#9aa3ad",
    "concerns": "#d98b1a",
    "block": "#a4262c",
}
TRACK_COLOR = "#eceff3"
MARK_COLOR = "#1b1f24"


@dataclass(frozen=True)
class Segment:
    level: str
    count: int
    x: float
    width: float
    color: str


def segments(counts: dict[str, int], width: float) -> list[Segment]:
    """The bar's segments, in consent-level order, scaled to ``width``."""
    total = sum(counts.get(level, 0) for level in LEVELS)
    out: list[Segment] = []
    x = 0.0
    if total == 0:
        return out
    for level in LEVELS:
        n = counts.get(level, 0)
        if n:
            w = round(width * n / total, 2)
            out.append(Segment(level=level, count=n, x=round(x, 2), width=w, color=LEVEL_COLORS[level]))
            x += w
    return out


def _rgb(color: str) -> bytes:
    return bytes.fromhex(color.lstrip("#"))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(rows: list[bytes], width: int) -> bytes:
    """An 8-bit RGB PNG from raw pixel rows (each ``3 * width`` bytes)."""
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) per row
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    )


@cache
def _bar_png(counts: tuple[tuple[str, int], ...], threshold: float | None, width: int, height: int) -> bytes:
    track = _rgb(TRACK_COLOR)
    pixels = [track] * width
    for seg in segments(dict(counts), width):
        start, end = round(seg.x), min(width, round(seg.x + seg.width))
        pixels[start:end] = [_rgb(seg.color)] * (end - start)
    row = b"".join(pixels)
    rows = [row] * height
    if threshold is not None:
        mark = min(width - 1, max(0, round(width * threshold)))
        dark = _rgb(MARK_COLOR)
        rows = [r[: mark * 3] + dark + r[mark * 3 + 3 :] for r in rows]
    return png(rows, width)


def bar_png(counts: dict[str, int], *, threshold: float | None = None, width: int = 240, height: int = 16) -> bytes:
    """A stacked support bar as PNG bytes (cached: many statements share the same counts)."""
    return _bar_png(tuple((level, counts.get(level, 0)) for level in LEVELS), threshold, width, height)


def swatch_png(color: str, size: int = 12) -> bytes:
    """A small square of one colour (legends and group marks in DOCX/ODT)."""
    return png([_rgb(color) * size] * size, size)
