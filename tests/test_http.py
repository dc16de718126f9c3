"""HTTP behaviour around every answer: cache headers and content-hashed static URLs,
compression, cookies only where they belong, HEAD wherever GET works, HSTS in production,
and the public pages' description for link previews and search engines."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import create_workshop, login_as, make_moderator

STATIC_DIR = Path(__file__).resolve().parents[1] / "app" / "static"
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "app" / "templates"
IMMUTABLE = "public, max-age=31536000, immutable"


def static_links(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    links = [tag.get("href") for tag in soup.find_all("link")] + [tag.get("src") for tag in soup.find_all("script")]
    return [str(link) for link in links if link and str(link).startswith("/static/")]


def content_hash(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


# --- 1. content-hashed static URLs and their cache headers ----------------------------------


def test_no_template_links_a_static_file_by_hand() -> None:
    """Every static link goes through static_url(), or it would miss its version."""
    offenders = [
        str(path.relative_to(TEMPLATE_DIR))
        for path in TEMPLATE_DIR.rglob("*.html")
        if re.search(r"""["']/static/""", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_pages_link_static_files_by_content_hash(app: FastAPI, client: TestClient) -> None:
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    workshop = create_workshop(client, moderator)
    pages = ["/", "/login", f"/m/workshops/{workshop['id']}/report"]
    seen = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for link in static_links(response.text):
            path, _, query = link.partition("?")
            relative = path.removeprefix("/static/")
            assert query == f"v={content_hash(relative)}", link
            seen.add(relative)
    assert {"css/runde.css", "js/runde.js", "css/report.css", "js/report.js", "img/favicon.svg"} <= seen


def test_versioned_static_files_are_immutable_and_others_revalidate(client: TestClient) -> None:
    (link,) = [link for link in static_links(client.get("/").text) if link.startswith("/static/css/runde.css")]
    versioned = client.get(link)
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    assert versioned.content == (STATIC_DIR / "css" / "runde.css").read_bytes()
    for stale in ("/static/css/runde.css", "/static/css/runde.css?v=000000000000"):
        response = client.get(stale)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache", stale
        # Revalidation works: the ETag comes back as 304.
        again = client.get(stale, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["cache-control"] == "no-cache"


def test_the_exported_html_still_embeds_its_stylesheet() -> None:
    from app.exports.html import stylesheet

    assert stylesheet() == (STATIC_DIR / "css" / "report.css").read_text(encoding="utf-8")
