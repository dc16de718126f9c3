"""Every export format, parsed back: the statements, the support per group, the dissent with
its reasons and the cards are there; hidden cards are not; anonymous workshops name nobody;
hostile text stays text in every format; only the workshop's moderators get anything
(API-CONTRACT.md "Exports"; docs/exports.md)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import docx
import jsonschema
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from tests.factories import bearer, make_moderator
from tests.report_world import (
    HOSTILE_CLUSTER,
    HOSTILE_ORG,
    HOSTILE_REASON,
    HOSTILE_TEXTS,
    LONG_WORD,
    PEOPLE,
    World,
    build_world,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
FORMATS = ["md", "html", "pdf", "docx", "odt", "csv", "json"]
DOCUMENTS = ["md", "html", "pdf", "docx", "odt"]
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "csv": "application/zip",
    "json": "application/json",
}
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# A soft hyphen is where Typst hyphenated a word at a line's end: the PDF writes it as U+00AD,
# as PDF 1.7 §14.8.2.2.3 asks, so text extraction can join the word again.
SOFT_HYPHEN = "\u00ad"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
# The tags our Markdown produces; anything else would have come from participant text.
MD_TAGS = {"p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "table", "thead", "tbody", "tr", "th", "td"}
MD_TAGS |= {"blockquote", "hr", "br"}


def norm(text: str) -> str:
    """Text as a reader sees it: no bidi controls, one kind of space, NFC."""
    text = BIDI.sub("", unicodedata.normalize("NFC", text)).replace(SOFT_HYPHEN + "\n", "").replace(SOFT_HYPHEN, "")
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", BIDI.sub("", text)).replace(SOFT_HYPHEN, "")


def pdf_text(content: bytes, tmp_path: Path, *, raw: bool = False) -> str:
    """The PDF's text; ``raw``: in the order it was drawn (colour emoji are drawn as images
    of their own, which the layout order can put on a line of their own)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    order = ["-raw"] if raw else []
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *order, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def odt_root(content: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        return ET.fromstring(archive.read("content.xml"))  # noqa: S314 - our own export


def odt_text(content: bytes) -> str:
    root = odt_root(content)
    blocks = [el for el in root.iter() if el.tag in (f"{{{ODF_TEXT}}}p", f"{{{ODF_TEXT}}}h")]
    return "\n".join("".join(el.itertext()) for el in blocks)


def csv_tables(content: bytes) -> dict[str, list[list[str]]]:
    tables = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                raw = archive.read(name)
                assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no byte-order mark"
                tables[name] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return tables


def text_of(fmt: str, content: bytes, tmp_path: Path) -> str:
    """The readable text of an export."""
    if fmt == "md":
        return BeautifulSoup(render_md(content), "html.parser").get_text(" ")
    if fmt == "html":
        return BeautifulSoup(content.decode(), "html.parser").get_text(" ")
    if fmt == "pdf":
        return pdf_text(content, tmp_path)
    if fmt == "docx":
        return docx_text(content)
    if fmt == "odt":
        return odt_text(content)
    if fmt == "csv":
        return "\n".join(" ".join(row) for rows in csv_tables(content).values() for row in rows)
    return content.decode()


def render_md(content: bytes) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(content.decode())


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    return build_world(app, api)


# --- content, per format ---------------------------------------------------------------------


@pytest.mark.rendering
def test_documents_hold_the_consensus_the_dissent_and_the_cards(world: World, tmp_path: Path) -> None:
    for fmt in DOCUMENTS:
        response = world.export(fmt)
        assert response.status_code == 200, response.text
        check_documented_content(fmt, norm(text_of(fmt, response.content, tmp_path)), world)


def check_documented_content(fmt: str, text: str, world: World) -> None:
    # The title and the moderator's texts.
    for expected in (
        "Austauschrunde: Beteiligung & Stadtlabore",
        "Rathaus Musterstadt",
        "26. November 2026",
        "Mia Moderatorin",
    ):
        assert expected in text, (fmt, expected)
    assert "Wir haben drei Klauseln besprochen." in text and "Holtkamp 2007: Handbuch Governance" in text
    # Current statements, with their verdicts; the first version only as an earlier version.
    for label in ("consensus", "blocked", "disagreement", "revised", "unrated"):
        assert norm(world.statements[label]["text"]) in text, (fmt, label)
    assert "Stadtlabore in jedem Stadtteil (erste Fassung)." in text  # appendix: earlier versions
    for verdict in ("Konsens", "Veto eingelegt", "Offener Dissens", "Noch nicht bewertet"):
        assert verdict in text, (fmt, verdict)
    # Support per group: figures (8 participants, 2 per group) and every group named.
    assert "2 von 2 (100 %)" in text and "0 von 2 (0 %)" in text and "1 von 2 (50 %)" in text
    for label in ("Wissenschaft", "Wirtschaft", "Zivilgesellschaft", "Verwaltung & Politik"):
        assert label in text
    # Dissent with reasons and (not anonymous) names.
    assert "Rechtlich unzulässig: Vergaberecht" in text and "Carla Kaufmann" in text
    assert "Abhängigkeit von Firmen (Emma)" in text and "Schwerwiegende Bedenken" in text
    # Participating organisations and participation.
    assert "Universität Nord" in text and "Datenwerk GmbH" in text
    # Needs, logics, examples, questions, the cluster with its dots.
    for label in ("need-science", "logic-business", "example", "question", "concern", "topic2"):
        assert norm(world.cards[label]["text"]) in text, (fmt, label)
    assert "Daten und Zugang" in text and "7 Punkte" in text
    # The merged duplicate stays in the appendix with its target; the hidden card is gone.
    assert "Bitte Probleme beschreiben, nicht Lösungen" in text and "zusammengeführt in Nr. 3" in text
    assert "Beleidigender Beitrag" not in text
    if fmt == "pdf":
        assert "Seite 1 von" in text


@pytest.mark.rendering
def test_documents_show_merged_duplicates_conditions_ideas_and_concerns(world: World, tmp_path: Path) -> None:
    """A duplicate merged from another group stays in that group's needs ("also named by …"),
    the condition given with "support with reservations" is listed with its statement, ideas
    and concerns have their own sections — in every document format."""
    for fmt in DOCUMENTS:
        text = norm(text_of(fmt, world.export(fmt).content, tmp_path))
        assert "auch genannt von Verwaltung & Politik" in text, fmt
        assert "Bedingungen der Zustimmung mit Vorbehalten" in text and "Nur mit Budget für die Stadtteile" in text, fmt
        assert "Hans Rat" in text.split("Nur mit Budget für die Stadtteile")[0][-200:], fmt
        for label in ("idea", "concern"):
            assert text.count(norm(world.cards[label]["text"])) >= 2, (fmt, label)  # section and appendix
    html = render_md(world.export("md").content)
    headings = [h.get_text() for h in BeautifulSoup(html, "html.parser").find_all("h3")]
    assert "Ideen" in headings and "Bedenken" in headings
    # The administration's needs hold the business card its duplicate was merged into.
    administration = html.split("<h4>Verwaltung &amp; Politik</h4>")[1].split("<h4>")[0].split("<h3>")[0]
    assert "Probleme statt fertiger Lösungen ausschreiben" in administration


@pytest.mark.rendering
def test_the_appendix_can_be_left_out_of_one_export(world: World, tmp_path: Path) -> None:
    for fmt in ("md", "pdf", "docx"):
        full = norm(text_of(fmt, world.export(fmt).content, tmp_path))
        short = norm(text_of(fmt, world.export(fmt, appendix="false").content, tmp_path))
        assert "Anhang: alle Beiträge" in full and "Anhang: alle Beiträge" not in short, fmt
        assert norm(world.statements["consensus"]["text"]) in short, fmt
    assert "Anhang: alle Beiträge" in norm(text_of("md", world.export("md").content, tmp_path))  # settings unchanged


@pytest.mark.rendering
def test_html_is_standalone_print_ready_and_script_free(world: World) -> None:
    html = world.export("html").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html is not None and soup.html["lang"] == "de"
    assert not soup.find_all("script") and not soup.find_all("link") and not soup.find_all("iframe")
    assert "@page" in html and "size: A4" in html and "counter(pages)" in html
    assert all(img["src"].startswith("data:image/png;base64,") for img in soup.find_all("img"))
    assert "#aa3300" in html  # the accent colour
    bars = soup.select("svg.rp-bar")
    assert bars and all(bar.find("rect") for bar in bars)
    assert {rect.get("fill") for bar in bars for rect in bar.find_all("rect")} >= {"#1e6b35", "#a4262c", "#d98b1a"}
    # Every statement with ratings has a support table naming every group.
    tables = soup.select("table.rp-support")
    assert len(tables) == 4 and all(len(t.select("tbody tr")) == 4 for t in tables)


@pytest.mark.rendering
def test_pdf_is_a4_with_page_numbers_and_embedded_fonts(world: World, tmp_path: Path) -> None:
    content = world.export("pdf").content
    assert content.startswith(b"%PDF-")
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    text = pdf_text(content, tmp_path)
    assert f"Seite {pages} von {pages}" in text
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "DejaVu" in fonts and "Serif" not in fonts  # @page boxes use the report's font too
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # embedded


@pytest.mark.rendering
def test_docx_uses_real_headings_lists_tables_and_chart_images(world: World) -> None:
    document = docx.Document(io.BytesIO(world.export("docx").content))
    styles = {p.style.name for p in document.paragraphs if p.style is not None}
    assert {"Title", "Heading 1", "Heading 2", "List Bullet", "List Number", "Intense Quote"} <= styles
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert "Beteiligte Organisationen" in headings and "Anhang: alle Beiträge" in headings
    support = [t for t in document.tables if t.rows[0].cells[0].text == "Akteursgruppe" and len(t.columns) == 3]
    assert len(support) == 4
    assert [row.cells[0].text for row in support[0].rows[1:]] == [
        "Wissenschaft",
        "Wirtschaft",
        "Zivilgesellschaft",
        "Verwaltung & Politik",
    ]
    images = [rel for rel in document.part.rels.values() if "image" in rel.reltype]
    assert images and all(rel.target_part.blob.startswith(b"\x89PNG") for rel in images)
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "Seite" in footer
    assert document.core_properties.title == "Austauschrunde: Beteiligung & Stadtlabore"


@pytest.mark.rendering
def test_odt_uses_real_headings_lists_tables_and_images(world: World) -> None:
    content = world.export("odt").content
    root = odt_root(content)
    headings = [
        (h.get(f"{{{ODF_TEXT}}}outline-level"), h.get(f"{{{ODF_TEXT}}}style-name"))
        for h in root.iter(f"{{{ODF_TEXT}}}h")
    ]
    assert ("1", "Heading_20_1") in headings and ("2", "Heading_20_2") in headings and ("3", "Heading_20_3") in headings
    assert any(el.get(f"{{{ODF_TEXT}}}style-name") == "List_20_1" for el in root.iter(f"{{{ODF_TEXT}}}list"))
    tables = list(root.iter("{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table"))
    assert len(tables) >= 5  # participation + four statements with ratings
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        pictures = [n for n in archive.namelist() if n.startswith("Pictures/")]
        assert pictures and all(archive.read(n)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0") for n in pictures)
        manifest = archive.read("META-INF/manifest.xml").decode()
        assert all(f'manifest:full-path="{n}"' in manifest for n in pictures)
        styles = archive.read("styles.xml").decode()
        assert "text:page-number" in styles and "text:page-count" in styles and "Seite" in styles


@pytest.mark.rendering
def test_csv_zip_is_rfc4180_with_bom_and_every_table(world: World) -> None:
    response = world.export("csv")
    tables = csv_tables(response.content)
    assert set(tables) == {
        "summary.csv",
        "participants.csv",
        "topics.csv",
        "cards.csv",
        "clusters.csv",
        "dot-votes.csv",
        "statements.csv",
        "support.csv",
        "ratings.csv",
        "polis/comments.csv",
        "polis/votes.csv",
        "polis/participants-votes.csv",
    }
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert b"\r\n" in archive.read("cards.csv")  # RFC 4180 line ends
        assert "README.txt" in archive.namelist()
    cards = tables["cards.csv"]
    texts = [row[cards[0].index("text")] for row in cards[1:]]
    assert "Beleidigender Beitrag, den die Moderation ausblendet" not in texts
    assert "Beteiligung abends und im Stadtteil\nnicht nur dienstags im Rathaus" in texts  # line break kept, quoted
    ratings = tables["ratings.csv"]
    head = ratings[0]
    reasons = {row[head.index("reason")] for row in ratings[1:]}
    assert "Rechtlich unzulässig: Vergaberecht" in reasons
    assert {row[head.index("participant")] for row in ratings[1:]} <= {f"P{i}" for i in range(1, 9)}
    support = tables["support.csv"]
    statement = world.statements["blocked"]["id"]
    rows = {r[1]: r for r in support[1:] if r[0] == statement}
    assert set(rows) == {"science", "business", "civil_society", "administration"}
    assert (
        rows["business"][support[0].index("block")] == "1"
        and rows["business"][support[0].index("support_share")] == "0.5"
    )
    participants = tables["participants.csv"]
    assert participants[1][:5] == ["P1", "science", "Wissenschaft", "Ada Lovelace", "Universität Nord"]
    # Polis: comments (current statements), votes 1/-1/0, the participants' vote matrix.
    comments = tables["polis/comments.csv"]
    assert comments[0] == [
        "timestamp",
        "datetime",
        "comment-id",
        "author-id",
        "agrees",
        "disagrees",
        "moderated",
        "comment-body",
    ]
    assert len(comments) == 1 + 5
    votes = tables["polis/votes.csv"]
    assert votes[0] == ["timestamp", "datetime", "comment-id", "voter-id", "vote"]
    assert {row[4] for row in votes[1:]} == {"1", "-1", "0"}
    matrix = tables["polis/participants-votes.csv"]
    assert matrix[0][:6] == ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
    assert len(matrix) == 1 + 8 and all(len(row) == len(matrix[0]) for row in matrix)
    # One table on its own.
    response = world.export("csv", table="ratings")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert (
        'filename="runde-austauschrunde-beteiligung-stadtlabore-ratings.csv"' in response.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["statement_id", "topic_id", "participant", "group", "level", "reason", "updated_at"]
    unknown = world.export("csv", table="secrets")
    assert unknown.status_code == 422 and "ratings" in unknown.json()["detail"]
    assert world.export("md", table="ratings").status_code == 422


@pytest.mark.rendering
def test_json_validates_against_the_documented_schema(world: World) -> None:
    document = world.export("json").json()
    schema = json.loads((DOCS / "export-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["workshop"]["title"] == "Austauschrunde: Beteiligung & Stadtlabore"
    # The workshop's anonymity level, and the boolean the first version of the schema had.
    assert document["workshop"]["anonymity"] == "named" and document["workshop"]["anonymous"] is False
    statements = {s["id"]: s for s in document["statements"]}
    assert len(statements) == 6  # five current, one earlier version
    blocked = statements[world.statements["blocked"]["id"]]
    assert blocked["blocked"] is True and blocked["by_group"]["business"]["block"] == 1
    topic = document["report"]["topics"][0]
    assert [s["statement_id"] for s in topic["consensus"]] and all(s["consensus"] for s in topic["consensus"])
    dissent = [d for s in topic["without_consensus"] for d in s["dissent"]]
    assert {"level": "block", "reason": "Rechtlich unzulässig: Vergaberecht", "group": "business"}.items() <= next(
        d for d in dissent if d["level"] == "block"
    ).items()
    card_texts = {c["text"] for c in document["cards"]}
    assert world.cards["need-science"]["text"] in card_texts and world.cards["hidden"]["text"] not in card_texts
    # The schema is strict: what it does not describe is refused, so it cannot drift unnoticed.
    document["cards"][0]["secret"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


# --- HTTP: headers, who may export, errors --------------------------------------------------


@pytest.mark.rendering
def test_headers(world: World) -> None:
    for fmt in FORMATS:
        response = world.export(fmt)
        assert response.status_code == 200, fmt
        assert response.headers["content-type"] == MEDIA_TYPES[fmt]
        assert response.headers["cache-control"] == "no-store", fmt
        disposition = response.headers["content-disposition"]
        match = re.fullmatch(r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=UTF-8\'\'(\S+)', disposition)
        assert match, disposition
        assert match.group(1).startswith("runde-austauschrunde-beteiligung-stadtlabore")
        assert "Austauschrunde%20Beteiligung%20%26%20Stadtlabore" in match.group(2)
        assert response.headers["x-content-type-options"] == "nosniff"


def test_participants_and_strangers_get_nothing_and_errors_are_readable(
    app: FastAPI, api: TestClient, world: World
) -> None:
    url = f"/api/v1/workshops/{world.id}/export"
    participant = bearer(world.tokens["Ada Lovelace"])
    for fmt in FORMATS:
        response = api.get(url, params={"format": fmt}, headers=participant)
        assert response.status_code == 403, (fmt, response.text)
        assert set(response.json()) == {"detail"} and "Stadtlabor" not in response.text
    anonymous = api.get(url, params={"format": "md"})  # not logged in: as for every workshop call
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    other = make_moderator(app, api, email="other@example.org")
    assert api.get(url, params={"format": "md"}, headers=bearer(other.token)).status_code == 403
    # A participant asking for an unknown format learns nothing either (403 before 422).
    assert api.get(url, params={"format": "exe"}, headers=participant).status_code == 403
    assert api.get(f"/api/v1/workshops/{world.id}/report", headers=participant).status_code == 403
    assert (
        api.patch(f"/api/v1/workshops/{world.id}/report", json={"place": "x"}, headers=participant).status_code == 403
    )
    assert api.delete(f"/api/v1/workshops/{world.id}/report/logo", headers=participant).status_code == 403
    assert api.get("/api/v1/workshops/nope/export", params={"format": "md"}, headers=world.mod()).status_code == 404
    # The moderator asking for an unknown format gets a readable 422.
    response = world.export("exe")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "md, html, pdf, docx, odt, csv, json" in detail
    missing = world.api.get(f"/api/v1/workshops/{world.id}/export", headers=world.mod())
    assert missing.status_code == 422


# --- anonymity ------------------------------------------------------------------------------


@pytest.mark.rendering
def test_anonymous_workshops_name_nobody(app: FastAPI, api: TestClient, tmp_path: Path) -> None:
    world = build_world(app, api, anonymous=True)
    for fmt in FORMATS:
        response = world.export(fmt)
        assert response.status_code == 200
        text = norm(text_of(fmt, response.content, tmp_path))
        for name, _group, organization in PEOPLE:
            assert name not in text, (fmt, name)
            assert organization not in text, (fmt, organization)
        assert "Rechtlich unzulässig: Vergaberecht" in text, fmt  # the reason stays, attributed to a group
        if fmt in DOCUMENTS:
            assert "Der Workshop war anonym" in text, fmt
            assert "(Wirtschaft): Rechtlich unzulässig" in text or "Wirtschaft" in text, fmt
        if fmt == "json":
            document = response.json()
            assert all(p["display_name"] is None and p["organization"] is None for p in document["participants"])
            dissent = [d for t in document["report"]["topics"] for s in t["without_consensus"] for d in s["dissent"]]
            assert dissent and all(d["display_name"] is None and d["organization"] is None for d in dissent)
            assert (document["workshop"]["anonymity"], document["workshop"]["anonymous"]) == ("moderators", True)
    # Stricter still: nobody sees names. The JSON and the CSV summary say which level.
    patched = world.api.patch(f"/api/v1/workshops/{world.id}", json={"anonymity": "anonymous"}, headers=world.mod())
    assert patched.status_code == 200, patched.text
    assert world.export("json").json()["workshop"]["anonymity"] == "anonymous"
    summary = dict(csv.reader(io.StringIO(world.export("csv", table="summary").content.decode("utf-8-sig"))))
    assert (summary["anonymity"], summary["anonymous"]) == ("anonymous", "true")


# --- hostile text ---------------------------------------------------------------------------


@pytest.fixture
def hostile(app: FastAPI, api: TestClient) -> World:
    return build_world(app, api, hostile=True)


HOSTILE_ALL = [*HOSTILE_TEXTS.values(), HOSTILE_REASON, HOSTILE_ORG, HOSTILE_CLUSTER]


@pytest.mark.rendering
def test_hostile_text_stays_text_in_every_format(hostile: World, tmp_path: Path) -> None:
    check_hostile_html(hostile)
    check_hostile_markdown(hostile)
    check_hostile_csv(hostile)
    check_hostile_office_and_json(hostile, tmp_path)


def check_hostile_html(hostile: World) -> None:
    html = hostile.export("html").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script") and not soup.find_all(["iframe", "object", "embed", "u", "i", "b"])
    assert not [a for a in soup.find_all("a") if "javascript" in a.get("href", "")]
    assert not [el for el in soup.find_all(True) if any(attr.startswith("on") for attr in el.attrs)]
    assert len(soup.find_all("img")) == 1  # the logo only
    text = soup.get_text()
    for hostile_text in HOSTILE_ALL:
        assert BIDI.sub("", hostile_text) in BIDI.sub("", text), hostile_text
    # Layout intact: every appendix entry still has its text and its meta line, in order.
    items = soup.select("ol.rp-appendix-cards > li")
    assert all(item.select_one("p.rp-text") and item.select_one("p.rp-meta") for item in items)
    assert [i.select_one(".rp-no").get_text() for i in items] == [f"{n}." for n in range(1, len(items) + 1)]
    # The bidi override is closed inside its own text: an isolate around it.
    bidi = next(li for li in items if "gnunhcer" in li.get_text())
    assert "\u2068" in bidi.select_one("p.rp-text").get_text() and "\u2069" in bidi.select_one("p.rp-text").get_text()


def check_hostile_markdown(hostile: World) -> None:
    content = hostile.export("md").content
    rendered = render_md(content)
    soup = BeautifulSoup(rendered, "html.parser")
    assert {el.name for el in soup.find_all(True)} <= MD_TAGS, {el.name for el in soup.find_all(True)} - MD_TAGS
    text = soup.get_text()
    for hostile_text in HOSTILE_ALL:
        assert BIDI.sub("", hostile_text) in BIDI.sub("", text), hostile_text
    # The intro (moderator text) is escaped the same way.
    assert "Einleitung mit <script>bad()</script> und [Link](javascript:alert(1))" in text
    # No participant text opened a block of its own: the appendix has one list item per card,
    # each with its text and its meta line, numbered from 1.
    appendix = soup.find("h2", string="Anhang: alle Beiträge")
    assert appendix is not None
    listing = appendix.find_next("ol")
    items = listing.find_all("li", recursive=False)
    assert len(items) == 12 + len(HOSTILE_TEXTS)  # topic 1: twelve visible cards and the hostile ones
    assert listing.get("start") in (None, "1") and all(item.find("em") for item in items)
    assert not soup.find_all("table", string=re.compile("HYPERLINK"))


def check_hostile_csv(hostile: World) -> None:
    tables = csv_tables(hostile.export("csv").content)
    for name, rows in tables.items():
        for row in rows:
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert re.fullmatch(r"-?\d+(\.\d+)?", cell), (name, cell)  # only our numbers
    cards = tables["cards.csv"]
    texts = [row[cards[0].index("text")] for row in cards[1:]]
    assert "'" + HOSTILE_TEXTS["formula"] in texts and "'" + HOSTILE_TEXTS["plus"] in texts
    assert HOSTILE_TEXTS["markup"] in texts and HOSTILE_TEXTS["long"] in texts and HOSTILE_TEXTS["emoji"] in texts
    reasons = [row[5] for row in tables["ratings.csv"][1:]]
    assert "'" + HOSTILE_REASON in reasons
    organizations = [row[4] for row in tables["participants.csv"][1:]]
    assert "'" + HOSTILE_ORG not in organizations and HOSTILE_ORG in organizations  # starts with "<": harmless


def check_hostile_office_and_json(hostile: World, tmp_path: Path) -> None:
    for fmt in ("docx", "odt"):
        text = text_of(fmt, hostile.export(fmt).content, tmp_path)
        for hostile_text in HOSTILE_ALL:
            assert BIDI.sub("", hostile_text) in BIDI.sub("", text), (fmt, hostile_text)
    document = json.dumps(hostile.export("json").json(), ensure_ascii=False)
    for hostile_text in HOSTILE_ALL:
        assert json.dumps(hostile_text, ensure_ascii=False)[1:-1] in document, hostile_text


@pytest.mark.rendering
def test_hostile_text_in_pdf_is_kept_and_inside_the_page(hostile: World, tmp_path: Path) -> None:
    content = hostile.export("pdf").content
    text = pdf_text(content, tmp_path, raw=True)
    flat = squeeze(text)
    assert "root:x:0:0" not in text  # #read("/etc/passwd") is text, not code
    for hostile_text in HOSTILE_ALL:
        # After a right-to-left override the text is drawn (and extracted) reversed.
        before, override, after = hostile_text.partition("\u202e")
        assert squeeze(before) in flat, hostile_text
        if override:
            rest = squeeze(after.split("\u202c")[0])
            assert rest in flat or rest[::-1] in flat, hostile_text
    assert squeeze(LONG_WORD) in flat  # broken across lines, not cut
    # Nothing runs off the page: every word's box lies within the page.
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', boxes)
    assert page
    width = float(page.group(1))
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right_edges and max(right_edges) <= width - 20, max(right_edges)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.rendering
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_cli_export_writes_the_file(
    world: World, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("RUNDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RUNDE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RUNDE_SECRET_KEY", settings.secret_key)
    target = tmp_path / "bericht.md"
    result = CliRunner().invoke(cli, ["export", world.id, "--format", "md", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert world.statements["consensus"]["text"] in target.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["export", world.id, "--format", "csv", "--table", "cards"])
    assert result.exit_code == 0, result.output
    assert (
        (tmp_path / "runde-austauschrunde-beteiligung-stadtlabore-cards.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )
    result = CliRunner().invoke(cli, ["export", world.id, "--format", "exe"])
    assert result.exit_code == 2 and "md, html" in result.output
    result = CliRunner().invoke(cli, ["export", "nope", "--format", "md"])
    assert result.exit_code == 2


def test_csv_export_is_named_as_the_zip_it_is(
    world: World, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``format=csv`` is a ZIP of CSV tables: the download and the command line both name it
    ``.zip``, and ``-o x.csv`` (or any other export's suffix that is not what is written) is
    refused with a clear message instead of writing a ZIP under a CSV name."""
    from typer.testing import CliRunner

    from app.cli import cli

    response = world.export("csv")
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    match = re.fullmatch(r'attachment; filename="([^"]+)"; filename\*=UTF-8\'\'(\S+)', disposition)
    assert match, disposition
    assert match.group(1).endswith("-data.zip") and match.group(2).endswith(".zip"), disposition

    monkeypatch.setenv("RUNDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RUNDE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RUNDE_SECRET_KEY", settings.secret_key)
    monkeypatch.chdir(tmp_path)
    wrong = CliRunner().invoke(cli, ["export", world.id, "--format", "csv", "-o", "x.csv"])
    assert wrong.exit_code == 2, wrong.output
    assert ".zip" in wrong.output and "--table" in wrong.output, wrong.output
    assert not (tmp_path / "x.csv").exists()
    for name in ("x.json", "x.PDF"):
        refused = CliRunner().invoke(cli, ["export", world.id, "--format", "csv", "-o", name])
        assert refused.exit_code == 2 and not (tmp_path / name).exists(), refused.output
    named = CliRunner().invoke(cli, ["export", world.id, "--format", "csv", "-o", "x.zip"])
    assert named.exit_code == 0, named.output
    assert zipfile.is_zipfile(tmp_path / "x.zip")
    default = CliRunner().invoke(cli, ["export", world.id, "--format", "csv"])
    assert default.exit_code == 0, default.output
    assert zipfile.is_zipfile(tmp_path / "runde-austauschrunde-beteiligung-stadtlabore-data.zip")
    one = CliRunner().invoke(cli, ["export", world.id, "--format", "csv", "--table", "cards", "-o", "x.csv"])
    assert one.exit_code == 0, one.output
    assert (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    wrong_md = CliRunner().invoke(cli, ["export", world.id, "--format", "md", "-o", "bericht.pdf"])
    assert wrong_md.exit_code == 2 and ".md" in wrong_md.output, wrong_md.output
    # A name without an export's suffix is the user's choice and written as given.
    free = CliRunner().invoke(cli, ["export", world.id, "--format", "json", "-o", "daten.txt"])
    assert free.exit_code == 0, free.output


# --- the pieces -----------------------------------------------------------------------------------


def test_typst_template_imports_no_package_and_reads_no_file() -> None:
    """The template is code we wrote; what it may reach is fixed here: no ``#import``/
    ``#include`` (so no package is ever fetched), no ``read``/``image`` of a path (the logo
    comes as bytes in the data), and the only input is ``sys.inputs.report``."""
    from app.exports.pdf import TEMPLATE, TEMPLATE_DIR

    source = TEMPLATE.read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in source.splitlines())
    assert not re.search(r"#\s*(import|include)\b", code)
    assert "@preview" not in code and "read(" not in code
    assert re.findall(r"image\(([^,]+),", code) == ["bytes(data.logo.bytes)"]
    assert re.findall(r"sys\.inputs\.(\w+)", code) == ["report"]
    assert sorted(p.name for p in TEMPLATE_DIR.iterdir()) == ["report.typ"]


def test_typst_reads_nothing_outside_the_template_folder(tmp_path: Path) -> None:
    """The compiler's root is the template folder: a path outside it cannot be read, even by
    a template that tries (ours does not; participant text is never code anyway)."""
    import typst

    from app.exports.pdf import TEMPLATE_DIR

    probe = TEMPLATE_DIR / "report.typ"
    for path in ("/etc/passwd", "../../../../etc/passwd", "../pdf.py"):
        with pytest.raises(typst.TypstError):
            typst.compile(f"#read({json.dumps(path)})".encode(), root=TEMPLATE_DIR)
    assert probe.exists()


@pytest.mark.rendering
def test_pdf_is_tagged_pdf_ua_1_and_pdf_a_2a(world: World) -> None:
    """PDF/UA-1 and PDF/A-2a, read back with pikepdf: a structure tree, MarkInfo Marked, the
    workshop's language, the title as the window title, both standards in the XMP metadata,
    every heading in the outline (bookmarks), tables with header cells, charts as figures
    whose alternative text says the numbers."""
    import pikepdf

    content = world.export("pdf").content
    pdf = pikepdf.open(io.BytesIO(content))
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "de"
    assert root.ViewerPreferences.DisplayDocTitle is True
    meta = pdf.open_metadata()
    assert meta["pdfuaid:part"] == "1"
    assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "A"
    assert meta["dc:title"] == "Austauschrunde: Beteiligung & Stadtlabore"

    tags: list[tuple[str, pikepdf.Dictionary]] = []

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

    walk(root.StructTreeRoot)
    names = [name for name, _ in tags]
    assert names.count("/Title") == 1 and "/Document" in names
    headings = [name for name in names if re.fullmatch(r"/H\d", name)]
    outline: list[str] = []
    with pdf.open_outline() as tree:
        stack = list(reversed(tree.root))
        while stack:
            item = stack.pop()
            outline.append(item.title)
            stack.extend(reversed(item.children))
    assert len(outline) == len(headings) > 10
    assert "Beteiligte Organisationen" in outline and "Anhang: alle Beiträge" in outline
    assert "1. § 4 Beteiligung aller relevanten Akteure" in outline and "Konsens" in outline
    # Tables: the participation table and one support table per rated statement, each with
    # a header row of header cells.
    assert names.count("/Table") == names.count("/THead") == 5
    assert names.count("/TH") >= 5 + 4 * 4
    # Charts: one figure per group of a rated statement, its numbers in the alternative text.
    logo, *alts = [str(node.Alt) for name, node in tags if name == "/Figure"]
    assert logo == "Logo von Stadt Musterstadt"
    assert len(alts) == 16, alts
    assert all(alt.startswith("Diagramm für ") for alt in alts), alts
    assert any("Volle Zustimmung 2" in alt for alt in alts)
    assert any("Veto" in alt for alt in alts)


@pytest.mark.rendering
def test_pdf_of_text_no_installed_font_can_draw_is_written_without_the_standards(world: World, tmp_path: Path) -> None:
    """PDF/A and PDF/UA forbid characters no font can draw (Chinese or runes on a server
    without such fonts): the export still succeeds, tagged, with everything else in it — it
    only leaves out the standards' claims (docs/exports.md). Failed with a 500 before."""
    import pikepdf

    topic = world.topics[1]["id"]
    response = world.api.post(
        f"/api/v1/topics/{topic}/cards",
        json={"kind": "need", "text": "Mehrsprachig 中文 ᚠᚢᚦ Beteiligung"},
        headers=bearer(world.tokens["Ada Lovelace"]),
    )
    assert response.status_code == 201, response.text
    exported = world.export("pdf")
    assert exported.status_code == 200, exported.text[:300]
    pdf = pikepdf.open(io.BytesIO(exported.content))
    assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "de"
    text = norm(pdf_text(exported.content, tmp_path))
    assert "Mehrsprachig" in text and "Beteiligung" in text
    assert norm(world.statements["consensus"]["text"]) in text


@pytest.mark.rendering
def test_pdf_hyphenates_with_soft_hyphens_and_keeps_headings_with_their_text(world: World, tmp_path: Path) -> None:
    """Words break at real hyphenation points, written as soft hyphens (U+00AD) that text
    extraction drops, never as hard hyphen characters inside a word; no page ends with a
    heading."""
    content = world.export("pdf").content
    text = pdf_text(content, tmp_path)
    assert "\u2010" not in text
    assert not re.search(r"\w-\n\w", text), "a hard hyphen at a line's end"
    assert headings_followed_on_their_page(content, tmp_path) > 10


def headings_followed_on_their_page(content: bytes, tmp_path: Path) -> int:
    """Checks that every heading (an outline entry's destination) has text below it on its own
    page, above the footer; returns the number of headings checked."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(content))
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    targets = []
    with pdf.open_outline() as tree:
        stack = list(tree.root)
        while stack:
            item = stack.pop()
            stack.extend(item.children)
            destination = item.destination
            assert destination is not None, item.title
            targets.append((item.title, pages[destination[0].objgen], float(destination[3])))
    path = tmp_path / "headings.pdf"
    path.write_bytes(content)
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    words_per_page = [
        [float(y) for y in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"', page)]
        for page in boxes.split("<page ")[1:]
    ]
    height = float(pdf.pages[0].MediaBox[3])
    footer = height - 22 * 72 / 25.4  # the bottom margin holds the page numbers
    for title, page, top in targets:
        heading_top = height - top
        below = [y for y in words_per_page[page] if heading_top + 25 < y < footer]
        assert below, f"{title!r} ends page {page + 1}"
    return len(targets)


def test_bidi_isolation_closes_what_the_text_opens() -> None:
    from app.exports.text import isolate

    assert isolate("plain text") == "plain text"
    assert isolate("a\u202eb") == "\u2068a\u202eb\u202c\u2069"
    assert isolate("a\u2067b") == "\u2068a\u2067b\u2069\u2069"
    assert isolate("x\u2069y\u202cz") == "\u2068xyz\u2069"  # closers it never opened are dropped


def test_css_strings_cannot_leave_the_string_or_the_style_element() -> None:
    """The report's title goes into the PDF's running footer as a CSS string inside <style>,
    marked safe for Jinja (HTML escaping would garble CSS): css_string must do the escaping."""
    from app.exports.common import css_string

    hostile = 'Titel"; } body { display: none } </style><script>alert(1)</script> \\ & \n\x00 ä'
    literal = css_string(hostile)
    inner = literal[1:-1]
    assert literal[0] == literal[-1] == '"'
    assert not re.search(r'["<>&\x00-\x1f\x7f]', inner), "nothing that ends the string or the element"
    assert re.sub(r"\\([0-9a-f]{1,6}) ", lambda m: chr(int(m.group(1), 16)), inner) == hostile, "nothing lost"


def test_csv_cells_that_look_like_formulas_become_text() -> None:
    from app.exports.text import csv_cell

    for text in ("=1+1", "+1", "-1 Tag", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell(-1) == "-1" and csv_cell(0.5) == "0.5" and csv_cell(None) == "" and csv_cell(True) == "true"
    assert csv_cell("Ö=1") == "Ö=1"


def test_markdown_escaping_keeps_text_text() -> None:
    from app.exports.text import md_lines

    html = MarkdownIt("commonmark", {"html": True}).render(
        "- " + md_lines("1. [a](javascript:x) <b>b</b> *c* `d` &lt; www.example.org\n- e\n# f", indent="  ")
    )
    soup = BeautifulSoup(html, "html.parser")
    assert {el.name for el in soup.find_all(True)} == {"ul", "li", "br"}
    assert soup.get_text().strip() == "1. [a](javascript:x) <b>b</b> *c* `d` &lt; www.example.org\n- e\n# f"
