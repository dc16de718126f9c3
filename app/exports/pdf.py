"""PDF export: Typst lays out ``app/exports/typst/report.typ`` — a tagged PDF/UA-1 document
that is also PDF/A-2a, in the workshop's language, A4 with "Seite X von Y" / "Page X of Y".

The walk is :class:`app.exports.sections.SectionWriter`'s, like Markdown, DOCX and ODT: this
module turns it into a list of blocks (plain JSON: kinds, strings, numbers, colours) and the
template only lays the blocks out. Participant and moderator text reaches Typst only as data
— one JSON string passed through the compiler's ``sys.inputs`` and read with ``json()`` —
and is shown as text; it is never pasted into Typst markup, so ``#read("/etc/passwd")``,
``#import``, ``]``, ``*``, ``$``, ``@ref`` or ``<label>`` print as they were typed.

The compiler's root is the template's own folder (the only files Typst may read), the
template imports no package (nothing is ever fetched; a test checks the template), and the
fonts are DejaVu Sans where installed (fonts-dejavu-core) with Typst's embedded Libertinus
Serif as the fallback, plus Noto Color Emoji where installed. Laying out is CPU-bound: the
route runs :func:`app.exports.export_render` in a worker thread (Typst releases nothing to
Python, so the event loop keeps serving the live board meanwhile; ``docs/performance.md``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.report import EarlierRevision, Report, ReportCard, ReportStatement
from app.domain.report.model import GroupParticipation, ReportCluster
from app.exports.charts import LEVEL_COLORS, MARK_COLOR, TRACK_COLOR, segments
from app.exports.common import Labels
from app.exports.sections import SectionWriter
from app.exports.text import isolate
from app.i18n import gettext

if TYPE_CHECKING:
    import typst

TEMPLATE_DIR = Path(__file__).resolve().parent / "typst"
TEMPLATE = TEMPLATE_DIR / "report.typ"
#: PDF/UA-1 (accessibility) together with PDF/A-2a (archiving; "a": tagged and Unicode-mapped,
#: which UA needs anyway). Typst 0.15 cannot combine UA-1 with PDF/A-4 (PDF 2.0).
PDF_STANDARDS: tuple[typst.PDFStandard, ...] = ("ua-1", "a-2a")
VERDICT_COLORS = {"ok": "#1e6b35", "bad": "#a4262c", "open": "#0b3d6e"}

_lock = threading.Lock()
log = logging.getLogger("runde.exports")


@cache
def _fonts() -> Any:
    """The fonts Typst may use: its embedded ones and the system's (scanned once)."""
    import typst

    return typst.Fonts(include_system_fonts=True, include_embedded_fonts=True)


def _t(text: str) -> str:
    """Participant or moderator text as the template gets it: bidi controls isolated."""
    return isolate(text)


class _Writer(SectionWriter):
    """Collects the report as blocks for ``report.typ`` (one dict per block, key ``t``)."""

    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.blocks: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> None:
        self.blocks.append({"t": kind, **fields})

    # --- primitives ----------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        facts = [[gettext("Date"), x.date()]]
        if r.place:
            facts.append([gettext("Place"), r.place])
        if r.moderators:
            facts.append([gettext("Moderation"), r.moderators])
        facts.append([gettext("Participants"), str(r.participants_total)])
        facts.append([gettext("Consensus threshold"), x.threshold()])
        self.add("head", org=r.organization_name, kicker=x.subtitle(), facts=facts)

    def heading(self, text: str, level: int) -> None:
        self.add("h", text=_t(text), level=level)

    def para(self, text: str) -> None:
        self.add("p", text=_t(text))

    def note(self, text: str) -> None:
        self.add("note", text=text)

    def label(self, text: str) -> None:
        self.add("label", text=text)

    def quote(self, text: str) -> None:
        self.add("quote", text=_t(text))

    def legend(self) -> None:
        self.add(
            "legend",
            items=[[LEVEL_COLORS[level], self.x.level_label(level)] for level in self.x.levels],
            threshold=gettext("threshold %(share)s", share=self.x.threshold()),
        )

    def page_break(self) -> None:
        self.add("pagebreak")

    def text_list(self, texts: Iterable[str]) -> None:
        self.add("list", items=[{"text": _t(t)} for t in texts])

    def numbered_list(self, texts: Iterable[str]) -> None:
        self.add("enum", items=[{"text": _t(t)} for t in texts])

    def organization_list(self, participation: Sequence[GroupParticipation]) -> None:
        items = []
        for p in participation:
            rest = f" ({self.x.participants(p.joined)})"
            if p.organizations:
                rest += ": " + _t(", ".join(p.organizations))
            items.append({"strong": _t(p.group.label), "color": p.group.color, "text": rest})
        self.add("list", items=items)

    def participation(self) -> None:
        self.heading(self.x.section("participation"), 1)
        rows = [
            [_t(p.group.label), str(p.joined), str(p.cards), str(p.dots), str(p.ratings)] for p in self.r.participation
        ]
        totals = [sum(getattr(p, f) for p in self.r.participation) for f in ("joined", "cards", "dots", "ratings")]
        self.add(
            "numbers",
            caption=self.x.section("participation"),
            head=[
                gettext("Stakeholder group"),
                gettext("Joined"),
                gettext("Cards"),
                gettext("Dots"),
                gettext("Ratings"),
            ],
            rows=rows,
            foot=[gettext("Total"), *map(str, totals)],
        )

    def card_item(self, card: ReportCard, *, with_group: bool = True) -> dict[str, Any]:
        meta = [_t(card.group.label)] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(_t(who))
        meta.append(gettext("no. %(number)d", number=card.number))
        also = self.x.also_named(card)
        if also:
            meta.append(_t(also))
        return {"text": _t(card.text), "meta": " · ".join(meta)}

    def card_list(self, cards: Sequence[ReportCard], *, with_group: bool = True) -> None:
        self.add("list", items=[self.card_item(c, with_group=with_group) for c in cards])

    def cluster_list(self, clusters: Sequence[ReportCluster]) -> None:
        x = self.x
        items = []
        for cl in clusters:
            text = " — " + x.dots(cl.dots)
            if cl.dots_by_group:
                text += " (" + ", ".join(f"{_t(g.label)} {k}" for g, k in cl.dots_by_group) + ")"
            meta = ""
            if cl.cards:
                meta = f"{x.cards(len(cl.cards))}: {x.card_refs(tuple(c.number for c in cl.cards))}"
            items.append({"strong": _t(cl.title), "text": text, "meta": meta})
        self.add("list", items=items)

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:  # the verdict says "Blocked"; say both
            flags.append(gettext("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(gettext("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(gettext("version %(revision)d", revision=s.revision))
        support = []
        if s.ratings_count:
            for gs in s.support:
                summary = x.level_summary(gs)
                support.append(
                    {
                        "group": _t(gs.group.label),
                        "color": gs.group.color,
                        "figure": x.support_figure(gs),
                        "carried": x.carried(gs),
                        "summary": summary,
                        # Fractions of the bar's width; the figure's alternative text says the numbers.
                        "segments": [[seg.color, seg.width] for seg in segments(gs.counts, 1.0)],
                        "alt": gettext(
                            "Chart for %(group)s: %(summary)s", group=isolate(gs.group.label), summary=summary
                        )
                        if summary
                        else gettext("no ratings"),
                    }
                )
        dissent = [
            {
                "level": x.level_label(d.level),
                "color": LEVEL_COLORS.get(d.level, "#1b1f24") if d.level == "block" else "#8a4b00",
                "who": ", ".join(filter(None, [_t(d.group.label), _t(x.person(d.author, d.organization))])),
                "reason": _t(d.reason),
            }
            for d in s.dissent
        ]
        conditions = [
            {
                "who": ", ".join(filter(None, [_t(d.group.label), _t(x.person(d.author, d.organization))])),
                "reason": _t(d.reason),
            }
            for d in s.conditions
        ]
        self.add(
            "statement",
            n=n,
            text=_t(s.text),
            flags=flags,
            verdict=x.verdict_class(s),
            color=VERDICT_COLORS[x.verdict_class(s)],
            details=" · ".join(details),
            support_caption=gettext("Support per stakeholder group"),
            support_head=[gettext("Stakeholder group"), gettext("Support"), gettext("Chart"), gettext("Ratings")],
            support=support,
            conditions_label=gettext("Conditions given with support with reservations"),
            conditions=conditions,
            dissent_label=gettext("Concerns and blocks, with their reasons"),
            dissent=dissent,
        )

    def appendix_cards(self, cards: Sequence[ReportCard]) -> None:
        x = self.x
        items = []
        for c in cards:
            meta = " · ".join(m for m in (_t(c.group.label), _t(x.author(c)), x.card_note(c)) if m)
            items.append({"no": c.number, "kind": x.kind_label(c.kind), "text": _t(c.text), "meta": meta})
        self.add("cards", items=items)

    def revision_list(self, revisions: Sequence[EarlierRevision]) -> None:
        self.add(
            "list",
            items=[{"text": _t(e.text), "meta": x_note} for e in revisions for x_note in [self.x.revision_note(e)]],
        )

    def document(self) -> dict[str, Any]:
        self.sections()
        r = self.r
        before, middle, after = self.x.page_of()
        logo = None
        if r.logo and r.logo_type in ("image/png", "image/jpeg"):
            logo = {
                "bytes": list(r.logo),
                "format": "png" if r.logo_type == "image/png" else "jpg",
                "alt": gettext("Logo of %(organization)s", organization=r.organization_name)
                if r.organization_name
                else gettext("Logo"),
            }
        return {
            "lang": r.locale.split("-")[0],
            "title": r.title,
            "author": r.organization_name or "Runde",
            "accent": r.accent_color,
            "logo": logo,
            "page": [before, middle, after],
            "running_title": r.title[:90],
            "colors": {"track": TRACK_COLOR, "mark": MARK_COLOR},
            "threshold": r.threshold,
            "footer": gettext("Created with Runde.") + (f" {r.organization_name}" if r.organization_name else ""),
            "blocks": self.blocks,
        }


def report_data(report: Report) -> str:
    """The JSON the template reads (``sys.inputs.report``)."""
    return json.dumps(_Writer(report).document(), ensure_ascii=False, separators=(",", ":"))


def render(report: Report) -> bytes:
    import typst

    data = report_data(report)
    with _lock:  # one layout at a time per process: a second one would only halve both
        try:
            pdf = _compile(data, report, PDF_STANDARDS)
        except typst.TypstError as exc:
            if "could not be displayed" not in str(exc):
                raise
            # PDF/A and PDF/UA forbid a character no installed font can draw (a card in
            # Chinese on a server without a CJK font): rather than fail the export, write the
            # same tagged PDF without claiming either standard, and say so in the log.
            log.warning("pdf_without_standards", extra={"reason": str(exc)[:200], "workshop": report.workshop_id})
            pdf = _compile(data, report, ())
    return pdf


def _compile(data: str, report: Report, standards: tuple[typst.PDFStandard, ...]) -> bytes:
    import typst

    pdf = typst.compile(
        TEMPLATE,
        root=TEMPLATE_DIR,
        font_paths=_fonts(),
        sys_inputs={"report": data},
        pdf_standards=list(standards),
        pdf_tags=True,
        timestamp=int(report.generated_at.timestamp()),
    )
    assert isinstance(pdf, bytes)
    return pdf
