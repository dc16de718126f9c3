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

from app.config import Settings
from app.main import create_app
from tests.factories import app_routes, create_workshop, login_as, make_moderator

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


# --- 2. compression -------------------------------------------------------------------------

GZIP = {"Accept-Encoding": "gzip"}


def test_text_answers_are_gzipped_with_the_security_headers_kept(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    auth = {"Authorization": f"Bearer {moderator.token}", **GZIP}
    cases = {
        "/": "text/html",
        "/static/css/runde.css": "text/css",
        "/static/js/runde.js": "text/javascript",
        "/openapi.json": "application/json",
        f"/m/workshops/{workshop['id']}/qr.svg": "image/svg+xml",
        f"/api/v1/workshops/{workshop['id']}/export?format=html": "text/html",
    }
    for url, media_type in cases.items():
        response = api.get(url, headers=auth)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(media_type), url
        assert response.headers.get("content-encoding") == "gzip", url
        assert "accept-encoding" in response.headers["vary"].lower(), url
        assert "content-security-policy" in response.headers, url
        assert response.headers["x-content-type-options"] == "nosniff", url
    # Decoded, the static file is the file itself.
    assert api.get("/static/css/runde.css", headers=GZIP).content == (STATIC_DIR / "css" / "runde.css").read_bytes()


def test_small_answers_binary_downloads_and_clients_without_gzip_are_not_compressed(
    app: FastAPI, api: TestClient
) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    auth = {"Authorization": f"Bearer {moderator.token}", **GZIP}
    assert "content-encoding" not in api.get("/healthz", headers=GZIP).headers
    for fmt, media_type in (
        ("docx", "application/vnd.openxmlformats"),
        ("odt", "application/vnd.oasis"),
        ("csv", "application/zip"),
    ):
        response = api.get(f"/api/v1/workshops/{workshop['id']}/export?format={fmt}", headers=auth)
        assert response.status_code == 200, fmt
        assert response.headers["content-type"].startswith(media_type), fmt
        assert "content-encoding" not in response.headers, fmt
        assert int(response.headers["content-length"]) == len(response.content), fmt
    plain = api.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()


# --- 3. no cookies on cacheable answers -----------------------------------------------------


def test_static_and_cacheable_answers_set_no_cookie(app: FastAPI, client: TestClient) -> None:
    from fastapi.responses import PlainTextResponse

    # A cacheable answer of the app's own, as a later route might send one.
    app.add_api_route("/__cacheable__", lambda: PlainTextResponse("x", headers={"Cache-Control": "public, max-age=60"}))
    (versioned,) = [link for link in static_links(client.get("/").text) if "runde.css" in link]
    client.cookies.clear()
    for url in (versioned, "/static/css/runde.css", "/static/img/favicon.svg", "/static/no-such-file.css"):
        response = client.get(url)
        assert "set-cookie" not in response.headers, url
    assert "set-cookie" not in client.get("/__cacheable__").headers
    # Pages still hand a new browser its CSRF token.
    assert "runde_csrf=" in client.get("/").headers["set-cookie"]


# --- 4. HEAD wherever GET works -------------------------------------------------------------


def test_head_answers_like_get_without_a_body(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    (versioned,) = [link for link in static_links(api.get("/").text) if "runde.js" in link]
    urls = [
        versioned,
        "/static/css/runde.css",
        f"/j/{workshop['join_code']}",
        f"/api/v1/workshops/{workshop['id']}",
        f"/api/v1/workshops/{workshop['id']}/export?format=pdf",
        f"/m/workshops/{workshop['id']}/qr.svg",
    ]
    # ...and every GET route without path parameters, pages and API alike.
    checked, other = app_routes(app)
    urls += sorted(path for method, path in checked | other if method == "GET" and "{" not in path)
    assert {"/", "/login", "/healthz", "/api/v1/workshops", "/openapi.json"} <= set(urls)
    for encoding in ("gzip", "identity"):
        headers = {"Authorization": f"Bearer {moderator.token}", "Accept-Encoding": encoding}
        for url in urls:
            get = api.get(url, headers=headers, follow_redirects=False)
            head = api.head(url, headers=headers, follow_redirects=False)
            assert head.status_code == get.status_code, url
            assert head.content == b"", url
            assert head.headers.get("content-type") == get.headers.get("content-type"), url
            assert head.headers.get("content-encoding") == get.headers.get("content-encoding"), url
            if get.status_code == 200 and "content-encoding" not in get.headers:
                assert int(head.headers["content-length"]) == len(get.content), url
    assert get.status_code == 200 and head.headers["content-security-policy"]


def test_head_is_no_way_around_other_methods(app: FastAPI, client: TestClient) -> None:
    # HEAD is safe (no CSRF check), so it must never reach a state-changing route.
    response = client.head("/logout")
    assert response.status_code == 405


# --- 5. HSTS in production ------------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


def hsts_answers(settings: Settings) -> list[str | None]:
    """The Strict-Transport-Security header of a page, a static file, an API answer, a 404
    and a CSRF refusal from an app with ``settings``."""
    with TestClient(create_app(settings), base_url="https://runde.example.org") as browser:
        answers = [
            browser.get("/"),
            browser.get("/static/css/runde.css"),
            browser.head("/healthz"),
            browser.get("/api/v1/workshops"),
            browser.get("/no-such-page"),
            browser.post("/login", data={"email": "x"}, headers={"Origin": "https://evil.example"}),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404, 403]
    return [a.headers.get("strict-transport-security") for a in answers]


def test_production_over_https_sends_hsts_on_every_answer(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production", "base_url": "https://runde.example.org"})
    assert hsts_answers(production) == [HSTS] * 6


def test_no_hsts_in_development_or_over_plain_http(settings: Settings) -> None:
    development = settings.model_copy(update={"env": "development", "base_url": "https://runde.example.org"})
    plain = settings.model_copy(update={"env": "production", "base_url": "http://runde.example.org"})
    assert hsts_answers(development) == [None] * 6
    assert hsts_answers(plain) == [None] * 6


# --- 6. a description for the public pages --------------------------------------------------


def meta_description(html: str) -> str | None:
    tags = BeautifulSoup(html, "html.parser").find_all("meta", attrs={"name": "description"})
    assert len(tags) <= 1
    return str(tags[0]["content"]) if tags else None


def test_public_pages_describe_themselves_in_both_languages(app: FastAPI, client: TestClient) -> None:
    moderator = make_moderator(app, client)
    workshop = create_workshop(client, moderator)
    descriptions: dict[str, set[str]] = {}
    for lang in ("de", "en"):
        for page in ("/", "/login", f"/j/{workshop['join_code']}"):
            response = client.get(page, headers={"Accept-Language": lang})
            assert response.status_code == 200, page
            assert response.headers["content-language"] == lang
            description = meta_description(response.text)
            assert description and 50 <= len(description) <= 160, (page, lang, description)
            descriptions.setdefault(lang, set()).add(description)
    # Translated: not the English text twice.
    assert descriptions["de"].isdisjoint(descriptions["en"])
    # Only the public pages: a moderator's page is nothing a search engine should show.
    login_as(client, moderator)
    assert meta_description(client.get(f"/m/workshops/{workshop['id']}").text) is None
