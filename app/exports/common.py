"""Wording shared by every layout: labels, verdicts, dates, percentages, file names.

Everything here reads the current locale (``app.i18n.use_locale``); the exports switch to the
workshop's language before they lay the report out, whoever asks for it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from babel.dates import format_date
from babel.numbers import format_percent

from app.domain.consensus import LEVELS
from app.domain.report import (
    SECTION_LABELS,
    EarlierRevision,
    GroupSupport,
    Report,
    ReportCard,
    ReportStatement,
)
from app.exports.charts import Segment, segments
from app.exports.text import isolate
from app.i18n import current_locale, gettext, ngettext
from app.templating import kind_heading, kind_label, level_label

__all__ = ["LEVELS", "Labels", "content_disposition", "file_stem", "kind_heading", "kind_label", "level_label"]


class Labels:
    """The report's wording in the current locale; templates get one as ``x``."""

    kind_label = staticmethod(kind_label)
    kind_heading = staticmethod(kind_heading)
    level_label = staticmethod(level_label)
    isolate = staticmethod(isolate)
    levels = LEVELS

    def __init__(self, report: Report) -> None:
        self.report = report

    @staticmethod
    def section(key: str) -> str:
        return gettext(SECTION_LABELS.get(key, key))

    def date(self) -> str:
        if self.report.held_on:
            return self.report.held_on
        return format_date(self.report.created_at, "long", locale=current_locale.get())

    @staticmethod
    def percent(share: float | None) -> str:
        return "–" if share is None else format_percent(share, locale=current_locale.get())

    def threshold(self) -> str:
        return self.percent(self.report.threshold)

    @staticmethod
    def author(card: ReportCard) -> str:
        """ "Name, Organisation", one of them, or "" (anonymous workshops, moderators' cards)."""
        return ", ".join(part for part in (card.author, card.organization) if part)

    @staticmethod
    def person(author: str | None, organization: str | None) -> str:
        return ", ".join(part for part in (author, organization) if part)

    @staticmethod
    def verdict(statement: ReportStatement) -> str:
        if statement.consensus:
            return gettext("Consensus")
        if statement.ratings_count == 0:
            return gettext("Not rated yet")
        if statement.blocked:
            return gettext("Blocked")
        if statement.disagreement:
            return gettext("Open disagreement")
        return gettext("No consensus")

    @staticmethod
    def verdict_class(statement: ReportStatement) -> str:
        if statement.consensus:
            return "ok"
        if statement.blocked or statement.disagreement:
            return "bad"
        return "open"

    @staticmethod
    def support_figure(gs: GroupSupport) -> str:
        """ "3 of 4 (75 %)", or "no ratings"."""
        if not gs.ratings:
            return gettext("no ratings")
        share = Labels.percent(gs.share)
        return gettext("%(support)d of %(ratings)d (%(share)s)", support=gs.support, ratings=gs.ratings, share=share)

    @staticmethod
    def level_summary(gs: GroupSupport) -> str:
        """ "Full support 2, Serious concerns 1" — the text twin of a bar."""
        return ", ".join(f"{level_label(level)} {gs.counts[level]}" for level in LEVELS if gs.counts.get(level))

    @staticmethod
    def carried(gs: GroupSupport) -> str:
        if gs.carried is None:
            return ""
        return gettext("carries it") if gs.carried else gettext("does not carry it")

    @staticmethod
    def segments(gs: GroupSupport, width: float) -> list[Segment]:
        return segments(gs.counts, width)

    @staticmethod
    def also_named(card: ReportCard) -> str:
        """ "also named by Wirtschaft, Verwaltung & Politik" for a card that duplicates of other
        groups were merged into; "" otherwise."""
        others = []
        for g in card.merged_groups:
            if g.key != card.group.key and g.label not in others:
                others.append(g.label)
        return gettext("also named by %(groups)s", groups=", ".join(others)) if others else ""

    @staticmethod
    def ratings(n: int) -> str:
        return ngettext("%(num)d rating", "%(num)d ratings", n)

    def revision_note(self, e: EarlierRevision) -> str:
        """What follows an earlier version of a statement: "version 1, 12 ratings; revised to: …"."""
        return f"{gettext('version %(revision)d', revision=e.revision)}, {self.ratings(e.ratings_count)}; " + gettext(
            "revised to: %(text)s", text=e.current_text
        )

    @staticmethod
    def dots(n: int) -> str:
        return ngettext("%(num)d dot", "%(num)d dots", n)

    @staticmethod
    def participants(n: int) -> str:
        return ngettext("%(num)d participant", "%(num)d participants", n)

    @staticmethod
    def cards(n: int) -> str:
        return ngettext("%(num)d card", "%(num)d cards", n)

    @staticmethod
    def card_refs(numbers: tuple[int, ...]) -> str:
        return ", ".join(str(n) for n in numbers)

    def card_note(self, card: ReportCard) -> str:
        """What the appendix says about a card besides its text."""
        notes = []
        if card.merged_into is not None:
            notes.append(gettext("merged into no. %(number)d", number=card.merged_into))
        if card.cluster:
            notes.append(gettext("cluster: %(title)s", title=isolate(card.cluster)))
        if card.dots:
            notes.append(self.dots(card.dots))
        if card.edited:
            notes.append(gettext("edited"))
        if card.by_moderator:
            notes.append(gettext("posted by the moderation"))
        return "; ".join(notes)

    def page_of(self) -> tuple[str, str, str]:
        """The words around the page numbers ("Page ", " of ", ""), for CSS counters and
        Word fields: the translation of "Page {page} of {pages}" split at its fields."""
        text = gettext("Page {page} of {pages}")
        before, _, rest = text.partition("{page}")
        middle, _, after = rest.partition("{pages}")
        return before, middle, after

    def subtitle(self) -> str:
        return gettext("Consensus report")


def css_string(text: str) -> str:
    """A CSS string literal (for ``content:``) that cannot end the string or the <style>
    element it stands in: quotes, backslashes, ``<``, ``>``, ``&`` and controls become CSS
    escapes."""
    return '"' + re.sub(r'["\\<>&\x00-\x1f\x7f]', lambda m: f"\\{ord(m.group(0)):x} ", text) + '"'


def file_stem(report: Report) -> str:
    """An ASCII file name stem: ``runde-<title>`` with umlauts folded (ä → a)."""
    folded = unicodedata.normalize("NFKD", report.title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:60].strip("-")
    return f"runde-{slug or 'workshop'}"


def content_disposition(ascii_name: str, title: str, suffix: str) -> str:
    """``attachment`` with a safe ASCII ``filename`` and the real title as ``filename*``
    (RFC 6266 / RFC 5987)."""
    readable = re.sub(r'[\s\x00-\x1f\x7f/\\:*?"<>|]+', " ", title).strip()[:100].strip() or "runde"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(readable + suffix, safe='')}"
