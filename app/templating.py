"""Jinja2 environment: autoescape always on, i18n, and the helpers templates share.

No participant text is ever marked safe; fragments pushed over the WebSocket come from the
same templates as the page (``_push.html`` macros import the page partials).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app import i18n
from app.assets import StaticAssets
from app.csrf import current_csrf
from app.domain.cards import KINDS
from app.domain.consensus import LEVELS, GroupTally
from app.domain.topics import PHASES
from app.i18n import N_, content_locale, current_locale, gettext

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

KIND_LABELS = {
    "need": N_("Need"),
    "logic": N_("Logic of thinking and acting"),
    "idea": N_("Idea"),
    "question": N_("Question"),
    "example": N_("Example"),
    "concern": N_("Concern"),
}
KIND_HEADINGS = {
    "need": N_("Needs"),
    "logic": N_("Logics of thinking and acting"),
    "idea": N_("Ideas"),
    "question": N_("Questions"),
    "example": N_("Examples"),
    "concern": N_("Concerns"),
}
KIND_HINTS = {
    "need": N_("What does your group need to take part or to succeed?"),
    "logic": N_("How does your group think and act — what drives its decisions?"),
    "idea": N_("A proposal or a way forward."),
    "question": N_("Something the room should answer or find out."),
    "example": N_("A practice you know that shows how it can work."),
    "concern": N_("A risk or an objection to keep in view."),
}
LEVEL_LABELS = {
    "full": N_("Full support"),
    "reservations": N_("Support with reservations"),
    "stand_aside": N_("Stand aside"),
    "concerns": N_("Serious concerns"),
    "block": N_("Block"),
}
ACTION_LABELS = {
    "card.hide": N_("hid a card"),
    "card.restore": N_("restored a card"),
    "card.correct": N_("corrected a card's text"),
    "card.delete": N_("deleted a card"),
    "card.merge": N_("merged a duplicate card"),
    "card.move": N_("moved a card"),
    "cluster.create": N_("created a cluster"),
    "cluster.rename": N_("renamed a cluster"),
    "cluster.merge": N_("merged two clusters"),
    "cluster.dissolve": N_("dissolved a cluster"),
    "statement.create": N_("drafted a statement"),
    "statement.revise": N_("revised a statement"),
    "participant.lock": N_("paused a participant"),
    "participant.unlock": N_("resumed a participant"),
    "topic.options": N_("changed what the room sees"),
}
PHASE_LABELS = {
    "collect": N_("Collecting"),
    "cluster": N_("Clustering"),
    "vote": N_("Dot voting"),
    "consent": N_("Consent"),
    "closed": N_("Closed"),
}


def dom_id(kind: str, *parts: str) -> str:
    """The one stable element id of a swappable fragment, e.g. ``dom_id("card", id)``."""
    return "-".join((kind, *parts))


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS.get(kind, kind))


def kind_heading(kind: str) -> str:
    return gettext(KIND_HEADINGS.get(kind, kind))


def kind_hint(kind: str) -> str:
    return gettext(KIND_HINTS.get(kind, ""))


def phase_label(phase: str) -> str:
    return gettext(PHASE_LABELS.get(phase, phase))


def action_label(action: str) -> str:
    return gettext(ACTION_LABELS.get(action, action))


def level_label(level: str) -> str:
    return gettext(LEVEL_LABELS.get(level, level))


def level_summary(tally: GroupTally) -> str:
    """The text equivalent of a support bar, e.g. "Full support 3, Stand aside 1"."""
    return ", ".join(f"{level_label(level)} {n}" for level, n in tally.counts.items() if n)


def content_lang(locale: str | None = None) -> Markup:
    """`` lang="de"`` for workshop content whose language (``locale``, else the one being
    rendered: ``app.i18n.content_locale``) differs from the interface's; else nothing, so a
    German page of a German workshop carries no redundant attribute (WCAG 3.1.2)."""
    language = locale or content_locale.get()
    if not language or language == current_locale.get():
        return Markup("")
    return Markup(' lang="%s"') % language


def label_lang(group: object) -> Markup:
    """``content_lang()`` for a group label the moderator did not translate (``GroupView``)."""
    return content_lang() if getattr(group, "untranslated", False) else Markup("")


def content_locale_of(context: Mapping[str, Any]) -> str | None:
    """The workshop language of a page's context: its ``workshop``, or its board's."""
    for candidate in (context.get("workshop"), getattr(context.get("board"), "workshop", None)):
        locale = getattr(candidate, "locale", None)
        if isinstance(locale, str):
            return locale
    return None


def when(value: datetime) -> str:
    return format_datetime(value, "short", locale=current_locale.get())


def number(value: float, digits: int = 2) -> str:
    """A decimal in the reader's locale ("0,20" in German, "0.20" in English)."""
    return format_decimal(value, format=f"0.{'0' * digits}", locale=current_locale.get())


def percent(share: float) -> str:
    """A share as a whole percentage in the reader's locale ("75 %" in German, "75%" in English)."""
    return format_percent(share, locale=current_locale.get())


def make_env(assets: StaticAssets | None = None) -> Environment:
    """The environment; ``assets`` gives ``static_url()`` its content hashes (read now when
    not given, e.g. for the exports, which need no app)."""
    assets = assets or StaticAssets()
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    i18n.install(env)
    env.globals.update(
        dom_id=dom_id,
        kind_label=kind_label,
        kind_heading=kind_heading,
        kind_hint=kind_hint,
        phase_label=phase_label,
        when=when,
        content_lang=content_lang,
        label_lang=label_lang,
        locale=lambda: current_locale.get(),
        LOCALES=i18n.LOCALES,
        csrf_token=lambda: current_csrf.get(),
        KINDS=KINDS,
        LEVELS=LEVELS,
        level_label=level_label,
        action_label=action_label,
        level_summary=level_summary,
        PHASES=PHASES,
        static_url=assets.url,
    )
    env.filters.update(number=number, percent=percent)
    return env
