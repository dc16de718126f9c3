"""German and English: Babel catalogs, the request's locale in a ContextVar.

The locale comes from the ``runde_lang`` cookie, then ``Accept-Language``, then a default
(the workshop's language where a page has one). Messages defined outside a request are
marked with :func:`N_` and translated where they are shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from babel import Locale
from babel.support import NullTranslations, Translations
from jinja2 import Environment

#: The languages Runde speaks. Settings and API schemas use the Literal; LOCALES is its runtime tuple.
LocaleCode = Literal["de", "en"]
LOCALES: tuple[str, ...] = get_args(LocaleCode)
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
LANG_COOKIE = "runde_lang"

current_locale: ContextVar[str] = ContextVar("current_locale", default="de")
#: The language of the workshop content being rendered (titles, cards, statements the people
#: typed): the workshop's ``locale``. Where it differs from ``current_locale`` (the interface),
#: templates mark that content with ``lang`` (WCAG 3.1.2, language of parts). None: no
#: workshop content, or a page that marks each item itself (the moderator's list of workshops).
content_locale: ContextVar[str | None] = ContextVar("content_locale", default=None)


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, **params: Any) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def pick_locale(cookie: str | None, accept_language: str | None, default: str) -> str:
    """Cookie first, then the q-ordered ``Accept-Language``, then ``default``."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        weighted: list[tuple[float, str]] = []
        for part in accept_language.split(","):
            lang, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                continue
            if lang and lang != "*":
                weighted.append((weight, lang.strip()))
        ordered = [lang for _, lang in sorted(weighted, key=lambda item: -item[0])]
        hit = Locale.negotiate(ordered, list(LOCALES), sep="-") if ordered else None
        if hit is not None:
            return str(hit)
    return default if default in LOCALES else "de"


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = current_locale.set(locale)
    try:
        yield
    finally:
        current_locale.reset(token)


@contextmanager
def use_content_locale(locale: str | None) -> Iterator[None]:
    token = content_locale.set(locale)
    try:
        yield
    finally:
        content_locale.reset(token)


def install(env: Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        lambda message, **kw: gettext(message, **kw),
        lambda s, p, n, **kw: ngettext(s, p, n, **kw),
        newstyle=True,
    )
