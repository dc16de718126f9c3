"""LibreOffice opens the DOCX and ODT exports and converts them to (tagged) PDF: the workshop's
language reaches the document, tables keep a header row of header cells, no heading gets a
number the other formats lack, and the words are the Markdown export's (issue 11).

Needs LibreOffice Writer (Debian's ``libreoffice-writer-nogui``; scripts/test installs it):
marked ``slow`` — a conversion takes several seconds."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from tests.report_world import build_world

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (libreoffice-writer-nogui) missing"),
]
TAGGED_PDF = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'
SOFT_HYPHEN = "\u00ad"
PAGE_FURNITURE = (
    "Seite von Ergebnisbericht Volle Zustimmung Zustimmung mit Vorbehalten Enthaltung Schwerwiegende Bedenken "
    "Veto Schwelle 75 "
    # a table's header row, repeated on the next page
    "Akteursgruppe Zustimmung Bewertungen"
)


def pages(content: bytes) -> int:
    return len(pikepdf.open(io.BytesIO(content)).pages)


BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def words(text: str) -> Counter[str]:
    text = BIDI.sub("", text.lower()).replace(SOFT_HYPHEN + "\n", "").replace(SOFT_HYPHEN, "")
    return Counter(re.findall(r"\w+", text))


def structure(pdf: Any) -> list[tuple[str, Any]]:
    tags: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                tags.append((str(node.S), node))
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                for kid in kids:
                    walk(kid)
            elif isinstance(kids, pikepdf.Dictionary):
                walk(kids)

    walk(pdf.Root.StructTreeRoot)
    return tags


def outline_titles(pdf: Any) -> list[str]:
    titles: list[str] = []
    with pdf.open_outline() as tree:
        stack = list(reversed(tree.root))
        while stack:
            item = stack.pop()
            titles.append(item.title)
            stack.extend(reversed(item.children))
    return titles


def markdown_text(markdown: str) -> tuple[str, list[str]]:
    """The Markdown export's readable text and its headings below the title."""
    soup = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(markdown), "html.parser")
    for numbered in soup.find_all("ol"):  # a reader of the Markdown sees the numbers too
        for number, item in enumerate(numbered.find_all("li", recursive=False), start=int(numbered.get("start", 1))):
            item.insert(0, f"{number}. ")
    headings = [h.get_text() for h in soup.find_all(["h2", "h3", "h4"])]
    return soup.get_text(" "), headings


def test_libreoffice_opens_docx_and_odt_in_the_workshops_language(
    app: FastAPI, api: TestClient, tmp_path: Path
) -> None:
    world = build_world(app, api)
    markdown = world.export("md").content.decode()
    md_text, md_headings = markdown_text(markdown)
    for fmt in ("docx", "odt"):
        folder = tmp_path / fmt
        folder.mkdir()
        source = folder / f"report.{fmt}"
        source.write_bytes(world.export(fmt).content)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                TAGGED_PDF,
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=240,
        )
        content = (folder / "report.pdf").read_bytes()
        pdf = pikepdf.open(io.BytesIO(content))
        assert str(pdf.Root.Lang).startswith("de"), (fmt, pdf.Root.get("/Lang"))
        names = [name for name, _ in structure(pdf)]
        # The participation table and four support tables, each with its header row.
        assert names.count("/Table") == 5, (fmt, Counter(names))
        assert names.count("/TH") >= 5 + 4 * 3, (fmt, Counter(names))
        # Headings as in the Markdown export: no number added by the office suite.
        assert outline_titles(pdf) == md_headings, fmt
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(folder / "report.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        pdf_words, expected = words(text), words(md_text)
        missing = expected - pdf_words
        extra = pdf_words - expected
        assert not missing, (fmt, dict(missing))
        # What a word processor adds around the text: the page header (organisation), the
        # footer (page X of Y, the title), the kicker above the title, the chart legend and a
        # table's header row repeated on the next page. Nothing else.
        furniture = set(words(f"{PAGE_FURNITURE} Austauschrunde: Beteiligung & Stadtlabore Stadt Musterstadt"))
        furniture |= {str(page) for page in range(1, pages(content) + 1)}
        assert set(extra) <= furniture, (fmt, {w: n for w, n in extra.items() if w not in furniture})
