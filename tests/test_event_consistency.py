"""Zulip-style event test: the board as it was, plus the pushed fragments applied by id,
must equal a fresh render of the board. If it differs, a live client shows something wrong.

The pushes are rendered exactly as the hub renders them (``EventRenderer.render`` for the
participant HTML audience) from the events the actions logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.board import Audience
from app.domain.eventlog import event_list_after
from app.models import Workshop
from app.realtime.render import Target
from tests.factories import bearer, create_workshop, join_api, join_browser, make_moderator, page_seq, post_card
from tests.htmx_oob import apply_oob, normalized_board


def board_target(role: str, topic_id: str) -> Target:
    """What a browser showing the board of ``topic_id`` in German subscribes as."""
    return Target(audience=Audience(role=role, locale="de"), format="html", view="board", topic_id=topic_id)  # type: ignore[arg-type]


def pushed_messages(app: FastAPI, workshop_id: str, after: int, target: Target) -> list[str]:
    """The messages the hub fans out to ``target`` for every event after ``after``."""

    async def render() -> list[str]:
        async with app.state.db.session() as session:
            workshop = await session.get(Workshop, workshop_id)
            rows = await event_list_after(session=session, workshop_id=workshop_id, after=after)
            out = []
            for row in rows:
                rendered = await app.state.hub.renderer.render(
                    session=session, workshop=workshop, row=row, targets=[target]
                )
                out.append(rendered[target])
            return out

    return asyncio.run_coroutine_threadsafe(render(), app.state.loop).result(10)


@pytest.fixture
def loop_app(app: FastAPI, client: TestClient) -> FastAPI:
    """The app with a handle on the event loop its lifespan runs in (the TestClient's portal)."""

    async def grab() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    app.state.loop = client.portal.call(grab)  # type: ignore[union-attr]
    return app


def check_consistent(
    app: FastAPI, browser: TestClient, board_url: str, workshop_id: str, action: Callable[[], object], target: Target
) -> None:
    before = browser.get(board_url)
    assert before.status_code == 200
    seq = page_seq(before.text)
    page = BeautifulSoup(before.text, "html.parser")
    action()
    messages = pushed_messages(app, workshop_id, seq, target)
    assert messages, "the action pushed nothing"
    for message in messages:
        apply_oob(page, message)
    fresh = browser.get(board_url)
    applied, expected = normalized_board(page), normalized_board(fresh.text)
    if applied != expected:
        import difflib

        diff = difflib.unified_diff(
            expected.split("> "), applied.split("> "), "fresh render", "pushes applied", lineterm=""
        )
        raise AssertionError(f"after {getattr(action, '__name__', action)}:\n" + "\n".join(list(diff)[:60]))
    assert page_seq(str(page)) == page_seq(fresh.text)


def test_participant_board_follows_every_card_event(loop_app: FastAPI, api: TestClient, client: TestClient) -> None:
    app = loop_app
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic_id = workshop["topics"][0]["id"]
    board_url = join_browser(client, workshop, group="business", name="Beobachterin")
    board_url = client.get(board_url, follow_redirects=False).headers["location"]
    other = join_api(api, workshop, group="science", name="Ada")
    mod = bearer(moderator.token)
    created: dict[str, str] = {}

    def create() -> None:
        created["a"] = post_card(api, other["token"], topic_id, "Offene Daten <b>jetzt</b>").json()["id"]
        created["b"] = post_card(api, other["token"], topic_id, "Ein Reallabor im Quartier", kind="example").json()[
            "id"
        ]

    def edit() -> None:
        api.patch(
            f"/api/v1/cards/{created['a']}", json={"text": "Offene Daten, aber sicher"}, headers=bearer(other["token"])
        )

    def hide() -> None:
        api.patch(f"/api/v1/cards/{created['a']}", json={"hidden": True}, headers=mod)

    def restore() -> None:
        api.patch(f"/api/v1/cards/{created['a']}", json={"hidden": False}, headers=mod)

    def delete() -> None:
        api.delete(f"/api/v1/cards/{created['b']}", headers=bearer(other["token"]))

    def next_phase() -> None:
        api.patch(f"/api/v1/topics/{topic_id}", json={"phase": "cluster"}, headers=mod)

    def new_topic() -> None:
        api.post(f"/api/v1/workshops/{workshop['id']}/topics", json={"title": "Stadtlabore"}, headers=mod)

    def rename_topic() -> None:
        api.patch(f"/api/v1/topics/{topic_id}", json={"title": "Akteure & Rollen", "prompt": "„§ 4“"}, headers=mod)

    for action in (create, edit, hide, restore, delete, next_phase, new_topic, rename_topic):
        check_consistent(app, client, board_url, workshop["id"], action, board_target("participant", topic_id))


def test_moderator_board_follows_hide_and_restore(loop_app: FastAPI, api: TestClient, client: TestClient) -> None:
    app = loop_app
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, anonymous=True)
    topic_id = workshop["topics"][0]["id"]
    from tests.factories import login_as

    login_as(client, moderator)
    board_url = f"/m/workshops/{workshop['id']}/topics/{topic_id}"
    other = join_api(api, workshop, group="science", name="Ada")
    card: dict[str, str] = {}
    mod = bearer(moderator.token)

    def create() -> None:
        card["id"] = post_card(api, other["token"], topic_id, "Bedarf an Räumen").json()["id"]

    def hide() -> None:
        api.patch(f"/api/v1/cards/{card['id']}", json={"hidden": True}, headers=mod)

    def restore() -> None:
        api.patch(f"/api/v1/cards/{card['id']}", json={"hidden": False}, headers=mod)

    for action in (create, hide, restore):
        check_consistent(app, client, board_url, workshop["id"], action, board_target("moderator", topic_id))


def test_boards_follow_moderating_toward_consensus(loop_app: FastAPI, api: TestClient, client: TestClient) -> None:
    """Reveals, clusters, moves, merges, votes, statements, ratings, revisions, timer and
    spotlight: after each, participant and moderator boards equal a fresh render."""
    app = loop_app
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic_id = workshop["topics"][0]["id"]
    board_url = join_browser(client, workshop, group="business", name="Beobachterin")
    board_url = client.get(board_url, follow_redirects=False).headers["location"]
    ada = join_api(api, workshop, group="science", name="Ada")
    bea = join_api(api, workshop, group="civil_society", name="Bea")
    mod = bearer(moderator.token)
    ids: dict[str, str] = {}

    def step(
        method: str, path: str, body: dict[str, object] | None = None, token: str | None = None
    ) -> dict[str, object]:
        response = api.request(method, path, json=body, headers=bearer(token) if token else mod)
        assert response.status_code < 300, response.text
        return response.json() if response.content else {}

    actions: list[Callable[[], object]] = [
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"hide_until_reveal": True}),
        lambda: ids.update(a=str(post_card(api, ada["token"], topic_id, "Verlässliche Ansprechpersonen").json()["id"])),
        lambda: ids.update(b=str(post_card(api, bea["token"], topic_id, "Ansprechpersonen, verlässlich").json()["id"])),
        lambda: ids.update(c=str(post_card(api, bea["token"], topic_id, "Ein Stadtlabor", kind="idea").json()["id"])),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"cards_revealed": True}),
        lambda: step("POST", f"/api/v1/cards/{ids['b']}/merge", {"into": ids["a"]}),
        lambda: step("PATCH", f"/api/v1/topics/{topic_id}", {"phase": "cluster"}),
        lambda: ids.update(
            k1=str(step("POST", f"/api/v1/topics/{topic_id}/clusters", {"title": "Ansprechpersonen"})["id"])
        ),
        lambda: ids.update(k2=str(step("POST", f"/api/v1/topics/{topic_id}/clusters", {"title": "Orte"})["id"])),
        lambda: step("PUT", f"/api/v1/cards/{ids['a']}/cluster", {"cluster_id": ids["k1"]}),
        lambda: step("PUT", f"/api/v1/cards/{ids['c']}/cluster", {"cluster_id": ids["k2"]}),
        lambda: step("PUT", f"/api/v1/cards/{ids['c']}/cluster", {"cluster_id": ids["k1"], "position": 0}),
        lambda: step("PATCH", f"/api/v1/clusters/{ids['k1']}", {"title": "Feste Ansprechpersonen"}),
        lambda: step("POST", f"/api/v1/clusters/{ids['k2']}/merge", {"into": ids["k1"]}),
        lambda: step("PATCH", f"/api/v1/topics/{topic_id}", {"phase": "vote"}),
        lambda: step("POST", f"/api/v1/cards/{ids['a']}/votes", {"dots": 2}, ada["token"]),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"tallies_revealed": True}),
        lambda: step("POST", f"/api/v1/clusters/{ids['k1']}/votes", {"dots": 1}, bea["token"]),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/timer", {"action": "start", "minutes": 5}),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"spotlight_card_id": ids["a"]}),
        lambda: ids.update(
            s=str(
                step(
                    "POST",
                    f"/api/v1/topics/{topic_id}/statements",
                    {"text": "Jede Gruppe hat eine feste Ansprechperson.", "cluster_id": ids["k1"]},
                )["id"]
            )
        ),
        lambda: step("PATCH", f"/api/v1/topics/{topic_id}", {"phase": "consent"}),
        lambda: step("PUT", f"/api/v1/statements/{ids['s']}/rating", {"level": "full"}, ada["token"]),
        lambda: step(
            "PUT", f"/api/v1/statements/{ids['s']}/rating", {"level": "concerns", "reason": "Zu teuer"}, bea["token"]
        ),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"ratings_revealed": True}),
        lambda: step("PUT", f"/api/v1/statements/{ids['s']}/rating", {"level": "reservations"}, bea["token"]),
        lambda: step(
            "POST",
            f"/api/v1/statements/{ids['s']}/revisions",
            {"text": "Jede Gruppe hat eine feste, erreichbare Ansprechperson."},
        ),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/timer", {"action": "pause"}),
        lambda: step("POST", f"/api/v1/topics/{topic_id}/options", {"spotlight_card_id": ""}),
        lambda: step("DELETE", f"/api/v1/clusters/{ids['k1']}"),
        lambda: step("PATCH", f"/api/v1/topics/{topic_id}", {"phase": "closed"}),
    ]
    from tests.factories import login_as

    moderator_browser = TestClient(app, base_url="http://testserver")
    login_as(moderator_browser, moderator)
    moderator_url = f"/m/workshops/{workshop['id']}/topics/{topic_id}"
    for number, action in enumerate(actions):
        # Alternate the observer: a participant's board and the moderator's board.
        action.__name__ = f"step {number}"
        if number % 2 == 0:
            check_consistent(app, client, board_url, workshop["id"], action, board_target("participant", topic_id))
        else:
            check_consistent(
                app, moderator_browser, moderator_url, workshop["id"], action, board_target("moderator", topic_id)
            )
