"""ODT export (OpenDocument Text, which German public bodies prefer) with odfdo.

odfdo (maintained, on lxml, which python-docx brings anyway) writes real OpenDocument:
headings are ``text:h`` with the ``Heading 1–3`` styles and outline levels (LibreOffice's
navigator and table of contents see them), lists use the ``List 1`` bullet style, the
support per group is a table with a PNG bar per group next to its numbers. The footer counts
pages with page-number and page-count fields; the organisation's logo and name sit in the
header; its accent colour colours the headings.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from odfdo import (
    Cell,
    Document,
    Frame,
    Header,
    List,
    ListItem,
    Paragraph,
    Row,
    Span,
    Style,
    Table,
    VarPageCount,
    VarPageNumber,
)

from app.domain.report import Report, ReportCard, ReportStatement, ReportTopic
from app.exports.charts import LEVEL_COLORS, bar_png, swatch_png
from app.exports.common import Labels
from app.exports.text import isolate, xml_safe

HEADING_STYLES = {1: "Heading_20_1", 2: "Heading_20_2", 3: "Heading_20_3"}


def _t(text: str) -> str:
    return xml_safe(isolate(text))


class _Writer:
    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.doc = Document("text")
        self.body = self.doc.body
        self.body.clear()
        self.table_count = 0
        self._setup()

    def _setup(self) -> None:
        doc, r = self.doc, self.r
        # odfdo's template ships the thumbnail of an empty page; file browsers would show it.
        doc.container.del_part("Thumbnails/thumbnail.png")
        doc.manifest.del_full_path("Thumbnails/thumbnail.png")
        for name in HEADING_STYLES.values():
            style = doc.get_style("paragraph", name)
            if style is not None:
                style.set_properties(area="text", color=r.accent_color)
        for style in (
            Style("paragraph", name="Title", display_name="Title", parent_style="Heading", bold=True),
            Style("paragraph", name="Quotations", display_name="Quotations", parent_style="Text_20_body", italic=True),
            Style("paragraph", name="Runde_20_Small", display_name="Runde Small", parent_style="Text_20_body"),
        ):
            doc.insert_style(style)
        title = doc.get_style("paragraph", "Title")
        title.set_properties(area="text", color=r.accent_color, size="22pt")
        doc.get_style("paragraph", "Runde_20_Small").set_properties(area="text", size="8.5pt", color="#4a525c")
        quote = doc.get_style("paragraph", "Quotations")
        quote.set_properties(
            area="paragraph", margin_left="0.8cm", border_left=f"0.1cm solid {r.accent_color}", padding_left="0.3cm"
        )
        for name, props in (
            ("Runde_Bold", {"bold": True}),
            ("Runde_Italic", {"italic": True}),
            ("Runde_Ok", {"bold": True, "color": "#1e6b35"}),
            ("Runde_Bad", {"bold": True, "color": "#a4262c"}),
            ("Runde_Open", {"bold": True, "color": "#0b3d6e"}),
        ):
            doc.insert_style(Style("text", name=name, **props), automatic=True)
        master = doc.get_style("master-page", "Standard")
        before, middle, after = self.x.page_of()
        footer = Paragraph(before, style="Runde_20_Small")
        footer.append(VarPageNumber(select_page="current"))
        footer.append(middle)
        footer.append(VarPageCount())
        footer.append(after + "  ·  " + _t(r.title[:90]))
        master.set_page_footer(footer)
        if r.logo or r.organization_name:
            header = Paragraph(style="Runde_20_Small")
            if r.logo:
                uri = self.image(r.logo, "jpg" if r.logo_type == "image/jpeg" else "png", r.logo_type)
                header.append(Frame.image_frame(uri, size=("3cm", "1.2cm"), anchor_type="as-char"))
                header.append("  ")
            if r.organization_name:
                header.append(Span(_t(r.organization_name), style="Runde_Bold"))
            master.set_page_header(header)
        meta = doc.meta
        meta.title = xml_safe(r.title)
        meta.subject = self.x.subtitle()
        meta.language = "de-DE" if r.locale == "de" else "en-GB"

    def image(self, data: bytes, ext: str, media_type: str) -> str:
        """Store a picture once (by content) with its media type; returns its path."""
        path = f"Pictures/{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        if path not in self.doc.container.parts:
            self.doc.container.set_part(path, data)
            self.doc.manifest.add_full_path(path, media_type)
        return path

    def png(self, data: bytes, width: str, height: str) -> Frame:
        return Frame.image_frame(self.image(data, "png", "image/png"), size=(width, height), anchor_type="as-char")

    # --- building blocks -------------------------------------------------------------------

    def heading(self, text: str, level: int) -> None:
        self.body.append(Header(level, _t(text), style=HEADING_STYLES[level]))

    def para(self, text: str = "", *, style: str = "Text_20_body", italic: bool = False) -> Paragraph:
        p = Paragraph(style=style)
        if text:
            if italic:
                p.append(Span(_t(text), style="Runde_Italic"))
            else:
                p.append(_t(text))
        self.body.append(p)
        return p

    def bold_para(self, text: str) -> None:
        p = Paragraph(style="Text_20_body")
        p.append(Span(_t(text), style="Runde_Bold"))
        self.body.append(p)

    def bullets(self, paragraphs: Iterable[Paragraph]) -> None:
        items = List(style="List_20_1")
        for p in paragraphs:
            item = ListItem()
            item.append(p)
            items.append(item)
        self.body.append(items)

    def text_item(self, text: str) -> Paragraph:
        p = Paragraph(style="Text_20_body")
        p.append(_t(text))
        return p

    def card_item(self, card: ReportCard, *, with_group: bool = True) -> Paragraph:
        p = Paragraph(style="Text_20_body")
        p.append(_t(card.text))
        meta = [card.group.label] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(who)
        meta.append(self.x.t("no. %(number)d", number=card.number))
        p.append(" — ")
        p.append(Span(_t(" · ".join(meta)), style="Runde_Italic"))
        return p

    def table(self, head: list[str], rows: Iterable[list[str | Paragraph]]) -> None:
        self.table_count += 1
        table = Table(f"Table{self.table_count}")
        header = Row()
        for text in head:
            cell = Cell()
            p = Paragraph(style="Text_20_body")
            p.append(Span(_t(text), style="Runde_Bold"))
            cell.append(p)
            header.append(cell)
        table.append(header)
        for values in rows:
            row = Row()
            for value in values:
                cell = Cell()
                cell.append(value if isinstance(value, Paragraph) else self.text_item(value))
                row.append(cell)
            table.append(row)
        self.body.append(table)

    # --- parts -------------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        self.para(x.subtitle().upper(), style="Runde_20_Small")
        self.body.append(Paragraph(_t(r.title), style="Title"))
        facts = [(x.t("Date"), x.date())]
        if r.place:
            facts.append((x.t("Place"), r.place))
        if r.moderators:
            facts.append((x.t("Moderation"), r.moderators))
        facts.append((x.t("Participants"), str(r.participants_total)))
        facts.append((x.t("Consensus threshold"), x.threshold()))
        p = Paragraph(style="Text_20_body")
        for i, (label, value) in enumerate(facts):
            if i:
                p.append("   ")
            p.append(Span(f"{label}: ", style="Runde_Bold"))
            p.append(_t(value))
        self.body.append(p)

    def introduction(self) -> None:
        texts = self.r.introduction or ((self.r.description,) if self.r.description else ())
        if texts:
            self.heading(self.x.section("introduction"), 1)
            for text in texts:
                self.para(text)

    def organizations(self) -> None:
        x = self.x
        self.heading(x.section("organizations"), 1)
        if self.r.anonymous:
            self.para(
                x.t(
                    "The workshop was anonymous: organisations and names are not given, "
                    "only the number of participants per group."
                ),
                italic=True,
            )
        items = []
        for part in self.r.participation:
            p = Paragraph(style="Text_20_body")
            p.append(Span(_t(part.group.label), style="Runde_Bold"))
            p.append(f" ({x.participants(part.joined)})")
            if part.organizations:
                p.append(": " + _t(", ".join(part.organizations)))
            items.append(p)
        self.bullets(items)

    def participation(self) -> None:
        x = self.x
        self.heading(x.section("participation"), 1)
        rows: list[list[str | Paragraph]] = [
            [p.group.label, str(p.joined), str(p.cards), str(p.dots), str(p.ratings)] for p in self.r.participation
        ]
        totals = [sum(getattr(p, f) for p in self.r.participation) for f in ("joined", "cards", "dots", "ratings")]
        rows.append([x.t("Total"), *map(str, totals)])
        self.table([x.t("Stakeholder group"), x.t("Joined"), x.t("Cards"), x.t("Dots"), x.t("Ratings")], rows)

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        p = Paragraph(style="Text_20_body")
        p.append(Span(f"{n}. " + _t(s.text), style="Runde_Bold"))
        self.body.append(p)
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:
            flags.append(x.t("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(x.t("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(x.t("version %(revision)d", revision=s.revision))
        meta = Paragraph(style="Text_20_body")
        style = {"ok": "Runde_Ok", "bad": "Runde_Bad", "open": "Runde_Open"}[x.verdict_class(s)]
        meta.append(Span(" · ".join(flags), style=style))
        meta.append(" — " + " · ".join(details))
        self.body.append(meta)
        if s.ratings_count:
            rows: list[list[str | Paragraph]] = []
            for gs in s.support:
                chart = Paragraph(style="Text_20_body")
                if gs.ratings:
                    chart.append(self.png(bar_png(gs.counts, threshold=self.r.threshold), "4.2cm", "0.28cm"))
                figure = x.support_figure(gs) + (f" — {x.carried(gs)}" if gs.carried is not None else "")
                rows.append([gs.group.label, figure, chart, x.level_summary(gs)])
            self.table([x.t("Stakeholder group"), x.t("Support"), x.t("Chart"), x.t("Ratings")], rows)
        if s.dissent:
            self.bold_para(x.t("Concerns and blocks, with their reasons") + ":")
            items = []
            for d in s.dissent:
                item = Paragraph(style="Text_20_body")
                item.append(Span(x.level_label(d.level), style="Runde_Bold"))
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                item.append(f" ({_t(who)}): ")
                item.append(_t(d.reason))
                items.append(item)
            self.bullets(items)

    def legend(self) -> None:
        p = Paragraph(style="Runde_20_Small")
        for level in self.x.levels:
            p.append(self.png(swatch_png(LEVEL_COLORS[level]), "0.25cm", "0.25cm"))
            p.append(f" {self.x.level_label(level)}   ")
        p.append("| " + self.x.t("threshold %(share)s", share=self.x.threshold()))
        self.body.append(p)

    def topic(self, t: ReportTopic) -> None:
        x = self.x
        self.heading(f"{t.number}. {t.title}", 1)
        if t.prompt:
            self.para(t.prompt, style="Quotations")
        if t.guiding_questions:
            self.bold_para(x.t("Guiding questions"))
            self.bullets(self.text_item(q) for q in t.guiding_questions)
        n = 0
        for part in self.r.topic_sections:
            if part == "consensus":
                self.heading(x.section("consensus"), 2)
                if not t.consensus:
                    self.para(x.t("No statement reached consensus on this topic."), italic=True)
                else:
                    self.legend()
                for s in t.consensus:
                    n += 1
                    self.statement(s, n)
            elif part == "dissent" and t.without_consensus:
                self.heading(x.section("dissent"), 2)
                if t.open_disagreements:
                    self.para(x.t("Open disagreements: one group carries these statements, another rejects them."))
                for s in t.without_consensus:
                    n += 1
                    self.statement(s, n)
            elif part == "perspectives" and any(p.needs or p.logics for p in t.perspectives):
                self.heading(x.section("perspectives"), 2)
                for p in t.perspectives:
                    if not (p.needs or p.logics):
                        continue
                    self.heading(p.group.label, 3)
                    for kind, cards in (("need", p.needs), ("logic", p.logics)):
                        if cards:
                            self.bold_para(x.kind_heading(kind))
                            self.bullets(self.card_item(c, with_group=False) for c in cards)
            elif part == "examples" and t.examples:
                self.heading(x.section("examples"), 2)
                self.bullets(self.card_item(c) for c in t.examples)
            elif part == "questions" and t.questions:
                self.heading(x.section("questions"), 2)
                self.bullets(self.card_item(c) for c in t.questions)
            elif part == "clusters" and t.clusters:
                self.heading(x.section("clusters"), 2)
                items = []
                for cl in t.clusters:
                    p = Paragraph(style="Text_20_body")
                    p.append(Span(_t(cl.title), style="Runde_Bold"))
                    text = f" — {x.dots(cl.dots)}"
                    if cl.dots_by_group:
                        text += " (" + ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group) + ")"
                    if cl.cards:
                        text += f"; {x.cards(len(cl.cards))}: " + x.card_refs(tuple(c.number for c in cl.cards))
                    p.append(_t(text))
                    items.append(p)
                self.bullets(items)

    def next_steps(self) -> None:
        if self.r.next_steps:
            self.heading(self.x.section("next_steps"), 1)
            for text in self.r.next_steps:
                self.para(text)

    def references(self) -> None:
        if self.r.references:
            self.heading(self.x.section("references"), 1)
            items = List(style="Numbering_20_1")
            for ref in self.r.references:
                item = ListItem()
                item.append(self.text_item(ref))
                items.append(item)
            self.body.append(items)

    def appendix(self) -> None:
        x = self.x
        self.heading(x.section("appendix"), 1)
        self.para(
            x.t(
                "Every card of the included topics except those the moderation hid; duplicates that "
                "were merged are listed with the card they were merged into."
            ),
            italic=True,
        )
        for t in self.r.topics:
            self.heading(f"{t.number}. {t.title}", 2)
            if not t.cards:
                self.para(x.t("No cards."), italic=True)
            for c in t.cards:
                p = Paragraph(style="Text_20_body")
                p.append(Span(f"{c.number}. {x.kind_label(c.kind)}: ", style="Runde_Bold"))
                p.append(_t(c.text))
                self.body.append(p)
                meta = [c.group.label, x.author(c), x.card_note(c)]
                self.para(" · ".join(m for m in meta if m), style="Runde_20_Small")
            if t.earlier_revisions:
                self.bold_para(x.t("Earlier versions of statements"))
                self.bullets(
                    self.text_item(
                        f"{e.text} ({x.t('version %(revision)d', revision=e.revision)}, "
                        f"{x.ratings(e.ratings_count)}; {x.t('revised to: %(text)s', text=e.current_text)})"
                    )
                    for e in t.earlier_revisions
                )

    def write(self) -> bytes:
        self.head()
        for section in self.r.sections:
            if section == "topics":
                for t in self.r.topics:
                    self.topic(t)
            else:
                getattr(self, section)()
        self.para(self.x.t("Created with Runde."), style="Runde_20_Small")
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def render(report: Report) -> bytes:
    return _Writer(report).write()
