"""Markdown export (CommonMark with GFM tables).

Every piece of participant or moderator text goes through :func:`md_lines`: it is escaped
so that it stays text — no emphasis, links, images, raw HTML or autolinks — and its bidi
controls are isolated. The only markup in the file is ours.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.report import Report, ReportCard, ReportStatement, ReportTopic
from app.exports.common import Labels, SectionWriter
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

    def heading(self, level: int, text: str) -> None:
        self.out += ["#" * level + " " + md_lines(text, inline=True), ""]

    def para(self, text: str) -> None:
        self.out += [md_lines(text), ""]

    def bullets(self, items: Iterable[str]) -> None:
        self.out += [f"- {item}" for item in items]
        self.out.append("")

    def card_item(self, card: ReportCard, *, with_group: bool = True) -> str:
        meta = [md_lines(card.group.label, inline=True)] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(md_lines(who, inline=True))
        meta.append(md_lines(gettext("no. %(number)d", number=card.number), inline=True))
        return md_lines(card.text, indent="  ") + " — *" + " · ".join(meta) + "*"

    # --- parts ---------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        if r.organization_name:
            self.line(f"*{md_lines(r.organization_name, inline=True)}*")
            self.line()
        self.heading(1, r.title)

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

    def introduction(self) -> None:
        texts = self.r.introduction or ((self.r.description,) if self.r.description else ())
        if texts:
            self.heading(2, self.x.section("introduction"))
            for p in texts:
                self.para(p)

    def organizations(self) -> None:
        self.heading(2, self.x.section("organizations"))
        if self.r.anonymous:
            self.para(
                gettext(
                    "The workshop was anonymous: organisations and names are not given, "
                    "only the number of participants per group."
                )
            )
        items = []
        for p in self.r.participation:
            item = (
                f"**{md_lines(p.group.label, inline=True)}** ({md_lines(self.x.participants(p.joined), inline=True)})"
            )
            if p.organizations:
                item += ": " + md_lines(", ".join(p.organizations), inline=True)
            items.append(item)
        self.bullets(items)

    def participation(self) -> None:
        x = self.x
        self.heading(2, x.section("participation"))
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
            head = [gettext("Stakeholder group"), gettext("Support"), gettext("Carries it?"), gettext("Ratings")]
            rows = [
                [_cell(gs.group.label), _cell(x.support_figure(gs)), _cell(x.carried(gs)), _cell(x.level_summary(gs))]
                for gs in s.support
            ]
            self.out += _table([_cell(h) for h in head], rows)
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

    def topic(self, t: ReportTopic) -> None:
        x = self.x
        self.heading(2, f"{t.number}. {t.title}")
        if t.prompt:
            self.out += ["> " + md_lines(t.prompt, indent="> "), ""]
        if t.guiding_questions:
            self.line(f"**{md_lines(gettext('Guiding questions'), inline=True)}**")
            self.line()
            self.bullets(md_lines(q) for q in t.guiding_questions)
        n = 0
        for part in self.r.topic_sections:
            if part == "consensus":
                self.heading(3, x.section("consensus"))
                if not t.consensus:
                    self.para(
                        gettext("No statement reached consensus on this topic.")
                        if t.has_statements
                        else gettext("No statements were drafted on this topic.")
                    )
                for s in t.consensus:
                    n += 1
                    self.statement(s, n)
            elif part == "dissent" and t.without_consensus:
                self.heading(3, x.section("dissent"))
                if t.open_disagreements:
                    self.para(gettext("Open disagreements: one group carries these statements, another rejects them."))
                for s in t.without_consensus:
                    n += 1
                    self.statement(s, n)
            elif part == "perspectives" and any(p.needs or p.logics for p in t.perspectives):
                self.heading(3, x.section("perspectives"))
                for p in t.perspectives:
                    if not (p.needs or p.logics):
                        continue
                    self.heading(4, p.group.label)
                    for kind, cards in (("need", p.needs), ("logic", p.logics)):
                        if cards:
                            self.line(f"**{md_lines(x.kind_heading(kind), inline=True)}**")
                            self.line()
                            self.bullets(self.card_item(c, with_group=False) for c in cards)
            elif part == "examples" and t.examples:
                self.heading(3, x.section("examples"))
                self.bullets(self.card_item(c) for c in t.examples)
            elif part == "questions" and t.questions:
                self.heading(3, x.section("questions"))
                self.bullets(self.card_item(c) for c in t.questions)
            elif part == "clusters" and t.clusters:
                self.heading(3, x.section("clusters"))
                items = []
                for cl in t.clusters:
                    item = f"**{md_lines(cl.title, inline=True)}** — {md_lines(x.dots(cl.dots), inline=True)}"
                    if cl.dots_by_group:
                        by_group = ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group)
                        item += " (" + md_lines(by_group, inline=True) + ")"
                    if cl.cards:
                        refs = x.card_refs(tuple(c.number for c in cl.cards))
                        item += "; " + md_lines(f"{x.cards(len(cl.cards))}: {refs}", inline=True)
                    items.append(item)
                self.bullets(items)

    def next_steps(self) -> None:
        if self.r.next_steps:
            self.heading(2, self.x.section("next_steps"))
            for p in self.r.next_steps:
                self.para(p)

    def references(self) -> None:
        if self.r.references:
            self.heading(2, self.x.section("references"))
            self.out += [f"{i}. {md_lines(ref, indent='   ')}" for i, ref in enumerate(self.r.references, start=1)]
            self.line()

    def appendix(self) -> None:
        x = self.x
        self.heading(2, x.section("appendix"))
        self.para(
            gettext(
                "Every card of the included topics except those the moderation hid; duplicates that "
                "were merged are listed with the card they were merged into."
            )
        )
        for t in self.r.topics:
            self.heading(3, f"{t.number}. {t.title}")
            if not t.cards:
                self.para(gettext("No cards."))
            # A numbered list (its numbers run on across topics: a list starts at its first
            # number); line breaks in a card are hard breaks, so no HTML is needed.
            for c in t.cards:
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
            if t.cards:
                self.line()
            if t.earlier_revisions:
                self.line(f"**{md_lines(gettext('Earlier versions of statements'), inline=True)}**")
                self.line()
                self.bullets(
                    md_lines(e.text, indent="  ") + " *(" + md_lines(x.revision_note(e), inline=True) + ")*"
                    for e in t.earlier_revisions
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
