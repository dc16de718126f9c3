"""A pump that falls behind the log's pruning never skips events silently (issue 10's review).

The instance that writes seq 100, 200, … prunes the log to the last ``replay_window`` events,
whatever its pump has delivered. A pump held up by slow renders (a burst of ratings on a
loaded PostgreSQL) could then read on past a hole: its clients went on with a gap in their
seqs and a board that no longer matched the database. Now the pump drops every live client
behind the hole (1013, as for a client too slow to keep up); the client reconnects with
``after=`` and, its events gone, gets ``{"type":"resync"}`` and reloads.
"""

# ruff: noqa: F811  (the fixtures live, rest and moderator are imported from tests/test_ws.py)
from __future__ import annotations

import asyncio
import json

import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.config import Settings
from app.domain.eventlog import PRUNE_EVERY
from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer
from tests.test_room_live import hold_the_pump
from tests.test_ws import WAIT, Api, _oldest_logged_seq, live, moderator, rest, socket_url  # noqa: F401

GROUPS = ("science", "business", "civil_society", "administration")


async def test_a_pump_behind_the_pruned_log_drops_its_clients_to_resync(
    app: FastAPI,
    live: LiveServer,
    rest: Api,
    moderator: ModeratorInfo,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    people = [await rest.join(workshop, g) for g in GROUPS]
    url = socket_url(live, workshop["id"], fmt="json")
    headers = bearer(people[0]["token"])
    seqs: list[int] = []
    async with connect(url, additional_headers=headers, ping_interval=None) as ws:
        first = await rest.card(people[0]["token"], topic_id, "vorher")
        while not seqs:
            message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if message.get("seq"):
                seqs.append(int(message["seq"]))
        assert seqs == [first["seq"]]

        # Events another process wrote: this pump has none of their rows (Hub.prime) and reads
        # the log, which the prune has cut.
        monkeypatch.setattr(app.state.db, "on_rows", None)
        held = hold_the_pump(app, monkeypatch)
        held.set()
        last = first["seq"]
        while last <= PRUNE_EVERY + 10:  # the prune at seq 100 forgets everything up to 50
            batch = await asyncio.gather(*(rest.card(p["token"], topic_id, f"Karte {last}") for p in people * 3))
            last = max(card["seq"] for card in batch)
        oldest = await _oldest_logged_seq(settings, workshop["id"])
        assert oldest == PRUNE_EVERY - settings.replay_window + 1, "the log was pruned behind the held pump"
        held.clear()

        closed: ConnectionClosed | None = None
        try:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
                if message.get("seq"):
                    seqs.append(int(message["seq"]))
        except ConnectionClosed as exc:
            closed = exc
        except TimeoutError:
            pass
    # Whatever reached the client has no hole in it ...
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"a gap in the seqs: {seqs}"
    # ... and the client was told to come back, instead of being left behind the hole.
    assert closed is not None and closed.rcvd is not None and closed.rcvd.code == 1013, (closed, seqs[-3:])
    async with connect(f"{url}&after={seqs[-1]}", additional_headers=headers) as ws:
        assert await asyncio.wait_for(ws.recv(), WAIT) == '{"type":"resync"}'
