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

PARTICIPANT_HTML = Target(audience=Audience(role="participant", locale="de"), format="html")
MODERATOR_HTML = Target(audience=Audience(role="moderator", locale="de"), format="html")


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
    assert normalized_board(page) == normalized_board(fresh.text)
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
        created["b"] = post_card(api, other["token"], topic_id, "Ein Reallabor im Quartier", kind="example").json()["id"]

    def edit() -> None:
        api.patch(f"/api/v1/cards/{created['a']}", json={"text": "Offene Daten, aber sicher"}, headers=bearer(other["token"]))

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
        check_consistent(app, client, board_url, workshop["id"], action, PARTICIPANT_HTML)


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
        check_consistent(app, client, board_url, workshop["id"], action, MODERATOR_HTML)
