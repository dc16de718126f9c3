"""DOCX export with python-docx: a document a city team can keep editing in Word.

Real styles throughout — Title, Heading 1–3, List Bullet, List Number, Intense Quote, table
styles for the support per group — so the navigation pane, the table of contents and
restyling work. Charts are small PNG bars (``app/exports/charts.py``) in the support tables,
next to their numbers. The footer counts pages with Word fields ("Seite X von Y"); the
organisation's logo and name sit in the header; its accent colour colours the headings.

Paragraph styles are set by id and runs written as ``w:t``/``w:br`` elements: python-docx's
by-name style lookup and ``run.text`` are too slow for workshops with thousands of cards.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import oxml_parser
from docx.oxml.shape import CT_Inline
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from app.domain.report import EarlierRevision, Report, ReportCard, ReportStatement
from app.domain.report.model import GroupParticipation, ReportCluster
from app.exports.charts import LEVEL_COLORS, bar_png, swatch_png
from app.exports.common import Labels
from app.exports.sections import SectionWriter
from app.exports.text import isolate, xml_safe
from app.i18n import gettext

VERDICT_COLORS = {"ok": "1E6B35", "bad": "A4262C", "open": "0B3D6E"}


@cache
def _run_properties(bold: bool, italic: bool, size: float | None, color: str | None) -> Any:
    """A ``w:rPr`` element with these properties, built once and copied into each run."""
    run = Document().add_paragraph().add_run()
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)
    return run._r.rPr


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NSMAP = {"w": _W}
_R, _T, _BR = f"{{{_W}}}r", f"{{{_W}}}t", f"{{{_W}}}br"
_P, _PPR, _PSTYLE, _VAL = f"{{{_W}}}p", f"{{{_W}}}pPr", f"{{{_W}}}pStyle", f"{{{_W}}}val"
_PRESERVE = "{http://www.w3.org/XML/1998/namespace}space"


def _element(clark_name: str) -> Any:
    """A WordprocessingML element (what ``OxmlElement`` makes, without parsing the tag)."""
    return oxml_parser.makeelement(clark_name, nsmap=_NSMAP)


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    color: str | None = None,
) -> None:
    """Append ``text`` (line breaks kept) as one run."""
    # Built element by element and appended (a run comes after everything else in a w:p):
    # python-docx's schema-ordered insertion costs more than the text itself.
    run = _element(_R)
    properties = _run_properties(bold, italic, size, color)
    if properties is not None:
        run.append(copy.deepcopy(properties))
    for index, line in enumerate(xml_safe(text).split("\n")):
        if index:
            run.append(_element(_BR))
        if line:
            element = _element(_T)
            element.text = line
            if line != line.strip():
                element.set(_PRESERVE, "preserve")
            run.append(element)
    paragraph._p.append(run)


def _t(text: str) -> str:
    """Participant or moderator text: bidi controls isolated (XML safety is in :func:`_run`)."""
    return isolate(text)


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


def _add_row(table: Table) -> list[_Cell]:
    row = table.add_row()  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated
    cells: list[_Cell] = row.cells
    return cells


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, size: float | None = None) -> Paragraph:
    paragraph: Paragraph = cell.paragraphs[0]
    _run(paragraph, text, bold=bold, size=size)
    return paragraph


class _Writer(SectionWriter):
    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.doc: DocxDocument = Document()
        self._end = self.doc.element.body.sectPr  # paragraphs and tables go before it
        self._shape_id = 1000  # drawing ids in the body (the header's logo has its own)
        self._setup()

    def _setup(self) -> None:
        doc, r = self.doc, self.r
        accent = RGBColor.from_string(r.accent_color.lstrip("#").upper())
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
            doc.styles[name].font.color.rgb = accent
        doc.styles["Normal"].font.size = Pt(10.5)
        card_style = doc.styles.add_style("Runde Card", WD_STYLE_TYPE.PARAGRAPH)
        card_style.base_style = doc.styles["Normal"]
        card_style.paragraph_format.space_after = Pt(3)
        lang = "de-DE" if r.locale == "de" else "en-GB"
        lang_element = OxmlElement("w:lang")
        lang_element.set(qn("w:val"), lang)
        doc.styles["Normal"].element.get_or_add_rPr().append(lang_element)
        # The document defaults too (python-docx's template says en-US there): Word and
        # LibreOffice take the document's language from w:docDefaults.
        for default in doc.styles.element.findall(qn("w:docDefaults") + "//" + qn("w:lang")):
            default.set(qn("w:val"), lang)
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
            _run(header, "  ")
        if r.organization_name:
            _run(header, _t(r.organization_name), bold=True)
        footer = section.footer.paragraphs[0]
        before, middle, after = self.x.page_of()
        _run(footer, before, size=8)
        _field(footer, "PAGE")
        _run(footer, middle, size=8)
        _field(footer, "NUMPAGES")
        _run(footer, after + "  ·  " + _t(r.title[:90]), size=8)

    # --- building blocks -------------------------------------------------------------------

    def paragraph(self, style_id: str | None = None) -> Paragraph:
        """A new paragraph at the end of the body (before its section properties)."""
        element = _element(_P)
        if style_id is not None:
            properties = _element(_PPR)
            style = _element(_PSTYLE)
            style.set(_VAL, style_id)
            properties.append(style)
            element.append(properties)
        self._end.addprevious(element)
        return Paragraph(element, self.doc._body)

    def picture(self, paragraph: Paragraph, data: bytes, width: Cm) -> None:
        """An inline picture. python-docx's ``add_picture`` searches the whole document for
        the next free id on every call (quadratic with hundreds of charts); we count."""
        rId, image = self.doc.part.get_or_add_image(io.BytesIO(data))
        cx, cy = image.scaled_dimensions(width, None)
        self._shape_id += 1
        inline = CT_Inline.new_pic_inline(self._shape_id, rId, image.filename, cx, cy)
        paragraph.add_run()._r.add_drawing(inline)

    def heading(self, text: str, level: int) -> None:
        _run(self.paragraph("Title" if level == 0 else f"Heading{level}"), _t(text))

    def para(self, text: str = "", *, style_id: str | None = None, italic: bool = False, bold: bool = False) -> None:
        paragraph = self.paragraph(style_id)
        if text:
            _run(paragraph, _t(text), italic=italic, bold=bold)

    def note(self, text: str) -> None:
        self.para(text, italic=True)

    def label(self, text: str) -> None:
        self.para(text, bold=True)

    def quote(self, text: str) -> None:
        self.para(text, style_id="IntenseQuote")

    def page_break(self) -> None:
        self.doc.add_page_break()  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated

    def text_list(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.para(text, style_id="ListBullet")

    def numbered_list(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.para(text, style_id="ListNumber")

    def card_bullet(self, card: ReportCard, *, with_group: bool = True) -> None:
        paragraph = self.paragraph("ListBullet")
        _run(paragraph, _t(card.text))
        meta = [card.group.label] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(who)
        meta.append(gettext("no. %(number)d", number=card.number))
        also = self.x.also_named(card)
        if also:
            meta.append(also)
        _run(paragraph, " — " + _t(" · ".join(meta)), italic=True, size=9)

    def table(self, head: list[str], style: str, widths: Sequence[Cm]) -> Table:
        """A table with a header row that repeats on every page and fixed column widths
        (in the grid, which LibreOffice reads, and in each cell, which Word reads)."""
        table: Table = self.doc.add_table(rows=1, cols=len(head))
        table.style = self.doc.styles[style]
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        header = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header.append(repeat)
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            _cell_text(cell, text, bold=True)
        return table

    @staticmethod
    def fit(table: Table, widths: Sequence[Cm]) -> None:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width

    # --- parts -------------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        _run(self.paragraph(), x.subtitle().upper(), size=8)
        self.heading(r.title, 0)
        facts = [(gettext("Date"), x.date())]
        if r.place:
            facts.append((gettext("Place"), r.place))
        if r.moderators:
            facts.append((gettext("Moderation"), r.moderators))
        facts.append((gettext("Participants"), str(r.participants_total)))
        facts.append((gettext("Consensus threshold"), x.threshold()))
        paragraph = self.paragraph()
        for i, (label, value) in enumerate(facts):
            _run(paragraph, ("   " if i else "") + f"{label}: ", bold=True)
            _run(paragraph, _t(value))

    def organization_list(self, participation: Sequence[GroupParticipation]) -> None:
        for part in participation:
            paragraph = self.paragraph("ListBullet")
            _run(paragraph, _t(part.group.label), bold=True)
            _run(paragraph, f" ({self.x.participants(part.joined)})")
            if part.organizations:
                _run(paragraph, ": " + _t(", ".join(part.organizations)))

    def participation(self) -> None:
        x = self.x
        self.heading(x.section("participation"), 1)
        rows = self.r.participation
        widths = (Cm(4), Cm(3.25), Cm(3.25), Cm(3.25), Cm(3.25))
        table = self.table(
            [gettext("Stakeholder group"), gettext("Joined"), gettext("Cards"), gettext("Dots"), gettext("Ratings")],
            "Light Grid Accent 1",
            widths,
        )
        totals = [sum(getattr(p, f) for p in rows) for f in ("joined", "cards", "dots", "ratings")]
        for values in [
            *([_t(p.group.label), str(p.joined), str(p.cards), str(p.dots), str(p.ratings)] for p in rows),
            [gettext("Total"), *map(str, totals)],
        ]:
            for cell, value in zip(_add_row(table), values, strict=True):
                _cell_text(cell, value)
        self.fit(table, widths)

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        paragraph = self.paragraph()
        paragraph.paragraph_format.keep_with_next = True
        _run(paragraph, f"{n}. " + _t(s.text), bold=True)
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:
            flags.append(gettext("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(gettext("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(gettext("version %(revision)d", revision=s.revision))
        meta = self.paragraph()
        meta.paragraph_format.keep_with_next = True
        _run(meta, " · ".join(flags), bold=True, color=VERDICT_COLORS[x.verdict_class(s)])
        _run(meta, " — " + " · ".join(details), size=9)
        if s.ratings_count:
            widths = (Cm(5), Cm(4), Cm(8))
            table = self.table(
                [gettext("Stakeholder group"), gettext("Support"), gettext("Ratings")], "Table Grid", widths
            )
            table.alignment = WD_TABLE_ALIGNMENT.LEFT
            for gs in s.support:
                cells = _add_row(table)
                _cell_text(cells[0], _t(gs.group.label))
                _cell_text(cells[1], x.support_figure(gs) + (f"\n{x.carried(gs)}" if gs.carried is not None else ""))
                if gs.ratings:
                    self.picture(cells[2].paragraphs[0], bar_png(gs.counts, threshold=self.r.threshold), Cm(5))
                    _run(cells[2].add_paragraph(), x.level_summary(gs), size=8)
            self.fit(table, widths)
        if s.conditions:
            self.para(gettext("Conditions given with support with reservations") + ":", bold=True)
            for d in s.conditions:
                paragraph = self.paragraph("ListBullet")
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                _run(paragraph, f"({_t(who)}): " + _t(d.reason))
        if s.dissent:
            self.para(gettext("Concerns and blocks, with their reasons") + ":", bold=True)
            for d in s.dissent:
                paragraph = self.paragraph("ListBullet")
                _run(paragraph, x.level_label(d.level), bold=True)
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                _run(paragraph, f" ({_t(who)}): " + _t(d.reason))
        self.paragraph()

    def legend(self) -> None:
        paragraph = self.paragraph()
        for level in self.x.levels:
            self.picture(paragraph, swatch_png(LEVEL_COLORS[level]), Cm(0.25))
            _run(paragraph, f" {self.x.level_label(level)}   ", size=8)
        _run(paragraph, "| " + gettext("threshold %(share)s", share=self.x.threshold()), size=8)

    def card_list(self, cards: Sequence[ReportCard], *, with_group: bool = True) -> None:
        for c in cards:
            self.card_bullet(c, with_group=with_group)

    def cluster_list(self, clusters: Sequence[ReportCluster]) -> None:
        x = self.x
        for cl in clusters:
            paragraph = self.paragraph("ListBullet")
            _run(paragraph, _t(cl.title), bold=True)
            text = f" — {x.dots(cl.dots)}"
            if cl.dots_by_group:
                text += " (" + ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group) + ")"
            if cl.cards:
                text += f"; {x.cards(len(cl.cards))}: " + x.card_refs(tuple(c.number for c in cl.cards))
            _run(paragraph, _t(text))

    def appendix_cards(self, cards: Sequence[ReportCard]) -> None:
        x = self.x
        # Paragraphs, not a table: thousands of cards stay fast to write and to open.
        for c in cards:
            paragraph = self.paragraph("RundeCard")
            _run(paragraph, f"{c.number}. {x.kind_label(c.kind)}: ", bold=True)
            _run(paragraph, _t(c.text))
            meta = " · ".join(m for m in (c.group.label, x.author(c), x.card_note(c)) if m)
            _run(paragraph, "\n" + _t(meta), italic=True, size=8.5)

    def revision_list(self, revisions: Sequence[EarlierRevision]) -> None:
        self.text_list(f"{e.text} ({self.x.revision_note(e)})" for e in revisions)

    def write(self) -> bytes:
        self.sections()
        _run(self.paragraph(), gettext("Created with Runde."), italic=True, size=8)
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def render(report: Report) -> bytes:
    return _Writer(report).write()
