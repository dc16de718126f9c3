"""ODT export (OpenDocument Text, which German public bodies prefer).

odfdo (maintained, on lxml, which python-docx brings anyway) provides the package: styles,
metadata, manifest, master page. Headings are ``text:h`` with the ``Heading 1–3`` styles and
outline levels (LibreOffice's navigator and table of contents see them), lists use the
``List 1`` bullet style, the support per group is a table with a PNG bar per group next to
its numbers. The footer counts pages with page-number and page-count fields; the
organisation's logo and name sit in the header; its accent colour colours the headings.

The body is built with lxml directly: odfdo parses a template for every element it creates,
which is too slow for workshops with thousands of cards.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints
from odfdo import Document, Frame, Paragraph, Span, Style, VarPageCount, VarPageNumber
from odfdo.container import Container
from odfdo.xmlpart import XmlPart

from app.domain.report import EarlierRevision, Report, ReportCard, ReportStatement
from app.domain.report.model import GroupParticipation, ReportCluster
from app.exports.charts import LEVEL_COLORS, bar_png, swatch_png
from app.exports.common import Labels
from app.exports.sections import SectionWriter
from app.exports.text import isolate, xml_safe
from app.i18n import gettext

NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
HEADING_STYLES = {1: "Heading_20_1", 2: "Heading_20_2", 3: "Heading_20_3"}
VERDICT_STYLES = {"ok": "Runde_Ok", "bad": "Runde_Bad", "open": "Runde_Open"}
_SPECIAL = re.compile(r"(\n|\t| {2,})")

Node = Any  # an lxml element (lxml ships no type hints)


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def el(tag: str, parent: Node | None = None, **attrs: str) -> Node:
    """An ODF element (``attrs`` with ``__`` for ``:``: ``text__style_name`` → ``text:style-name``)."""
    node: Node = etree.Element(_q(tag)) if parent is None else etree.SubElement(parent, _q(tag))
    for key, value in attrs.items():
        prefix, local = key.split("__")
        node.set(_q(f"{prefix}:{local.replace('_', '-')}"), value)
    return node


def _append_plain(node: Node, text: str) -> None:
    if len(node):
        node[-1].tail = (node[-1].tail or "") + text
    else:
        node.text = (node.text or "") + text


def add_text(node: Node, text: str) -> None:
    """Append ``text`` to ``node`` keeping its line breaks, tabs and runs of spaces."""
    for piece in _SPECIAL.split(xml_safe(text)):
        if not piece:
            continue
        if piece == "\n":
            el("text:line-break", node)
        elif piece == "\t":
            el("text:tab", node)
        elif piece.startswith("  "):
            _append_plain(node, " ")
            el("text:s", node, text__c=str(len(piece) - 1))
        else:
            _append_plain(node, piece)


def span(parent: Node, text: str, style: str) -> None:
    add_text(el("text:span", parent, text__style_name=style), text)


def _t(text: str) -> str:
    return isolate(text)


def _style(doc: Document, family: str, name: str) -> Any:
    """A style of odfdo's template (its lookup returns a union of every kind of style)."""
    style = doc.get_style(family, name)
    if style is None:  # pragma: no cover - the template has these
        raise LookupError(f"{family} style {name} missing from the ODT template")
    return style


def _container(doc: Document) -> Container:
    if doc.container is None:  # pragma: no cover - Document("text") always has one
        raise LookupError("the ODT document has no container")
    return doc.container


def _xml_root(doc: Document, name: str) -> Node:
    """The lxml root of one of the package's XML parts (styles.xml, content.xml)."""
    part = doc.get_part(name)
    if not isinstance(part, XmlPart):  # pragma: no cover - odfdo's template has both
        raise LookupError(f"{name} missing from the ODT template")
    return part.root._xml_element


LIST_INDENT_CM = 0.63  # per level: the bullet hangs in it, the text starts after it


def _fix_template_styles(doc: Document, language: str, country: str) -> None:
    """What odfdo's template gets wrong for a report: its default language (French), the
    outline numbering of headings ("1.", "1.1." — no other format numbers headings), and
    lists whose bullet sits right against the text."""
    root = _xml_root(doc, "styles.xml")
    for node in root.iter():
        if node.get(_q("fo:language")) is not None:
            node.set(_q("fo:language"), language)
            node.set(_q("fo:country"), country)
    for level_style in root.iter(_q("text:outline-level-style")):
        level_style.set(_q("style:num-format"), "")
        for attribute in (_q("style:num-suffix"), _q("loext:num-list-format"), _q("text:display-levels")):
            level_style.attrib.pop(attribute, None)
    for list_style in root.iter(_q("text:list-style")):
        for level_style in list_style:
            level = int(level_style.get(_q("text:level"), "1"))
            for old in level_style.findall(_q("style:list-level-properties")):
                level_style.remove(old)
            properties = etree.Element(_q("style:list-level-properties"))
            properties.set(_q("text:list-level-position-and-space-mode"), "label-alignment")
            alignment = etree.SubElement(properties, _q("style:list-level-label-alignment"))
            margin = f"{LIST_INDENT_CM * level:.2f}cm"
            alignment.set(_q("text:label-followed-by"), "listtab")
            alignment.set(_q("text:list-tab-stop-position"), margin)
            alignment.set(_q("fo:text-indent"), f"-{LIST_INDENT_CM:.2f}cm")
            alignment.set(_q("fo:margin-left"), margin)
            level_style.insert(0, properties)


class _Writer(SectionWriter):
    def __init__(self, report: Report) -> None:
        self.r = report
        self.x = Labels(report)
        self.doc = Document("text")
        self.doc.body.clear()
        self.body: Node = self.doc.body._xml_element
        self.table_count = 0
        self.column_styles: set[str] = set()
        self._setup()

    def _setup(self) -> None:
        doc, r = self.doc, self.r
        # odfdo's template ships the thumbnail of an empty page; file browsers would show it.
        _container(doc).del_part("Thumbnails/thumbnail.png")
        doc.manifest.del_full_path("Thumbnails/thumbnail.png")
        for name in HEADING_STYLES.values():
            _style(doc, "paragraph", name).set_properties(area="text", color=r.accent_color)
        for style in (
            Style("paragraph", name="Title", display_name="Title", parent_style="Heading", bold=True),
            Style("paragraph", name="Quotations", display_name="Quotations", parent_style="Text_20_body", italic=True),
            Style("paragraph", name="Runde_20_Small", display_name="Runde Small", parent_style="Text_20_body"),
        ):
            doc.insert_style(style)
        _style(doc, "paragraph", "Title").set_properties(area="text", color=r.accent_color, size="22pt")
        _style(doc, "paragraph", "Runde_20_Small").set_properties(area="text", size="8.5pt", color="#4a525c")
        _style(doc, "paragraph", "Quotations").set_properties(
            area="paragraph",
            margin_left="0.8cm",
            border_left=f"0.1cm solid {r.accent_color}",
            padding_left="0.3cm",
        )
        for name, props in (
            ("Runde_Bold", {"bold": True}),
            ("Runde_Italic", {"italic": True}),
            ("Runde_Ok", {"bold": True, "color": "#1e6b35"}),
            ("Runde_Bad", {"bold": True, "color": "#a4262c"}),
            ("Runde_Open", {"bold": True, "color": "#0b3d6e"}),
        ):
            doc.insert_style(Style("text", name=name, **props), automatic=True)
        master = _style(doc, "master-page", "Standard")
        before, middle, after = self.x.page_of()
        footer = Paragraph(before, style="Runde_20_Small")
        footer.append(VarPageNumber(select_page="current"))
        footer.append(middle)
        footer.append(VarPageCount())
        footer.append(after + "  ·  " + xml_safe(_t(r.title[:90])))
        master.set_page_footer(footer)
        if r.logo or r.organization_name:
            header = Paragraph(style="Runde_20_Small")
            if r.logo:
                uri = self.image(r.logo, "jpg" if r.logo_type == "image/jpeg" else "png", r.logo_type)
                header.append(Frame.image_frame(uri, size=("3cm", "1.2cm"), anchor_type="as-char"))
                header.append("  ")
            if r.organization_name:
                header.append(Span(xml_safe(_t(r.organization_name)), style="Runde_Bold"))
            master.set_page_header(header)
        meta = doc.meta
        meta.title = xml_safe(r.title)
        meta.subject = self.x.subtitle()
        meta.language = "de-DE" if r.locale == "de" else "en-GB"
        _fix_template_styles(doc, *(("de", "DE") if r.locale == "de" else ("en", "GB")))

    def image(self, data: bytes, ext: str, media_type: str) -> str:
        """Store a picture once (by content) with its media type; returns its path."""
        path = f"Pictures/{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        container = _container(self.doc)
        if path not in container.parts:
            container.set_part(path, data)
            self.doc.manifest.add_full_path(path, media_type)
        return path

    def picture(self, parent: Node, data: bytes, width: str, height: str) -> None:
        frame = el(
            "draw:frame", parent, svg__width=width, svg__height=height, text__anchor_type="as-char", draw__z_index="0"
        )
        el(
            "draw:image",
            frame,
            xlink__href=self.image(data, "png", "image/png"),
            xlink__type="simple",
            xlink__show="embed",
            xlink__actuate="onLoad",
        )

    # --- building blocks -------------------------------------------------------------------

    def heading(self, text: str, level: int) -> None:
        node = el("text:h", self.body, text__style_name=HEADING_STYLES[level], text__outline_level=str(level))
        add_text(node, _t(text))

    def para(self, text: str = "", *, style: str = "Text_20_body", italic: bool = False, bold: bool = False) -> Node:
        node = el("text:p", self.body, text__style_name=style)
        if text:
            if italic or bold:
                span(node, _t(text), "Runde_Italic" if italic else "Runde_Bold")
            else:
                add_text(node, _t(text))
        return node

    def note(self, text: str) -> None:
        self.para(text, italic=True)

    def label(self, text: str) -> None:
        self.para(text, bold=True)

    def quote(self, text: str) -> None:
        self.para(text, style="Quotations")

    def bullets(self, fill: Iterable[Node], *, style: str = "List_20_1") -> None:
        """A list whose items hold the given (detached) paragraphs."""
        items = el("text:list", self.body, text__style_name=style)
        for paragraph in fill:
            el("text:list-item", items).append(paragraph)

    @staticmethod
    def item(text: str = "") -> Node:
        node = el("text:p", text__style_name="Text_20_body")
        if text:
            add_text(node, _t(text))
        return node

    def text_list(self, texts: Iterable[str]) -> None:
        self.bullets(self.item(text) for text in texts)

    def numbered_list(self, texts: Iterable[str]) -> None:
        self.bullets((self.item(text) for text in texts), style="Numbering_20_1")

    def card_item(self, card: ReportCard, *, with_group: bool = True) -> Node:
        node = self.item(card.text)
        meta = [card.group.label] if with_group else []
        who = self.x.author(card)
        if who:
            meta.append(who)
        meta.append(gettext("no. %(number)d", number=card.number))
        also = self.x.also_named(card)
        if also:
            meta.append(also)
        _append_plain(node, " — ")
        span(node, _t(" · ".join(meta)), "Runde_Italic")
        return node

    def column_style(self, width_cm: float) -> str:
        """An automatic column style of this width (one per width)."""
        name = f"Runde_Col_{round(width_cm * 100)}"
        if name not in self.column_styles:
            self.column_styles.add(name)
            styles = _xml_root(self.doc, "content.xml").find(
                "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}automatic-styles"
            )
            style = etree.SubElement(styles, _q("style:style"))
            style.set(_q("style:name"), name)
            style.set(_q("style:family"), "table-column")
            properties = etree.SubElement(style, _q("style:table-column-properties"))
            properties.set(_q("style:column-width"), f"{width_cm}cm")
        return name

    def table_style(self, width_cm: float) -> str:
        name = f"Runde_Table_{round(width_cm * 100)}"
        if name not in self.column_styles:
            self.column_styles.add(name)
            styles = _xml_root(self.doc, "content.xml").find(
                "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}automatic-styles"
            )
            style = etree.SubElement(styles, _q("style:style"))
            style.set(_q("style:name"), name)
            style.set(_q("style:family"), "table")
            properties = etree.SubElement(style, _q("style:table-properties"))
            properties.set(_q("style:width"), f"{width_cm}cm")
            properties.set(_q("table:align"), "left")
        return name

    def table(self, head: list[str], rows: Iterable[list[str | Node]], widths: Sequence[float]) -> None:
        """A table whose header row repeats on every page, with fixed column widths (cm)."""
        self.table_count += 1
        table = el(
            "table:table",
            self.body,
            table__name=f"Table{self.table_count}",
            table__style_name=self.table_style(round(sum(widths), 2)),
        )
        for width in widths:
            el("table:table-column", table, table__style_name=self.column_style(width))
        header_rows = el("table:table-header-rows", table)
        row = el("table:table-row", header_rows)
        for text in head:
            span(el("text:p", el("table:table-cell", row), text__style_name="Text_20_body"), text, "Runde_Bold")
        for values in rows:
            row = el("table:table-row", table)
            for value in values:
                cell = el("table:table-cell", row)
                cell.append(self.item(value) if isinstance(value, str) else value)

    # --- parts -------------------------------------------------------------------------------

    def head(self) -> None:
        r, x = self.r, self.x
        self.para(x.subtitle().upper(), style="Runde_20_Small")
        self.para(r.title, style="Title")
        facts = [(gettext("Date"), x.date())]
        if r.place:
            facts.append((gettext("Place"), r.place))
        if r.moderators:
            facts.append((gettext("Moderation"), r.moderators))
        facts.append((gettext("Participants"), str(r.participants_total)))
        facts.append((gettext("Consensus threshold"), x.threshold()))
        node = self.para()
        for i, (label, value) in enumerate(facts):
            if i:
                el("text:s", node, text__c="3")
            span(node, f"{label}: ", "Runde_Bold")
            add_text(node, _t(value))

    def organization_list(self, participation: Sequence[GroupParticipation]) -> None:
        items = []
        for part in participation:
            node = self.item()
            span(node, _t(part.group.label), "Runde_Bold")
            add_text(node, f" ({self.x.participants(part.joined)})")
            if part.organizations:
                add_text(node, ": " + _t(", ".join(part.organizations)))
            items.append(node)
        self.bullets(items)

    def participation(self) -> None:
        x = self.x
        self.heading(x.section("participation"), 1)
        rows: list[list[str | Node]] = [
            [p.group.label, str(p.joined), str(p.cards), str(p.dots), str(p.ratings)] for p in self.r.participation
        ]
        totals = [sum(getattr(p, f) for p in self.r.participation) for f in ("joined", "cards", "dots", "ratings")]
        rows.append([gettext("Total"), *map(str, totals)])
        self.table(
            [gettext("Stakeholder group"), gettext("Joined"), gettext("Cards"), gettext("Dots"), gettext("Ratings")],
            rows,
            (4.0, 3.25, 3.25, 3.25, 3.25),
        )

    def statement(self, s: ReportStatement, n: int) -> None:
        x = self.x
        span(self.para(), f"{n}. " + _t(s.text), "Runde_Bold")
        flags = [x.verdict(s)]
        if s.disagreement and s.blocked:
            flags.append(gettext("Open disagreement"))
        details = [x.ratings(s.ratings_count)]
        if s.card_numbers:
            details.append(gettext("based on cards %(numbers)s", numbers=x.card_refs(s.card_numbers)))
        if s.revision > 1:
            details.append(gettext("version %(revision)d", revision=s.revision))
        meta = self.para()
        span(meta, " · ".join(flags), VERDICT_STYLES[x.verdict_class(s)])
        add_text(meta, " — " + " · ".join(details))
        if s.ratings_count:
            rows: list[list[str | Node]] = []
            for gs in s.support:
                chart = self.item()
                if gs.ratings:
                    self.picture(chart, bar_png(gs.counts, threshold=self.r.threshold), "5cm", "0.33cm")
                    el("text:line-break", chart)
                    span(chart, x.level_summary(gs), "Runde_Italic")
                figure = x.support_figure(gs) + (f" — {x.carried(gs)}" if gs.carried is not None else "")
                rows.append([gs.group.label, figure, chart])
            self.table([gettext("Stakeholder group"), gettext("Support"), gettext("Ratings")], rows, (5.0, 4.0, 8.0))
        if s.conditions:
            self.para(gettext("Conditions given with support with reservations") + ":", bold=True)
            conditions = []
            for d in s.conditions:
                node = self.item()
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                add_text(node, f"({_t(who)}): " + _t(d.reason))
                conditions.append(node)
            self.bullets(conditions)
        if s.dissent:
            self.para(gettext("Concerns and blocks, with their reasons") + ":", bold=True)
            items = []
            for d in s.dissent:
                node = self.item()
                span(node, x.level_label(d.level), "Runde_Bold")
                who = ", ".join(filter(None, [d.group.label, x.person(d.author, d.organization)]))
                add_text(node, f" ({_t(who)}): " + _t(d.reason))
                items.append(node)
            self.bullets(items)

    def legend(self) -> None:
        node = self.para(style="Runde_20_Small")
        for level in self.x.levels:
            self.picture(node, swatch_png(LEVEL_COLORS[level]), "0.25cm", "0.25cm")
            add_text(node, f" {self.x.level_label(level)}  ")
        add_text(node, " | " + gettext("threshold %(share)s", share=self.x.threshold()))

    def card_list(self, cards: Sequence[ReportCard], *, with_group: bool = True) -> None:
        self.bullets(self.card_item(c, with_group=with_group) for c in cards)

    def cluster_list(self, clusters: Sequence[ReportCluster]) -> None:
        x = self.x
        items = []
        for cl in clusters:
            node = self.item()
            span(node, _t(cl.title), "Runde_Bold")
            text = f" — {x.dots(cl.dots)}"
            if cl.dots_by_group:
                text += " (" + ", ".join(f"{g.label} {k}" for g, k in cl.dots_by_group) + ")"
            if cl.cards:
                text += f"; {x.cards(len(cl.cards))}: " + x.card_refs(tuple(c.number for c in cl.cards))
            add_text(node, _t(text))
            items.append(node)
        self.bullets(items)

    def appendix_cards(self, cards: Sequence[ReportCard]) -> None:
        x = self.x
        for c in cards:
            node = self.para()
            span(node, f"{c.number}. {x.kind_label(c.kind)}: ", "Runde_Bold")
            add_text(node, _t(c.text))
            self.para(" · ".join(m for m in (c.group.label, x.author(c), x.card_note(c)) if m), style="Runde_20_Small")

    def revision_list(self, revisions: Sequence[EarlierRevision]) -> None:
        self.text_list(f"{e.text} ({self.x.revision_note(e)})" for e in revisions)

    def write(self) -> bytes:
        self.sections()
        self.para(gettext("Created with Runde."), style="Runde_20_Small")
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def render(report: Report) -> bytes:
    return _Writer(report).write()
