"""The room without a browser (issue 10): the projector's room view per phase from its one data
function, the room's topic pushed to boards and projector, and the small things around it
(plural counts, a closed topic's timer, the hidden-dots hint, login after logout)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.board import Audience
from app.models import EventLog, Workshop
from app.realtime.render import Target
from tests.factories import ModeratorInfo, bearer, create_workshop, csrf, join_api, login_as, make_moderator, post_card

ClientFactory = Callable[[], TestClient]


@pytest.fixture
def moderator(app: FastAPI, api: TestClient) -> ModeratorInfo:
    return make_moderator(app, api)


@pytest.fixture
def workshop(api: TestClient, moderator: ModeratorInfo) -> dict[str, Any]:
    return create_workshop(
        api,
        moderator,
        locale="en",
        topics=[{"title": "Alle Akteure einbeziehen", "prompt": "§ 4"}, {"title": "Offene Daten"}],
    )


def call(api: TestClient, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = api.request(method, path, json=body, headers=bearer(token))
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def mod_browser(factory: ClientFactory, moderator: ModeratorInfo) -> TestClient:
    browser = factory()
    browser.headers["Accept-Language"] = "en"
    login_as(browser, moderator)
    return browser


def page(browser: TestClient, path: str) -> BeautifulSoup:
    response = browser.get(path)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def texts(doc: BeautifulSoup, selector: str) -> list[str]:
    return [" ".join(t.get_text(" ").split()) for t in doc.select(selector)]


@pytest.mark.rendering
def test_room_view_per_phase(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w, t = workshop["id"], workshop["topics"][0]["id"]
    tok = moderator.token
    browser = mod_browser(client_factory, moderator)
    projector = f"/m/workshops/{w}/projector/{t}"
    people = [join_api(api, workshop, group=g, name=f"P{n}") for n, g in enumerate(["science", "business"] * 3)]

    # Collect, concealed: counts per group, and no card text on the wall.
    call(api, tok, "POST", f"/api/v1/topics/{t}/options", {"hide_until_reveal": True})
    for n, person in enumerate(people):
        assert post_card(api, person["token"], t, f"Geheimer Beitrag {n}").status_code == 201
    doc = page(browser, projector)
    assert texts(doc, ".room-count") == ["3 Science", "3 Business", "0 Civil society", "0 Administration & politics"]
    assert "Geheimer Beitrag" not in doc.get_text()
    assert texts(doc, ".room-subtitle")[0] == "6 cards so far · 6 people have joined"
    assert doc.select_one(".room")["data-join"] == "small"  # type: ignore[index]
    # Revealed: the newest cards, newest first.
    call(api, tok, "POST", f"/api/v1/topics/{t}/options", {"cards_revealed": True})
    doc = page(browser, projector)
    assert [c.p.get_text() for c in doc.select(".room-card")][:2] == ["Geheimer Beitrag 5", "Geheimer Beitrag 4"]  # type: ignore[union-attr]

    # Cluster: titles with card counts ("1 card", "2 cards"), and the unclustered cards.
    call(api, tok, "PATCH", f"/api/v1/topics/{t}", {"phase": "cluster"})
    cards = call(api, tok, "GET", f"/api/v1/topics/{t}/cards")
    a = call(api, tok, "POST", f"/api/v1/topics/{t}/clusters", {"title": "Daten"})["id"]
    b = call(api, tok, "POST", f"/api/v1/topics/{t}/clusters", {"title": "Zeiten"})["id"]
    call(api, tok, "PUT", f"/api/v1/cards/{cards[0]['id']}/cluster", {"cluster_id": a})
    call(api, tok, "PUT", f"/api/v1/cards/{cards[1]['id']}/cluster", {"cluster_id": a})
    call(api, tok, "PUT", f"/api/v1/cards/{cards[2]['id']}/cluster", {"cluster_id": b})
    doc = page(browser, projector)
    shown = texts(doc, ".room-cluster")
    assert shown[:2] == ["Daten 2 cards", "Zeiten 1 card"]
    assert len(shown) == 5  # two clusters and three cards on their own

    # Vote, revealed: a ranking by dots, with the numbers per group in words.
    call(api, tok, "PATCH", f"/api/v1/topics/{t}", {"phase": "vote"})
    doc = page(browser, projector)
    assert "The dots are shown once the moderation reveals them." in doc.get_text()
    assert not doc.select(".room-number")
    for person in people[:4]:
        call(api, person["token"], "POST", f"/api/v1/clusters/{b}/votes", {"dots": 2})
    call(api, people[4]["token"], "POST", f"/api/v1/clusters/{a}/votes", {"dots": 1})
    call(api, tok, "POST", f"/api/v1/topics/{t}/options", {"tallies_revealed": True})
    doc = page(browser, projector)
    ranking = doc.select(".room-vote-item")
    assert [r.select_one(".room-item-title").get_text() for r in ranking[:2]] == ["Zeiten", "Daten"]  # type: ignore[union-attr]
    assert [r.select_one(".room-number").get_text() for r in ranking[:2]] == ["8", "1"]  # type: ignore[union-attr]
    assert texts(ranking[0], ".room-by-group > span") == ["Science 4", "Business 4"]

    # Consent: every statement's verdict in words.
    s1 = call(api, tok, "POST", f"/api/v1/topics/{t}/statements", {"text": "Alle tragen das.", "cluster_id": a})["id"]
    s2 = call(api, tok, "POST", f"/api/v1/topics/{t}/statements", {"text": "Einer blockiert.", "cluster_id": b})["id"]
    call(api, tok, "PATCH", f"/api/v1/topics/{t}", {"phase": "consent"})
    for n, person in enumerate(people):
        call(api, person["token"], "PUT", f"/api/v1/statements/{s1}/rating", {"level": "full"})
        level = {"level": "block", "reason": "Nein"} if n == 0 else {"level": "full"}
        call(api, person["token"], "PUT", f"/api/v1/statements/{s2}/rating", level)
    doc = page(browser, projector)
    assert texts(doc, ".room-verdict") == ["○ Support not shown yet", "○ Support not shown yet"]
    call(api, tok, "POST", f"/api/v1/topics/{t}/options", {"ratings_revealed": True})
    doc = page(browser, projector)
    assert texts(doc, ".room-verdict") == ["✔ Consensus", "✖ Blocked"]
    assert texts(doc.select(".room-statement")[0], ".room-share") == [
        "100%",
        "100%",
        "no ratings yet",
        "no ratings yet",
    ]

    # Closed: the results, best carried first, and the most dots; no "time is up" on the wall.
    call(api, tok, "POST", f"/api/v1/topics/{t}/timer", {"action": "start", "minutes": 1})
    call(api, tok, "PATCH", f"/api/v1/topics/{t}", {"phase": "closed"})
    doc = page(browser, projector)
    assert texts(doc, ".room-subtitle") == ["Results", "Most dots"]
    assert texts(doc, ".room-verdict") == ["✔ Consensus", "✖ Blocked"]
    assert not doc.select(".timer")


@pytest.mark.rendering
def test_join_box_is_large_until_the_first_card(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w, t = workshop["id"], workshop["topics"][0]["id"]
    browser = mod_browser(client_factory, moderator)
    assert page(browser, f"/m/workshops/{w}/projector/{t}").select_one(".room")["data-join"] == "large"  # type: ignore[index]
    person = join_api(api, workshop)
    assert post_card(api, person["token"], t, "Erster Beitrag").status_code == 201
    assert page(browser, f"/m/workshops/{w}/projector/{t}").select_one(".room")["data-join"] == "small"  # type: ignore[index]


def render_last(app: FastAPI, workshop_id: str, targets: list[Target]) -> dict[Target, str]:
    """Render the workshop's last logged event as the hub does."""

    async def go() -> dict[Target, str]:
        from sqlalchemy import select
        from sqlmodel import col

        async with app.state.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
            row = (
                await session.execute(
                    select(EventLog)
                    .where(col(EventLog.workshop_id) == workshop_id)
                    .order_by(col(EventLog.seq).desc())
                    .limit(1)
                )
            ).scalar_one()
            result: dict[Target, str] = await app.state.hub.renderer.render(
                session=session, workshop=workshop, row=row, targets=targets
            )
            return result

    return asyncio.run_coroutine_threadsafe(go(), app.state.loop).result(60)


@pytest.fixture
def loop_app(app: FastAPI, client: TestClient) -> FastAPI:
    """The app with a handle on the event loop its lifespan runs in (the TestClient's portal)."""

    async def grab() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    app.state.loop = client.portal.call(grab)  # type: ignore[union-attr]
    return app


def test_the_rooms_topic_is_pushed_to_boards_and_projector(
    loop_app: FastAPI,
    api: TestClient,
    moderator: ModeratorInfo,
    workshop: dict[str, Any],
    client_factory: ClientFactory,
) -> None:
    w = workshop["id"]
    first, second = workshop["topics"][0]["id"], workshop["topics"][1]["id"]
    browser = mod_browser(client_factory, moderator)
    person = join_api(api, workshop)
    response = browser.post(f"/m/topics/{second}/project", data={"csrf_token": csrf(browser)}, follow_redirects=False)
    assert response.status_code == 303
    room = Audience(role="participant", locale="en")
    board = Target(audience=room, format="html", view="board", topic_id=first)
    wall = Target(audience=room, format="html", view="projector", topic_id=first)
    console = Target(audience=Audience(role="moderator", locale="en"), format="html", view="console")
    rendered = render_last(loop_app, w, [board, wall, console])
    for target in (board, wall):
        state = BeautifulSoup(rendered[target], "html.parser").select_one("#room-state")
        assert state is not None and state["data-topic"] == second and state["data-title"] == "Offene Daten"
    assert "room-state" not in rendered[console]  # the console has no such element
    # The projector leaves for the room's topic: no room view of the old one is rendered for it.
    assert f'id="room-{first}"' not in rendered[wall]
    # Back to its topic: the projector's whole room view comes along.
    browser.post(f"/m/topics/{first}/project", data={"csrf_token": csrf(browser)})
    rendered = render_last(loop_app, w, [board, wall])
    assert f'id="room-{first}"' in rendered[wall]
    assert BeautifulSoup(rendered[board], "html.parser").select_one("#room-state")["data-topic"] == first  # type: ignore[index]
    # The participant's page names the room's topic from the start.
    doc = BeautifulSoup(
        client_factory().get(f"/w/{w}/topics/{second}", headers=bearer(person["token"])).text, "html.parser"
    )
    marker = doc.select_one("#room-state")
    assert marker is not None and marker["data-topic"] == first


@pytest.mark.rendering
def test_counts_are_plural_forms_and_the_dots_hint_shows_once(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w, t = workshop["id"], workshop["topics"][0]["id"]
    person = join_api(api, workshop)
    assert post_card(api, person["token"], t, "Ein Beitrag").status_code == 201
    phone = client_factory()
    phone.headers["Accept-Language"] = "en"
    assert texts(page_as(phone, f"/w/{w}/topics/{t}", person["token"]), f"#count-{t}") == ["1 card"]
    assert post_card(api, person["token"], t, "Noch einer").status_code == 201
    call(api, moderator.token, "PATCH", f"/api/v1/topics/{t}", {"phase": "vote"})
    for lang, counted in (("en", "2 cards"), ("de", "2 Beiträge")):
        phone.headers["Accept-Language"] = lang
        doc = page_as(phone, f"/w/{w}/topics/{t}", person["token"])
        assert texts(doc, f"#count-{t}") == [counted]
    # Two cards to vote on, one hint that the dots are counted in secret (not one per card).
    assert doc.get_text().count("Die Punkte werden geheim gezählt") <= 1
    phone.headers["Accept-Language"] = "en"
    doc = page_as(phone, f"/w/{w}/topics/{t}", person["token"])
    assert doc.get_text().count("Dots are counted in secret until the moderation reveals them.") == 1


def page_as(client: TestClient, path: str, token: str) -> BeautifulSoup:
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


@pytest.mark.rendering
def test_a_closed_topic_shows_no_timer(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w, t = workshop["id"], workshop["topics"][0]["id"]
    person = join_api(api, workshop)
    call(api, moderator.token, "POST", f"/api/v1/topics/{t}/timer", {"action": "start", "minutes": 1})
    call(api, moderator.token, "PATCH", f"/api/v1/topics/{t}", {"phase": "closed"})
    phone = client_factory()
    phone.headers["Accept-Language"] = "en"
    doc = page_as(phone, f"/w/{w}/topics/{t}", person["token"])
    assert not doc.select(f"#timer-{t} .timer-value")
    assert "time is up" not in doc.get_text()


def test_after_logout_a_moderator_page_offers_the_login(
    moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w = workshop["id"]
    browser = mod_browser(client_factory, moderator)
    browser.post("/logout", data={"csrf_token": csrf(browser)})
    response = browser.get(f"/m/workshops/{w}")
    assert response.status_code == 403
    link = BeautifulSoup(response.text, "html.parser").select_one(f'main a[href="/login?next=/m/workshops/{w}"]')
    assert link is not None and link.get_text() == "Log in as moderator"


def test_a_new_participant_lands_on_the_rooms_topic(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    w, second = workshop["id"], workshop["topics"][1]["id"]
    browser = mod_browser(client_factory, moderator)
    browser.post(f"/m/topics/{second}/project", data={"csrf_token": csrf(browser)})
    phone = client_factory()
    response = phone.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": "Ada", "organization": "", "group": "science", "csrf_token": csrf(phone)},
    )
    assert response.status_code == 200
    assert str(response.url).endswith(f"/w/{w}/topics/{second}")


def test_new_topics_take_the_workshops_hide_until_reveal_default(
    loop_app: FastAPI,
    api: TestClient,
    moderator: ModeratorInfo,
    workshop: dict[str, Any],
    client_factory: ClientFactory,
) -> None:
    """The console's settings set what new topics start with; the topics there keep theirs. A
    forged checkbox value is refused with the reason and changes nothing; the API reads and
    sets the same field; every open console is told live."""
    w, tok = workshop["id"], moderator.token
    assert workshop["hide_until_reveal_default"] is False
    browser = mod_browser(client_factory, moderator)
    doc = page(browser, f"/m/workshops/{w}")
    box = doc.select_one("#s-hide-default")
    assert box is not None and not box.has_attr("checked")
    assert texts(doc, "label:has(#s-hide-default)") == ["New topics: hide cards until I reveal them"]
    assert texts(doc, "#topic-default") == ["New topics show their cards as they arrive (settings)."]
    form = {"title": workshop["title"], "locale": "en", "joins_open": "on", "csrf_token": csrf(browser)}

    refused = browser.post(f"/m/workshops/{w}/settings", data={**form, "hide_until_reveal_default": "yes"})
    assert refused.status_code == 422
    assert texts(BeautifulSoup(refused.text, "html.parser"), "#s-hide-default-error") == [
        "Tick the box or leave it empty."
    ]
    assert call(api, tok, "GET", f"/api/v1/workshops/{w}")["hide_until_reveal_default"] is False

    saved = browser.post(
        f"/m/workshops/{w}/settings", data={**form, "hide_until_reveal_default": "on"}, follow_redirects=False
    )
    assert saved.status_code == 303
    console = Target(audience=Audience(role="moderator", locale="en"), format="html", view="console")
    pushed = BeautifulSoup(render_last(loop_app, w, [console])[console], "html.parser")
    assert texts(pushed, "#topic-default") == [
        "New topics start with their cards hidden until you reveal them (settings)."
    ]
    stored = call(api, tok, "GET", f"/api/v1/workshops/{w}")
    assert stored["hide_until_reveal_default"] is True
    assert [t["hide_until_reveal"] for t in stored["topics"]] == [False, False], "existing topics keep theirs"
    assert page(browser, f"/m/workshops/{w}").select_one("#s-hide-default").has_attr("checked")  # type: ignore[union-attr]

    by_api = call(api, tok, "POST", f"/api/v1/workshops/{w}/topics", {"title": "Neu über die API"})
    assert by_api["hide_until_reveal"] is True
    browser.post(f"/m/workshops/{w}/topics", data={"title": "Neu im Browser", "csrf_token": csrf(browser)})
    topics = call(api, tok, "GET", f"/api/v1/workshops/{w}")["topics"]
    assert [(t["title"], t["hide_until_reveal"]) for t in topics][-1] == ("Neu im Browser", True)
    # A participant of a new topic sees the counts, not the cards.
    person = join_api(api, workshop)
    assert post_card(api, person["token"], by_api["id"], "Noch verdeckt").status_code == 201
    other = join_api(api, workshop, group="business", name="Bo")
    board = client_factory().get(f"/w/{w}/topics/{by_api['id']}", headers=bearer(other["token"])).text
    assert "Noch verdeckt" not in board

    # Unticked (a checkbox then sends nothing): new topics show their cards again; the API too.
    browser.post(f"/m/workshops/{w}/settings", data=form)
    assert call(api, tok, "GET", f"/api/v1/workshops/{w}")["hide_until_reveal_default"] is False
    assert call(api, tok, "POST", f"/api/v1/workshops/{w}/topics", {"title": "Offen"})["hide_until_reveal"] is False
    patched = call(api, tok, "PATCH", f"/api/v1/workshops/{w}", {"hide_until_reveal_default": True})
    assert patched["hide_until_reveal_default"] is True
    made = create_workshop(api, moderator, title="Verdeckt", hide_until_reveal_default=True, topics=[{"title": "A"}])
    assert made["hide_until_reveal_default"] is True and made["topics"][0]["hide_until_reveal"] is True


@pytest.mark.rendering
def test_the_projector_keys_are_listed_where_the_moderator_sees_them(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    """On the projector behind "Keys" (and ?), and in one line next to the projector link on
    the moderator's board (German in scripts/i18n_maps/room4.py)."""
    w, t = workshop["id"], workshop["topics"][0]["id"]
    browser = mod_browser(client_factory, moderator)
    wall = page(browser, f"/m/workshops/{w}/projector/{t}")
    toggle = wall.select_one("#room-keys-toggle")
    panel = wall.select_one("#room-keys")
    assert toggle is not None and panel is not None
    assert toggle["aria-controls"] == "room-keys" and toggle["aria-expanded"] == "false"
    assert panel.has_attr("hidden"), "folded until asked for"
    assert texts(wall, "#room-keys dt") == ["→ or Page Down", "← or Page Up", "J", "K", "?"]
    assert texts(wall, "#room-keys dd")[:2] == ["next page of the room view", "previous page"]
    board = page(browser, f"/m/workshops/{w}/topics/{t}")
    assert texts(board, ".projector-link .note") == [
        "Keys there: → / ← or Page Down / Page Up turn the pages, J join code, K high contrast, ? all keys."
    ]
