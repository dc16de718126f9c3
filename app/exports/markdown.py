"""Markdown export (CommonMark with GFM tables).

Every piece of participant or moderator text goes through :func:`md_lines`: it is escaped
so that it stays text — no emphasis, links, images, raw HTML or autolinks — and its bidi
controls are isolated. The only markup in the file is ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.domain.report import EarlierRevision, Report, ReportCard, ReportStatement
from app.domain.report.model import GroupParticipation, ReportCluster
from app.exports.common import Labels
from app.exports.sections import SectionWriter
from app.exports.text import md_lines
from app.i18n import gettext


def _cell(text: str) -> str:
    return md_lines(text, table=True)


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: list[str], rows: list[list[str]], *, numeric_from: int = 99) -> list[str]:
    align = ["---:" if i >= numeric_from else "---" for i in range(len(head))]
    return [_row(head), _row(align), *(_row(r) for r in rows), ""]


class _Writer(SectionWriter):
    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.out: list[str] = []

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def heading(self, text: str, level: int) -> None:
        # The title is "#", so a report section is "##" (level 0 is the title).
        self.out += ["#" * (level + 1) + " " + md_lines(text, inline=True), ""]

    def para(self, text: str) -> None:
        self.out += [md_lines(text), ""]

    def note(self, text: str) -> None:
        self.para(text)

    def label(self, text: str) -> None:
        self.line(f"**{md_lines(text, inline=True)}**")
        self.line()

    def quote(self, text: str) -> None:
        self.out += ["> " + md_lines(text, indent="> "), ""]

    def bullets(self, items: Iterable[str]) -> None:
        self.out += [f"- {item}" for item in items]
        self.out.append("")

    def text_list(self, texts: Iterable[str]) -> None:
        self.bullets(md_lines(text) for text in texts)

    def numbered_list(self, texts: Iterable[str]) -> None:
        self.out += [f"{i}. {md_lines(text, indent='   ')}" for i, text in enumerate(texts, start=1)]
        self.line()

    def card_item(self, card: ReportCard, *, with_group: bool = True) -> str:
        meta = [md_lines(card.group.label, inline=True)] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(md_lines(who, inline=True))
        meta.append(md_lines(gettext("no. %(number)d", number=card.number), inline=True))
        also = self.x.also_named(card)
        if also:
            meta.append(md_lines(also, inline=True))
        return md_lines(card.text, indent="  ") + " — *" + " · ".join(meta) + "*"

    # --- parts ---------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        if r.organization_name:
            self.line(f"*{md_lines(r.organization_name, inline=True)}*")
            self.line()
        self.heading(r.title, 0)

        def fact(label: str, value: str) -> str:
            return f"**{md_lines(label, inline=True)}:** {md_lines(value, inline=True)}"

        facts = [fact(gettext("Date"), x.date())]
        if r.place:
            facts.append(fact(gettext("Place"), r.place))
        if r.moderators:
            facts.append(fact(gettext("Moderation"), r.moderators))
        facts.append(fact(gettext("Participants"), str(r.participants_total)))
        facts.append(fact(gettext("Consensus threshold"), x.threshold()))
        self.line("  \n".join(facts))
        self.line()

    def organization_list(self, participation: Sequence[GroupParticipation]) -> None:
        items = []
        for p in participation:
            item = (
                f"**{md_lines(p.group.label, inline=True)}** ({md_lines(self.x.participants(p.joined), inline=True)})"
            )
            if p.organizations:
                item += ": " + md_lines(", ".join(p.organizations), inline=True)
            items.append(item)
        self.bullets(items)

    def participation(self) -> None:
        x = self.x
        self.heading(x.section("participation"), 1)
        head = [gettext("Stakeholder group"), gettext("Joined"), gettext("Cards"), gettext("Dots"), gettext("Ratings")]
        rows = [
            [_cell(p.group.label), str(p.joined), str(p.cards), str(p.dots), str(p.ratings)]
            for p in self.r.participation
        ]
        totals = [sum(getattr(p, f) for p in self.r.participation) for f in ("joined", "cards", "dots", "ratings")]
        rows.append([f"**{_cell(gettext('Total'))}**", *(str(n) for n in totals)])
        self.out += _table([_cell(h) for h in head], rows, numeric_from=1)

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        self.line(f"**{n}.** {md_lines(s.text, inline=True)}")
        self.line()
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:  # the verdict says "Blocked"; say both
            flags.append(gettext("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(gettext("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(gettext("version %(revision)d", revision=s.revision))
        self.line("*" + md_lines(" · ".join(flags), inline=True) + "* — " + md_lines(" · ".join(details), inline=True))
        self.line()
        if s.ratings_count:
            # The columns of the DOCX/ODT table (whose third column holds the chart too).
            head = [gettext("Stakeholder group"), gettext("Support"), gettext("Ratings")]
            rows = [
                [
                    _cell(gs.group.label),
                    _cell(x.support_figure(gs) + (f" — {x.carried(gs)}" if gs.carried is not None else "")),
                    _cell(x.level_summary(gs)),
                ]
                for gs in s.support
            ]
            self.out += _table([_cell(h) for h in head], rows)
        if s.conditions:
            self.line(md_lines(gettext("Conditions given with support with reservations")) + ":")
            self.line()
            self.bullets(
                "("
                + md_lines(", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)])), inline=True)
                + "): "
                + md_lines(d.reason, indent="  ", inline=True)
                for d in s.conditions
            )
        if s.dissent:
            self.line(f"{md_lines(gettext('Concerns and blocks, with their reasons'))}:")
            self.line()
            items = []
            for d in s.dissent:
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                items.append(
                    f"**{md_lines(x.level_label(d.level), inline=True)}** ({md_lines(who, inline=True)}): "
                    + md_lines(d.reason, indent="  ", inline=True)
                )
            self.bullets(items)

    def card_list(self, cards: Sequence[ReportCard], *, with_group: bool = True) -> None:
        self.bullets(self.card_item(c, with_group=with_group) for c in cards)

    def cluster_list(self, clusters: Sequence[ReportCluster]) -> None:
        x = self.x
        items = []
        for cl in clusters:
            item = f"**{md_lines(cl.title, inline=True)}** — {md_lines(x.dots(cl.dots), inline=True)}"
            if cl.dots_by_group:
                by_group = ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group)
                item += " (" + md_lines(by_group, inline=True) + ")"
            if cl.cards:
                refs = x.card_refs(tuple(c.number for c in cl.cards))
                item += "; " + md_lines(f"{x.cards(len(cl.cards))}: {refs}", inline=True)
            items.append(item)
        self.bullets(items)

    def appendix_cards(self, cards: Sequence[ReportCard]) -> None:
        x = self.x
        # A numbered list (its numbers run on across topics: a list starts at its first
        # number); line breaks in a card are hard breaks, so no HTML is needed.
        for c in cards:
            indent = " " * (len(str(c.number)) + 2)
            meta = " · ".join(m for m in (c.group.label, x.author(c), x.card_note(c)) if m)
            self.line(
                f"{c.number}. **{md_lines(x.kind_label(c.kind), inline=True)}:** "
                + md_lines(c.text, indent=indent, inline=True)
                + "\\\n"
                + indent
                + "*"
                + md_lines(meta, indent=indent, inline=True)
                + "*"
            )
        if cards:
            self.line()

    def revision_list(self, revisions: Sequence[EarlierRevision]) -> None:
        self.bullets(
            md_lines(e.text, indent="  ") + " *(" + md_lines(self.x.revision_note(e), inline=True) + ")*"
            for e in revisions
        )

    def write(self) -> str:
        self.sections()
        self.out.append("---")
        self.out.append("")
        self.out.append("*" + md_lines(gettext("Created with Runde."), inline=True) + "*")
        return "\n".join(self.out).rstrip("\n") + "\n"


def render_markdown(report: Report) -> str:
    return _Writer(report).write()


def render(report: Report) -> bytes:
    return render_markdown(report).encode("utf-8")
