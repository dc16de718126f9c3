"""DOCX export with python-docx: a document a city team can keep editing in Word.

Real styles throughout — Title, Heading 1–3, List Bullet, List Number, a table style for the
support per group — so the navigation pane, the table of contents and restyling work. Charts
are small PNG bars (``app/exports/charts.py``) in the support tables, next to their numbers.
The footer counts pages with Word fields ("Seite X von Y"); the organisation's logo and name
sit in the header, its accent colour colours the headings.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from app.domain.report import Report, ReportCard, ReportStatement, ReportTopic
from app.exports.charts import LEVEL_COLORS, bar_png, swatch_png
from app.exports.common import Labels
from app.exports.text import isolate, xml_safe


def _t(text: str) -> str:
    """Participant or moderator text, safe for WordprocessingML."""
    return xml_safe(isolate(text))


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A simple Word field (PAGE, NUMPAGES) that Word and LibreOffice update when shown."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


class _Writer:
    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.doc: DocxDocument = Document()
        self._setup()

    def _setup(self) -> None:
        doc, r = self.doc, self.r
        accent = RGBColor.from_string(r.accent_color.lstrip("#").upper())
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
            doc.styles[name].font.color.rgb = accent
        doc.styles["Normal"].font.size = Pt(10.5)
        lang = "de-DE" if r.locale == "de" else "en-GB"
        rpr = doc.styles["Normal"].element.get_or_add_rPr()
        lang_el = OxmlElement("w:lang")
        lang_el.set(qn("w:val"), lang)
        rpr.append(lang_el)
        props = doc.core_properties
        props.title = xml_safe(r.title)
        props.subject = self.x.subtitle()
        props.language = lang
        props.author = xml_safe(r.organization_name or "Runde")
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
        header = section.header.paragraphs[0]
        if r.logo:
            header.add_run().add_picture(io.BytesIO(r.logo), height=Cm(1.2))
            header.add_run("  ")
        if r.organization_name:
            header.add_run(_t(r.organization_name)).bold = True
        footer = section.footer.paragraphs[0]
        before, middle, after = self.x.page_of()
        footer.add_run(before)
        _field(footer, "PAGE")
        footer.add_run(middle)
        _field(footer, "NUMPAGES")
        if after:
            footer.add_run(after)
        footer.add_run("  ·  " + _t(r.title[:90]))
        for run in footer.runs:
            run.font.size = Pt(8)

    # --- building blocks -------------------------------------------------------------------

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(_t(text), level=level)

    def para(self, text: str = "", *, style: str | None = None, italic: bool = False) -> Paragraph:
        p = self.doc.add_paragraph(style=style)
        if text:
            run = p.add_run(_t(text))
            run.italic = italic
        return p

    def bullets(self, items: Iterable[str]) -> None:
        for item in items:
            self.para(item, style="List Bullet")

    def card_bullet(self, card: ReportCard, *, with_group: bool = True) -> None:
        p = self.doc.add_paragraph(style="List Bullet")
        p.add_run(_t(card.text))
        meta = [card.group.label] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(who)
        meta.append(self.x.t("no. %(number)d", number=card.number))
        run = p.add_run(" — " + _t(" · ".join(meta)))
        run.italic = True
        run.font.size = Pt(9)

    # --- parts -------------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        self.para(x.subtitle().upper()).runs[0].font.size = Pt(8)
        self.doc.add_heading(_t(r.title), level=0)
        facts = [(x.t("Date"), x.date())]
        if r.place:
            facts.append((x.t("Place"), r.place))
        if r.moderators:
            facts.append((x.t("Moderation"), r.moderators))
        facts.append((x.t("Participants"), str(r.participants_total)))
        facts.append((x.t("Consensus threshold"), x.threshold()))
        p = self.doc.add_paragraph()
        for i, (label, value) in enumerate(facts):
            if i:
                p.add_run("   ")
            p.add_run(f"{label}: ").bold = True
            p.add_run(_t(value))

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
        for part in self.r.participation:
            p = self.doc.add_paragraph(style="List Bullet")
            p.add_run(_t(part.group.label)).bold = True
            p.add_run(f" ({x.participants(part.joined)})")
            if part.organizations:
                p.add_run(": " + _t(", ".join(part.organizations)))

    def participation(self) -> None:
        x = self.x
        self.heading(x.section("participation"), 1)
        rows = self.r.participation
        table = self.doc.add_table(rows=1, cols=5)
        table.style = "Light Grid Accent 1"
        for cell, text in zip(
            table.rows[0].cells,
            [x.t("Stakeholder group"), x.t("Joined"), x.t("Cards"), x.t("Dots"), x.t("Ratings")],
            strict=True,
        ):
            cell.text = text
        for p in rows:
            cells = table.add_row().cells
            values = [p.group.label, str(p.joined), str(p.cards), str(p.dots), str(p.ratings)]
            for cell, value in zip(cells, values, strict=True):
                cell.text = _t(value)
        cells = table.add_row().cells
        totals = [sum(getattr(p, f) for p in rows) for f in ("joined", "cards", "dots", "ratings")]
        for cell, value in zip(cells, [x.t("Total"), *map(str, totals)], strict=True):
            cell.text = value

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.add_run(f"{n}. ").bold = True
        p.add_run(_t(s.text)).bold = True
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:
            flags.append(x.t("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(x.t("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(x.t("version %(revision)d", revision=s.revision))
        meta = self.doc.add_paragraph()
        meta.paragraph_format.keep_with_next = True
        verdict = meta.add_run(" · ".join(flags))
        verdict.bold = True
        verdict.font.color.rgb = RGBColor.from_string(
            {"ok": "1E6B35", "bad": "A4262C", "open": "0B3D6E"}[x.verdict_class(s)]
        )
        meta.add_run(" — " + " · ".join(details)).font.size = Pt(9)
        if s.ratings_count:
            table = self.doc.add_table(rows=1, cols=4)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.LEFT
            head = [x.t("Stakeholder group"), x.t("Support"), x.t("Chart"), x.t("Ratings")]
            for cell, text in zip(table.rows[0].cells, head, strict=True):
                cell.text = text
                cell.paragraphs[0].runs[0].bold = True
            for gs in s.support:
                cells = table.add_row().cells
                cells[0].text = _t(gs.group.label)
                cells[1].text = x.support_figure(gs) + (f"\n{x.carried(gs)}" if gs.carried is not None else "")
                if gs.ratings:
                    cells[2].paragraphs[0].add_run().add_picture(
                        io.BytesIO(bar_png(gs.counts, threshold=self.r.threshold)), width=Cm(4.2)
                    )
                cells[3].text = x.level_summary(gs)
            for row in table.rows:
                for cell, width in zip(row.cells, (Cm(4), Cm(3.2), Cm(4.6), Cm(5.2)), strict=True):
                    cell.width = width
        if s.dissent:
            self.para(x.t("Concerns and blocks, with their reasons") + ":").runs[0].bold = True
            for d in s.dissent:
                p = self.doc.add_paragraph(style="List Bullet")
                level = p.add_run(x.level_label(d.level))
                level.bold = True
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                p.add_run(f" ({_t(who)}): ")
                p.add_run(_t(d.reason))
        self.para()

    def legend(self) -> None:
        p = self.doc.add_paragraph()
        for level in self.x.levels:
            p.add_run().add_picture(io.BytesIO(swatch_png(LEVEL_COLORS[level])), width=Cm(0.25))
            p.add_run(f" {self.x.level_label(level)}   ").font.size = Pt(8)
        p.add_run("| " + self.x.t("threshold %(share)s", share=self.x.threshold())).font.size = Pt(8)

    def topic(self, t: ReportTopic) -> None:
        x = self.x
        self.heading(f"{t.number}. {t.title}", 1)
        if t.prompt:
            self.para(t.prompt, style="Intense Quote")
        if t.guiding_questions:
            self.para(x.t("Guiding questions")).runs[0].bold = True
            self.bullets(t.guiding_questions)
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
                            self.para(x.kind_heading(kind)).runs[0].bold = True
                            for c in cards:
                                self.card_bullet(c, with_group=False)
            elif part == "examples" and t.examples:
                self.heading(x.section("examples"), 2)
                for c in t.examples:
                    self.card_bullet(c)
            elif part == "questions" and t.questions:
                self.heading(x.section("questions"), 2)
                for c in t.questions:
                    self.card_bullet(c)
            elif part == "clusters" and t.clusters:
                self.heading(x.section("clusters"), 2)
                for cl in t.clusters:
                    p = self.doc.add_paragraph(style="List Bullet")
                    p.add_run(_t(cl.title)).bold = True
                    text = f" — {x.dots(cl.dots)}"
                    if cl.dots_by_group:
                        text += " (" + ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group) + ")"
                    if cl.cards:
                        text += f"; {x.cards(len(cl.cards))}: " + x.card_refs(tuple(c.number for c in cl.cards))
                    p.add_run(_t(text))

    def next_steps(self) -> None:
        if self.r.next_steps:
            self.heading(self.x.section("next_steps"), 1)
            for text in self.r.next_steps:
                self.para(text)

    def references(self) -> None:
        if self.r.references:
            self.heading(self.x.section("references"), 1)
            for ref in self.r.references:
                self.para(ref, style="List Number")

    def appendix(self) -> None:
        x = self.x
        self.doc.add_page_break()
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
            # Paragraphs, not a table: thousands of cards stay fast to write and to open.
            for c in t.cards:
                p = self.doc.add_paragraph()
                p.paragraph_format.space_after = Pt(3)
                p.add_run(f"{c.number}. ").bold = True
                p.add_run(x.kind_label(c.kind) + ": ").bold = True
                p.add_run(_t(c.text))
                meta = [c.group.label, x.author(c), x.card_note(c)]
                run = p.add_run("\n" + _t(" · ".join(m for m in meta if m)))
                run.italic = True
                run.font.size = Pt(8.5)
            if t.earlier_revisions:
                self.para(x.t("Earlier versions of statements")).runs[0].bold = True
                for e in t.earlier_revisions:
                    self.para(
                        f"{e.text} ({x.t('version %(revision)d', revision=e.revision)}, "
                        f"{x.ratings(e.ratings_count)}; {x.t('revised to: %(text)s', text=e.current_text)})",
                        style="List Bullet",
                    )

    def write(self) -> bytes:
        self.head()
        for section in self.r.sections:
            if section == "topics":
                for t in self.r.topics:
                    self.topic(t)
            else:
                getattr(self, section)()
        p = self.para(self.x.t("Created with Runde."), italic=True)
        p.runs[0].font.size = Pt(8)
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def render(report: Report) -> bytes:
    return _Writer(report).write()
