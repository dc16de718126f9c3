"""Accessibility that the HTML itself must carry (issue 13): the language of workshop content
where it differs from the interface (WCAG 3.1.2), on pages and in pushed fragments, and the
logic-exchange page (a keyboard-reachable scroll region, kept live by pushes).

Pushes are rendered exactly as the hub renders them (``EventRenderer.render``), as in
``tests/test_event_consistency.py``; the browser side is in ``tests/e2e/test_a11y_browser.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.board import Audience
from app.realtime.render import Target
from tests.factories import (
    ModeratorInfo,
    bearer,
    create_workshop,
    csrf,
    join_api,
    join_browser,
    login_as,
    make_moderator,
    page_seq,
    post_card,
)
from tests.htmx_oob import apply_oob
from tests.test_event_consistency import loop_app, pushed_messages

__all__ = ["loop_app"]  # a fixture, used by name

GERMAN_CARD = "Verlässliche Ansprechpersonen in der Verwaltung"


def german_workshop(api: TestClient, moderator: Any) -> dict[str, Any]:
    """A German workshop with the four default groups and one the moderator did not translate."""
    return create_workshop(
        api,
        moderator,
        locale="de",
        title="Beteiligung in Musterstadt",
        description="Wer fehlt noch am Tisch?",
        topics=[{"title": "Alle Akteure einbeziehen", "prompt": "§ 4 Abs. 2", "guiding_questions": ["Wer fehlt?"]}],
        groups=[
            {"key": "science", "label": "Wissenschaft", "label_en": "Science"},
            {"key": "quartier", "label": "Quartiersrat"},
        ],
    )


def german_world(app: FastAPI, api: TestClient) -> tuple[ModeratorInfo, dict[str, Any], str, dict[str, Any]]:
    """The German workshop, its topic, and a participant of the untranslated group."""
    moderator = make_moderator(app, api)
    workshop = german_workshop(api, moderator)
    author = join_api(api, workshop, group="quartier", name="Lea")
    return moderator, workshop, workshop["topics"][0]["id"], author


def english(client: TestClient) -> TestClient:
    client.headers["Accept-Language"] = "en"
    return client


def marked(doc: BeautifulSoup | Tag) -> list[str]:
    """``lang`` of every element inside ``<main>`` (or the fragment) that carries one."""
    root = doc.find(id="main") if isinstance(doc, BeautifulSoup) and doc.find(id="main") else doc
    assert isinstance(root, Tag)
    return [str(tag["lang"]) for tag in root.find_all(attrs={"lang": True})]


def one(doc: BeautifulSoup | Tag, selector: str) -> Tag:
    found = doc.select_one(selector)
    assert isinstance(found, Tag), f"nothing matches {selector!r}"
    return found


def target(view: str, topic_id: str, *, role: str = "participant", locale: str = "de") -> Target:
    return Target(audience=Audience(role=role, locale=locale), format="html", view=view, topic_id=topic_id)  # type: ignore[arg-type]


# --- language of parts -----------------------------------------------------------------


@pytest.mark.rendering
def test_an_english_page_marks_german_workshop_content(loop_app: FastAPI, api: TestClient, client: TestClient) -> None:
    app = loop_app
    _moderator, workshop, topic_id, author = german_world(app, api)
    assert post_card(api, author["token"], topic_id, GERMAN_CARD).status_code == 201
    board_url = client.get(join_browser(english(client), workshop, group="science"), follow_redirects=False)
    page = BeautifulSoup(client.get(board_url.headers["location"]).text, "html.parser")

    assert one(page, "html")["lang"] == "en"
    assert one(page, "#compose-" + topic_id + " h2").get_text() == "Add a card"  # the interface is English
    for selector in (
        "#workshop-head h1",
        "#workshop-head .lead",
        f"#topic-title-{topic_id}",
        f"#topic-head-{topic_id} .prompt",
        f"#topic-tab-{topic_id} .tab-title",
        ".card .card-text",
    ):
        assert one(page, selector).get("lang") == "de", selector
    # A group label the moderator translated is English here; an untranslated one is German.
    badges = {b.get_text(strip=True): b.get("lang") for b in page.select(".card .group-badge, #presence .group-badge")}
    assert badges == {"Science": None, "Quartiersrat": "de"}, badges
    # The screen-reader names of the card's controls carry the German text as a German part.
    assert all(t.get("lang") == "de" for t in page.select(".card .sr-only > span")) and page.select(".card .sr-only")

    # A card pushed to an English audience is marked the same way, and so is its announcement.
    seq = page_seq(str(page))
    assert post_card(api, author["token"], topic_id, "Abendtermine für Ehrenamtliche").status_code == 201
    [message] = pushed_messages(app, workshop["id"], seq, target("board", topic_id, locale="en"))
    fragment = BeautifulSoup(message, "html.parser")
    assert one(fragment, ".card .card-text").get("lang") == "de"
    assert one(fragment, '[data-news="card"] span[dir]').get("lang") == "de"
    assert "New card" in one(fragment, '[data-news="card"]').get_text()
    apply_oob(page, message)
    assert [t.get("lang") for t in page.select(".card .card-text")] == ["de", "de"]


@pytest.mark.rendering
def test_a_german_page_of_a_german_workshop_adds_no_lang(
    loop_app: FastAPI, api: TestClient, client: TestClient
) -> None:
    app = loop_app
    _moderator, workshop, topic_id, author = german_world(app, api)
    assert post_card(api, author["token"], topic_id, GERMAN_CARD).status_code == 201
    client.headers["Accept-Language"] = "de"
    board_url = client.get(join_browser(client, workshop, group="science"), follow_redirects=False)
    page = BeautifulSoup(client.get(board_url.headers["location"]).text, "html.parser")
    assert one(page, "html")["lang"] == "de"
    assert marked(page) == []
    exchange = BeautifulSoup(client.get(f"/w/{workshop['id']}/topics/{topic_id}/exchange").text, "html.parser")
    assert GERMAN_CARD in exchange.get_text() and marked(exchange) == []

    seq = page_seq(str(page))
    assert post_card(api, author["token"], topic_id, "Abendtermine für Ehrenamtliche").status_code == 201
    for view in ("board", "exchange"):
        [message] = pushed_messages(app, workshop["id"], seq, target(view, topic_id))
        assert "Abendtermine" in message and marked(BeautifulSoup(message, "html.parser")) == [], view


@pytest.mark.rendering
def test_an_english_workshop_is_marked_on_german_moderator_pages(api: TestClient, client: TestClient) -> None:
    """The moderator's pages too: the console, the workshop list (each workshop in its own
    language) and the report page; the report preview's article carries the report's lang."""
    moderator = make_moderator(client.app, api)  # type: ignore[arg-type]
    english_one = create_workshop(api, moderator, locale="en", title="Open data round", topics=[{"title": "Who?"}])
    create_workshop(api, moderator, locale="de", title="Offene Daten", topics=[{"title": "Wer?"}])

    client.headers["Accept-Language"] = "de"
    login_as(client, moderator)
    home = BeautifulSoup(client.get("/m").text, "html.parser")
    titles = {a.get_text(strip=True): a.get("lang") for a in home.select("main a[href^='/m/workshops/']")}
    assert titles.get("Open data round") == "en" and titles.get("Offene Daten") is None, titles
    console = BeautifulSoup(client.get(f"/m/workshops/{english_one['id']}").text, "html.parser")
    assert one(console, "#workshop-head h1").get("lang") == "en"
    assert one(console, "#agenda h3").get("lang") == "en"
    report = BeautifulSoup(client.get(f"/m/workshops/{english_one['id']}/report").text, "html.parser")
    assert one(report, "html")["lang"] == "de"
    assert one(report, ".report-preview article").get("lang") == "en"
    assert one(report, ".eyebrow a").get("lang") == "en"


@pytest.mark.rendering
def test_the_moderators_group_choice_marks_labels_in_the_workshops_language(
    api: TestClient, client: TestClient
) -> None:
    """The compose form's group drop-down (a moderator types in cards from a paper flipchart):
    on an English page, a label the moderator did not translate is a German part, on the
    board and in the form htmx gets back; on a German page nothing is marked."""
    moderator = make_moderator(client.app, api)  # type: ignore[arg-type]
    workshop = german_workshop(api, moderator)
    topic_id = workshop["topics"][0]["id"]
    login_as(english(client), moderator)
    board_url = f"/m/workshops/{workshop['id']}/topics/{topic_id}"

    def options(doc: BeautifulSoup) -> dict[str, str | None]:
        return {o.get_text(strip=True): o.get("lang") for o in doc.select(f"#group-{topic_id} option")}

    board = BeautifulSoup(client.get(board_url).text, "html.parser")
    assert one(board, "html")["lang"] == "en"
    assert options(board) == {"Science": None, "Quartiersrat": "de"}
    refused = client.post(
        f"/topics/{topic_id}/cards",
        data={"kind": "need", "text": "", "group": "quartier"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
    )
    assert refused.status_code == 422
    assert options(BeautifulSoup(refused.text, "html.parser")) == {"Science": None, "Quartiersrat": "de"}

    client.headers["Accept-Language"] = "de"
    german = BeautifulSoup(client.get(board_url).text, "html.parser")
    assert options(german) == {"Wissenschaft": None, "Quartiersrat": None}


# --- the logic exchange ------------------------------------------------------------------


@pytest.mark.rendering
def test_the_exchange_page_is_a_keyboard_reachable_region_kept_live(
    loop_app: FastAPI, api: TestClient, client: TestClient
) -> None:
    app = loop_app
    moderator, workshop, topic_id, author = german_world(app, api)
    join_browser(client, workshop, group="science")
    url = f"/w/{workshop['id']}/topics/{topic_id}/exchange"
    before = client.get(url)
    page = BeautifulSoup(before.text, "html.parser")
    scroll = one(page, f"#exchange-scroll-{topic_id}")
    assert scroll.get("tabindex") == "0" and scroll.get("role") == "region" and scroll.get("aria-label")
    socket = one(page, "[data-ws-connect]")["data-ws-connect"]
    assert "view=exchange" in str(socket) and f"topic={topic_id}" in str(socket)
    seq = page_seq(before.text)

    card = post_card(api, author["token"], topic_id, GERMAN_CARD, kind="logic").json()["id"]
    api.patch(f"/api/v1/topics/{topic_id}", json={"title": "Akteure & Rollen"}, headers=bearer(moderator.token))
    api.patch(f"/api/v1/cards/{card}", json={"text": "Ansprechpersonen, verlässlich"}, headers=bearer(author["token"]))
    messages = pushed_messages(app, workshop["id"], seq, target("exchange", topic_id))
    assert len(messages) == 3
    for message in messages:
        apply_oob(page, message)
    fresh = BeautifulSoup(client.get(url).text, "html.parser")
    live, expected = one(page, f"#exchange-{topic_id}"), one(fresh, f"#exchange-{topic_id}")
    assert " ".join(live.decode().split()) == " ".join(expected.decode().split())
    row = next(r for r in live.select("tbody tr") if "Quartiersrat" in r.get_text())
    assert "Ansprechpersonen, verlässlich" in row.select("td")[1].get_text()  # the logic column
    assert one(live, "h1").get_text(strip=True) == "Akteure & Rollen"
    assert one(page, "#live-seq")["data-seq"] == one(fresh, "#live-seq")["data-seq"]
    # A new card is also news for the page's live region; nothing for elements it lacks.
    assert '[data-news="card"]' and 'data-news="card"' in messages[0]
    for message in messages:
        ids = {
            str(t.get("id")) for t in BeautifulSoup(message, "html.parser").find_all(attrs={"data-hx-swap-oob": True})
        }
        assert ids <= {"live-seq", f"exchange-{topic_id}", "None"}, ids
