"""Abuse limits over real sockets (issue 6; the limits are listed in ``docs/security.md``,
"Abuse limits").

The app is served by uvicorn (``LiveServer``) with the WebSocket message cap ``runde serve``
uses (``app.cli.WS_MAX_SIZE``) and the default card limit, and attacked the way a script
would: ``websockets`` clients that flood or send huge frames, ``httpx2`` for wrong join
codes, card floods and oversized bodies. The room must go on, nothing past a limit may be
stored, and the server's memory (``tracemalloc``: uvicorn runs in a thread of this process)
must stay within a stated bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import secrets
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.cli import WS_MAX_SIZE
from app.config import Settings
from app.main import create_app
from app.realtime.hub import Hub
from app.routes.limits import ADDRESS_FACTOR
from app.routes.ws import MAX_CLIENT_MESSAGES, POLICY_VIOLATION
from app.security import MAX_BODY
from tests.conftest import LiveServer
from tests.factories import DbProbe, ModeratorInfo, bearer, make_moderator
from tests.test_ws import WAIT, Api, feed, socket_url

MESSAGE_TOO_BIG = 1009
ABNORMAL = 1006  # the connection ended without a close frame (see _drain)
MiB = 1024 * 1024
CARDS_PER_MINUTE = Settings.model_fields["cards_per_minute"].default
JOIN_FAILURES_PER_MINUTE = Settings.model_fields["join_failures_per_minute"].default

# Retained growth and peak (over the baseline) of everything Python allocates in this process —
# the server and, to be safe, the attacking clients too — while 300 wrong join codes, 140 card
# posts, 20 sockets flooding about 6,000 messages and 40 oversized bodies run. Measured on a
# 2-core machine, SQLite and PostgreSQL alike, idle or at a load average of 5: about 0.35 MiB
# retained, 2.1-2.7 MiB at the peak. The bounds leave that room several times over without
# hiding a leak: a structure that kept a kilobyte per refused message, or kept the refused
# bodies (40 × more than 256 KiB), would cross them.
RETAINED_BOUND = 4 * MiB
PEAK_BOUND = 16 * MiB


@dataclass
class Served:
    app: FastAPI
    live: LiveServer
    moderator: ModeratorInfo

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    def connections(self, workshop_id: str) -> int:
        channel = self.hub.channels.get(workshop_id)
        return len(channel.connections) if channel else 0

    async def settle(self, workshop_id: str, connections: int) -> None:
        """Wait until the hub holds exactly ``connections`` sockets of the workshop (a closed
        socket leaves the hub when its handler has finished)."""
        deadline = time.monotonic() + WAIT
        while self.connections(workshop_id) != connections:
            assert time.monotonic() < deadline, f"{self.connections(workshop_id)} sockets, not {connections}"
            await asyncio.sleep(0.02)


@pytest.fixture
def served(settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[Served]:
    """The app as ``runde serve`` serves it: the WebSocket cap and the default card limit. After
    the test the server is stopped and must not have logged an error (an unhandled exception)."""
    app = create_app(settings.model_copy(update={"cards_per_minute": CARDS_PER_MINUTE}))
    live = LiveServer(app)
    live.server.config.ws_max_size = WS_MAX_SIZE  # uvicorn reads it for every new connection
    live.start()
    try:
        with httpx.Client(base_url=live.url, timeout=WAIT) as client:
            moderator = make_moderator(app, client)  # type: ignore[arg-type]  # duck-typed client
        yield Served(app, live, moderator)
    finally:
        live.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]


@pytest.fixture
async def rest(served: Served) -> AsyncIterator[Api]:
    """The JSON API over real HTTP; like an API tool it keeps no cookies."""

    async def forget_cookies(_response: httpx.Response) -> None:
        client.cookies.clear()

    hooks = {"response": [forget_cookies]}
    async with httpx.AsyncClient(base_url=served.live.url, timeout=WAIT, event_hooks=hooks) as client:
        yield Api(client)


# --- raw sockets: a script, not a browser -------------------------------------------------------


@contextlib.asynccontextmanager
async def raw_socket(served: Served, workshop_id: str, token: str) -> AsyncIterator[ClientConnection]:
    """A connected JSON socket whose first (presence) message has been read: it is live."""
    url = socket_url(served.live, workshop_id)
    async with connect(url, additional_headers=bearer(token), open_timeout=WAIT, close_timeout=2) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert first["type"] == "presence.changed", first
        yield ws


async def _flood(ws: ClientConnection, count: int, payload: str = '{"type":"ping"}') -> int:
    """Send ``count`` messages as fast as possible; stop when the server has closed."""
    sent = 0
    with contextlib.suppress(ConnectionClosed):
        for _ in range(count):
            await ws.send(payload)
            sent += 1
    return sent


async def _drain(ws: ClientConnection) -> tuple[list[dict[str, object]], int]:
    """Whatever still arrives until the socket is closed, and the close code the server sent
    (``ABNORMAL`` when the socket was reset before its close frame could be read)."""
    received: list[dict[str, object]] = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), WAIT)))
    except ConnectionClosed as exc:
        return received, exc.rcvd.code if exc.rcvd is not None else ABNORMAL
    except TimeoutError:
        pytest.fail(f"the server did not close the socket within {WAIT} s; received {received!r}")


def _events(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [m for m in messages if m["type"] != "presence.changed"]


# --- 1. a socket that floods is closed, the room goes on ----------------------------------------


async def test_a_flooding_socket_is_closed_with_1008_and_the_room_goes_on(served: Served, rest: Api) -> None:
    """``MAX_CLIENT_MESSAGES`` messages in 10 s are fine; the next one closes the socket with 1008.
    The flooder gets no event after that, and the others keep receiving cards posted later."""
    workshop = await rest.workshop(served.moderator)
    topic_id = workshop["topics"][0]["id"]
    flooder, calm = await rest.join(workshop, "science", "Flut"), await rest.join(workshop, "business", "Bo")

    async with (
        feed(served.live, workshop["id"], token=calm["token"]) as watcher,
        feed(served.live, workshop["id"], token=served.moderator.token) as moderating,
        raw_socket(served, workshop["id"], flooder["token"]) as ws,
    ):
        await watcher.presence_where(lambda data: data["online"].get("science") == 1)
        watcher.presences.clear()  # from now on, presence without "science" means the flooder left
        assert await _flood(ws, MAX_CLIENT_MESSAGES) == MAX_CLIENT_MESSAGES
        before = await rest.card(calm["token"], topic_id, "vor der Flut")
        received = _events(await _receive_until(ws, before["seq"]))
        assert [e["seq"] for e in received] == [before["seq"]], "at the limit the socket still lives"

        await _flood(ws, 200)  # the sends outrun the close frame: they are buffered, then dropped
        leftovers, code = await _drain(ws)
        assert code == POLICY_VIOLATION, ws.close_reason
        assert _events(leftovers) == []
        assert (await watcher.next_json())["seq"] == before["seq"]
        assert (await moderating.next_json())["seq"] == before["seq"]

        await served.settle(workshop["id"], 2)  # the flooder is gone from the hub …
        await watcher.presence_where(lambda data: "science" not in data["online"])  # … and the room
        after = await rest.card(calm["token"], topic_id, "nach der Flut")
        for client in (watcher, moderating):
            event = await client.next_json()
            assert (event["type"], event["data"]["id"]) == ("card.created", after["id"])
        with pytest.raises(ConnectionClosed):
            await ws.recv()  # nothing was kept for the closed socket either
        await watcher.quiet(0.2)


async def _receive_until(ws: ClientConnection, seq: int) -> list[dict[str, object]]:
    received: list[dict[str, object]] = []
    deadline = time.monotonic() + WAIT
    while not any(m.get("seq") == seq for m in received):
        received.append(json.loads(await asyncio.wait_for(ws.recv(), max(deadline - time.monotonic(), 0.01))))
    return received


# --- 2. frames above the cap never reach the app -------------------------------------------------


async def test_frames_above_the_cap_end_the_connection_before_the_app_sees_them(served: Served, rest: Api) -> None:
    """A message of ``WS_MAX_SIZE`` bytes is taken; one byte more closes the socket with 1009 as
    soon as the frame header is read. Twenty clients sending 1 MiB frames are all cut off (1009,
    or a reset when the server closes with the rest of the frame unread) while the room goes on."""
    workshop = await rest.workshop(served.moderator)
    topic_id = workshop["topics"][0]["id"]
    people = [await rest.join(workshop, "science", f"P{n}") for n in range(21)]
    calm = await rest.join(workshop, "business", "Bo")

    async with feed(served.live, workshop["id"], token=calm["token"]) as watcher:
        async with raw_socket(served, workshop["id"], people[0]["token"]) as ws:
            await ws.send("x" * WS_MAX_SIZE)
            card = await rest.card(calm["token"], topic_id, "nach der großen Nachricht")
            assert _events(await _receive_until(ws, card["seq"]))[-1]["seq"] == card["seq"]
            await ws.send("x" * (WS_MAX_SIZE + 1))
            leftovers, code = await _drain(ws)
            assert code == MESSAGE_TOO_BIG, ws.close_reason
            assert _events(leftovers) == []
        assert (await watcher.next_json())["seq"] == card["seq"]

        megabyte = "x" * MiB

        async def send_big_frames(token: str) -> int:
            async with raw_socket(served, workshop["id"], token) as ws:
                sent = await _flood(ws, 40, megabyte)
                assert sent < 40
                _leftovers, code = await _drain(ws)
                return code

        codes = await asyncio.gather(*(send_big_frames(p["token"]) for p in people[1:]))
        assert set(codes) <= {MESSAGE_TOO_BIG, ABNORMAL}, codes
        await served.settle(workshop["id"], 1)
        after = await rest.card(calm["token"], topic_id, "die Runde geht weiter")
        assert (await watcher.next_json())["data"]["id"] == after["id"]


# --- 3. memory stays bounded, nothing is stored past a limit ------------------------------------


async def _wrong_joins(client: httpx.AsyncClient, count: int) -> list[int]:
    """Wrong codes, each from a "new browser" (a fresh cookie): only the address bucket holds."""
    answers = []
    for _ in range(count):
        response = await client.post(
            "/api/v1/workshops/join",
            json={"join_code": "ZZZZZZZZ", "display_name": "Rater", "group": "science"},
            headers={"Cookie": f"runde_csrf={secrets.token_urlsafe(16)}"},
        )
        answers.append(response.status_code)
    return answers


async def _card_flood(rest: Api, token: str, topic_id: str, count: int) -> list[int]:
    return [(await rest.post_card(token, topic_id, f"Flut {n}")).status_code for n in range(count)]


async def _socket_flood(served: Served, workshop_id: str, token: str) -> int:
    async with raw_socket(served, workshop_id, token) as ws:
        await _flood(ws, 10 * MAX_CLIENT_MESSAGES)
        _leftovers, code = await _drain(ws)
        return code


async def _oversized(client: httpx.AsyncClient, token: str, topic_id: str, *, streamed: bool) -> int:
    """A body a little over the limit with its length announced, or 1 MiB streamed in chunks
    without a length (the server must stop reading after the limit, not buffer it all)."""
    url = f"/api/v1/topics/{topic_id}/cards"
    headers = {**bearer(token), "Content-Type": "application/json"}
    if not streamed:
        body = b'{"kind":"need","text":"' + b"x" * MAX_BODY + b'"}'
        return (await client.post(url, content=body, headers=headers)).status_code

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"x" * (64 * 1024)

    try:
        return (await client.post(url, content=chunks(), headers=headers)).status_code
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return 0  # the server answered and closed while the rest was still being sent


async def test_memory_stays_bounded_and_nothing_is_stored_past_the_limits(served: Served, rest: Api) -> None:
    """(a) 300 wrong join codes, (b) four participants posting 35 cards each, (c) 20 sockets that
    flood and get closed, (d) 40 oversized bodies: the answers are the limits' (404 then 429,
    201 then 429, 1008, 413), the rows past the limits are not stored, the in-memory state
    (hub, sockets, join limiter) is back to where it was, and the memory grew less than
    ``RETAINED_BOUND`` (``PEAK_BOUND`` at the peak)."""
    workshop = await rest.workshop(served.moderator)
    topic_id = workshop["topics"][0]["id"]
    posters = [await rest.join(workshop, "business", f"Flut {n}") for n in range(4)]
    sockets = [await rest.join(workshop, "science", f"Sturm {n}") for n in range(20)]
    warm = await rest.join(workshop, "civil_society", "Warm")
    limiter = served.app.state.join_limiter
    probe = DbProbe(served.app)
    client = rest.client
    try:
        async with feed(served.live, workshop["id"], token=served.moderator.token) as moderating:
            # Warm-up: every path once, so first-use caches (compiled queries, templates,
            # catalogs) are not counted as growth.
            assert await _wrong_joins(client, 1) == [404]
            assert await _card_flood(rest, warm["token"], topic_id, CARDS_PER_MINUTE + 1) == [
                201
            ] * CARDS_PER_MINUTE + [429]
            assert await _socket_flood(served, workshop["id"], warm["token"]) == POLICY_VIOLATION
            assert await _oversized(client, warm["token"], topic_id, streamed=False) == 413
            assert await _oversized(client, warm["token"], topic_id, streamed=True) in (413, 0)
            await served.settle(workshop["id"], 1)
            await moderating.take(CARDS_PER_MINUTE)  # the warm-up's cards
            before = probe.counts()
            sockets_before = len(served.app.state.sockets)

            gc.collect()
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            started = time.monotonic()

            # (a) the address may fail ADDRESS_FACTOR x the per-browser limit a minute.
            joins = await _wrong_joins(client, 300)
            reached = JOIN_FAILURES_PER_MINUTE * ADDRESS_FACTOR - 1  # one was the warm-up
            assert joins == [404] * reached + [429] * (300 - reached)
            # (b) each participant's 21st card in a minute is refused.
            floods = await asyncio.gather(*(_card_flood(rest, p["token"], topic_id, 35) for p in posters))
            for answers in floods:
                assert answers == [201] * CARDS_PER_MINUTE + [429] * (35 - CARDS_PER_MINUTE)
            # (c) 20 sockets flood at once.
            codes = await asyncio.gather(*(_socket_flood(served, workshop["id"], s["token"]) for s in sockets))
            assert codes == [POLICY_VIOLATION] * len(sockets)
            # (d) bodies over the limit, announced and streamed.
            oversized = [
                await _oversized(client, posters[0]["token"], topic_id, streamed=streamed)
                for streamed in (False, True) * 20
            ]
            print("oversized:", oversized)
            assert set(oversized[::2]) == {413}
            assert set(oversized[1::2]) <= {413, 0}, oversized

            await served.settle(workshop["id"], 1)
            elapsed = time.monotonic() - started
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            grown, peaked = current - baseline, peak - baseline
            print(f"abuse: {elapsed:.1f} s, retained +{grown / MiB:.2f} MiB, peak +{peaked / MiB:.2f} MiB")

            assert grown < RETAINED_BOUND, f"memory grew by {grown / MiB:.1f} MiB during the abuse"
            assert peaked < PEAK_BOUND, f"memory peaked {peaked / MiB:.1f} MiB above the baseline"

            # Nothing past a limit was stored: only the cards within it (and their events).
            stored = CARDS_PER_MINUTE * len(posters)
            after = probe.counts()
            changed = {key: after[key] - before[key] for key in before if after[key] != before[key]}
            assert 0 < changed.pop("event_log") <= stored  # the log is pruned to the replay window
            assert changed == {"card": stored, f"last_seq {workshop['id']}": stored}
            pushed = await moderating.take(stored)
            assert [e["type"] for e in pushed] == ["card.created"] * stored
            assert {e["data"]["author"]["display_name"] for e in pushed} == {f"Flut {n}" for n in range(len(posters))}
            # The in-memory state is back where it was (the hub holds the moderator's socket
            # only, see settle above), and the join limiter holds the address and the browsers
            # it counted, no more.
            assert len(served.app.state.sockets) == sockets_before
            assert len(limiter.failures) <= 1 + JOIN_FAILURES_PER_MINUTE * ADDRESS_FACTOR
    finally:
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        probe.close()
