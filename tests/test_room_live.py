"""The projector's live room view over a real WebSocket, on SQLite and PostgreSQL (issue 10).

The projector gets its whole room view again for every event about its topic. A burst of
ratings (a 40-person room rates four statements within a minute) used to cost one full room
render per rating and per projector, so the pump fell that many renders behind: on PostgreSQL
under load, the moderator's "reveal support" reached the wall a minute late, long after the
room had looked. Within one batch the pump reads one snapshot, so every room view of that
batch is the same: only the batch's last event about the topic carries it.
"""

# ruff: noqa: F811  (the fixtures live, rest and moderator are imported from tests/test_ws.py)
from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect

from app.realtime.hub import Hub
from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer
from tests.test_ws import WAIT, Api, Feed, live, moderator, rest  # noqa: F401  (fixtures)

GROUPS = ("science", "business", "civil_society", "administration")
SEQ = re.compile(r'id="live-seq" data-seq="(\d+)"')


async def ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def hold_the_pump(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """While the returned event is set, the pump waits before each render: what is committed
    meanwhile piles up, as it does behind slow renders, and goes out in the next batch."""
    hub: Hub = app.state.hub
    render = hub.renderer.render
    held = threading.Event()

    async def waiting_render(**kwargs: Any) -> Any:
        while held.is_set():
            await asyncio.sleep(0.005)
        return await render(**kwargs)

    monkeypatch.setattr(hub.renderer, "render", waiting_render)
    return held


def seq_of(message: str) -> int:
    found = SEQ.search(message)
    assert found is not None, message[:200]
    return int(found.group(1))


async def test_a_burst_of_ratings_costs_the_projector_one_room_view(
    app: FastAPI, live: LiveServer, rest: Api, moderator: ModeratorInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sixteen ratings and the reveal, committed while the pump is busy: the projector gets
    every seq in order, the room view once for the backlog (not once per rating), and that
    view shows the revealed support; the moderator's board gets every rating and its
    participation table once."""
    workshop = await rest.workshop(moderator)
    w, t = workshop["id"], workshop["topics"][0]["id"]
    mod = bearer(moderator.token)
    people = [await rest.join(workshop, group=GROUPS[n % 4], name=f"Person {n}") for n in range(17)]
    await ok(await rest.client.patch(f"/api/v1/topics/{t}", json={"phase": "consent"}, headers=mod))
    body = {"text": "Die Stadt veröffentlicht ihre Daten offen."}
    statement = await ok(await rest.client.post(f"/api/v1/topics/{t}/statements", json=body, headers=mod))

    async def rate(person: dict[str, Any]) -> None:
        path = f"/api/v1/statements/{statement['id']}/rating"
        await ok(await rest.client.put(path, json={"level": "full"}, headers=bearer(person["token"])))

    english = {**mod, "Accept-Language": "en"}
    wall_url = f"{live.ws_url}/ws/workshops/{w}?view=projector&topic={t}"
    board_url = f"{live.ws_url}/ws/workshops/{w}?view=board&topic={t}"
    async with (
        connect(wall_url, additional_headers=english, open_timeout=WAIT, close_timeout=1) as wall_ws,
        connect(board_url, additional_headers=english, open_timeout=WAIT, close_timeout=1) as board_ws,
    ):
        projector, board = Feed(wall_ws, "html"), Feed(board_ws, "html")
        await board.ready()
        await rate(people[0])  # both are live once this push arrives
        first = await projector.next()
        assert f'id="room-{t}"' in first and "Support not shown yet" in first
        assert f'id="balance-{t}"' in await board.next()
        start = seq_of(first)

        held = hold_the_pump(app, monkeypatch)
        held.set()
        for person in people[1:]:
            await rate(person)
        await ok(await rest.client.post(f"/api/v1/topics/{t}/options", json={"ratings_revealed": True}, headers=mod))
        held.clear()
        # 16 ratings and the reveal, each cut out of the (possibly joined) message at its seq
        backlog = await projector.take_html(len(people))
        on_board = await board.take_html(len(people))
        await projector.quiet(0.3)

    seqs = list(range(start + 1, start + 1 + len(people)))
    assert [seq_of(m) for m in backlog] == seqs and [seq_of(m) for m in on_board] == seqs
    rooms = [n for n, m in enumerate(backlog) if f'id="room-{t}"' in m]
    # At most two batches: the pump may have read the first rating before it was held.
    assert len(rooms) <= 2, f"the room view was rendered {len(rooms)} times for {len(backlog)} events"
    assert rooms[-1] == len(backlog) - 1, "the backlog's last event carries the room view"
    wall = backlog[-1]
    assert "Support not shown yet" not in wall
    assert "Consensus" in wall and "17 ratings" in wall
    # The moderator's participation table, a whole view too, comes once for the ratings.
    tables = [n for n, m in enumerate(on_board) if f'id="balance-{t}"' in m]
    assert 1 <= len(tables) <= 2, f"the participation table was rendered {len(tables)} times"
    assert all(f'id="statement-body-{statement["id"]}"' in m for m in on_board[:-1]), "every rating still arrives"
