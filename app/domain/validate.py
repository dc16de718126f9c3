"""Shared input rules: trimmed text within limits, no control characters, valid UTF-8."""

from __future__ import annotations

import re

from app.domain.errors import Invalid
from app.i18n import N_

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(
    value: str | None,
    *,
    field: str,
    max_len: int,
    min_len: int = 1,
    multiline: bool = True,
) -> str:
    """Trim ``value`` and check its length; raise :class:`Invalid` with a readable message."""
    raw = value or ""
    # Control characters are refused wherever they are: str.strip() would otherwise drop the
    # ones Python counts as whitespace (U+001C–U+001F) at either end without a word.
    if _CONTROL.search(raw):
        raise Invalid(N_("The text contains control characters."), field=field)
    text = raw.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(N_("The text contains characters that cannot be stored."), field=field) from exc
    if not multiline and ("\n" in text or "\r" in text):
        raise Invalid(N_("The text contains control characters."), field=field)
    if len(text) < min_len:
        if min_len == 1:
            raise Invalid(N_("Please fill in this field."), field=field)
        raise Invalid(N_("Please enter at least %(min)d characters."), field=field, min=min_len)
    if len(text) > max_len:
        raise Invalid(
            N_("Please keep this to %(max)d characters (it has %(length)d)."),
            field=field,
            max=max_len,
            length=len(text),
        )
    return text


def whole_number(text: str, *, field: str) -> int | None:
    """A form's whole number: blank means "unchanged" (None); anything else must be digits."""
    value = text.strip()
    if not value:
        return None
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 9:
        raise Invalid(N_("Please enter a whole number."), field=field)
    return int(value)


def checkbox(text: str, *, field: str) -> bool:
    """A form's checkbox: "on" when ticked, nothing when not; any other value is refused."""
    if text not in ("", "on"):
        raise Invalid(N_("Tick the box or leave it empty."), field=field)
    return text == "on"
