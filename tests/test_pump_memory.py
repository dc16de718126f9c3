"""What the hub's pump keeps between batches (app/realtime/hub.py, docs/architecture.md: "What
the pump may remember"): the workshop row and its groups until a workshop.updated. A batch that
holds one must not leave the old row behind, even when no render in it asks for the groups."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.db import Database
from app.domain.board import Audience
from app.domain.workshops import group_list
from app.models import EventLog, Workshop
from app.realtime.hub import Connection, Hub
from app.realtime.render import Target
from tests.factories import bearer, create_workshop, join_api, make_moderator, post_card


class Renderer:
    """Stands in for EventRenderer: records the workshop title each event is rendered with and,
    like the real one for cards, asks for the groups only when rendering a card."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.online: Any = None

    async def personal_viewer(self, *, session: Any, row: EventLog) -> None:
        return None

    async def render(self, *, session: Any, workshop: Workshop, row: EventLog, targets: Any) -> dict[Target, str]:
        if row.type == "card.created":
            await group_list(session=session, workshop_id=workshop.id)
        self.seen.append((row.type, workshop.title))
        return dict.fromkeys(targets, row.type)


def test_a_workshop_change_rendered_without_groups_still_refreshes_the_row(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, title="Vorher")
    participant = join_api(api, workshop)
    asyncio.run(_scenario(app, api, moderator.token, workshop, participant["token"]))


async def _scenario(app: FastAPI, api: TestClient, mod_token: str, workshop: dict[str, Any], token: str) -> None:
    """Our own hub on the app's database; the API's writes are signalled to it by hand."""
    topic_id = workshop["topics"][0]["id"]
    renderer = Renderer()
    hub: Hub | None = None
    db = Database(app.state.settings, lambda w, s: hub.on_signal(w, s) if hub else None)
    hub = Hub(db=db, renderer=renderer)  # type: ignore[arg-type]

    async def last_seq() -> int:
        async with db.session() as session:
            result = await session.execute(select(col(Workshop.last_seq)).where(col(Workshop.id) == workshop["id"]))
            return int(result.scalar_one())

    async def signal_and_wait(count: int) -> None:
        hub.on_signal(workshop["id"], await last_seq())
        for _ in range(200):
            if len(renderer.seen) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the pump rendered only {renderer.seen}")

    try:
        target = Target(audience=Audience(role="participant", locale="de"), format="json", view="api")
        conn = Connection(workshop_id=workshop["id"], target=target, queue_size=100, live=True)
        hub.add(conn)
        hub.start(conn, last_seq=await last_seq())

        post_card(api, token, topic_id, "Erste Karte")
        await signal_and_wait(1)  # a card: the groups are read, the row and the groups kept
        renamed = api.patch(f"/api/v1/workshops/{workshop['id']}", json={"title": "Nachher"}, headers=bearer(mod_token))
        assert renamed.status_code == 200, renamed.text
        await signal_and_wait(2)  # workshop.updated: rendered without asking for the groups
        post_card(api, token, topic_id, "Zweite Karte")
        await signal_and_wait(3)
        assert renderer.seen == [
            ("card.created", "Vorher"),
            ("workshop.updated", "Nachher"),
            ("card.created", "Nachher"),
        ]
    finally:
        await hub.close()
        await db.dispose()
