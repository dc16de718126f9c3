"""The moderator's free texts split for layout: paragraphs and lines.

The report stores texts already split, so every export lays out the same paragraphs.
"""

from __future__ import annotations

import re


def paragraphs(text: str) -> tuple[str, ...]:
    """Blank lines separate paragraphs; single line breaks stay inside a paragraph."""
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return tuple(p.strip() for p in parts if p.strip())


def lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())
