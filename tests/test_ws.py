"""The live event stream (``WS /ws/workshops/{id}``) with real WebSocket clients.

Every test serves the app with uvicorn (``live_server``) and talks to it the way outside tools
and phones do: ``websockets`` clients on the socket, ``httpx2`` on HTTP. (The ``api``
TestClient is not used here: it runs its own lifespan, whose ``app.state`` — database engine
and hub — replaces the live server's on the same FastAPI object, so its writes would be
published to a hub that no socket listens to.)

Every wait is bounded (``WAIT``); "nothing arrives" is checked over a short quiet period.
``settings.replay_window`` is 50 in the test settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.config import Settings
from app.domain.eventlog import PRUNE_EVERY
from app.events import EVENT_TYPES
from app.routes import schemas
from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer, make_moderator

WAIT = 10.0  # the longest any single expected message or request may take (a loaded CI box)
QUIET = 0.5  # how long "nothing arrives" is watched
RESYNC = {"type": "resync"}
RESYNC_TEXT = '{"type":"resync"}'
GROUPS = ("science", "business", "civil_society")

Json = dict[str, Any]


# --- HTTP helpers (httpx2 against the live server) ---------------------------------------------


class Api:
    """The JSON API as an outside tool uses it: bearer tokens, no cookies."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def workshop(self, moderator: ModeratorInfo, **fields: Any) -> Json:
        body = {"title": "Smart-City-Austausch", "topics": [{"title": "Alle Akteure einbeziehen"}], **fields}
        response = await self.client.post("/api/v1/workshops", json=body, headers=bearer(moderator.token))
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    async def join(self, workshop: Json, group: str = "science", name: str = "Ada", organization: str = "Uni") -> Json:
        body = {"join_code": workshop["join_code"], "display_name": name, "organization": organization, "group": group}
        response = await self.client.post("/api/v1/workshops/join", json=body)
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    async def post_card(self, token: str, topic_id: str, text: str, kind: str = "need", **extra: str) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/topics/{topic_id}/cards", json={"kind": kind, "text": text, **extra}, headers=bearer(token)
        )

    async def card(self, token: str, topic_id: str, text: str, kind: str = "need", **extra: str) -> Json:
        """Post a card (a moderator passes ``group=``) and return it as the API answers."""
        response = await self.post_card(token, topic_id, text, kind, **extra)
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    async def cards(self, token: str, topic_id: str) -> list[Json]:
        response = await self.client.get(f"/api/v1/topics/{topic_id}/cards", headers=bearer(token))
        assert response.status_code == 200, response.text
        data: list[Json] = response.json()
        return data

    async def patch_card(self, token: str, card_id: str, **fields: Any) -> Json:
        response = await self.client.patch(f"/api/v1/cards/{card_id}", json=fields, headers=bearer(token))
        assert response.status_code == 200, response.text
        data: Json = response.json()
        return data

    async def set_phase(self, token: str, topic_id: str, phase: str) -> Json:
        response = await self.client.patch(f"/api/v1/topics/{topic_id}", json={"phase": phase}, headers=bearer(token))
        assert response.status_code == 200, response.text
        data: Json = response.json()
        return data


async def join_as_browser(
    live: LiveServer, workshop: Json, group: str = "science", name: str = "Ada"
) -> httpx.AsyncClient:
    """A phone that joined through the join form: it holds the CSRF and device cookies."""
    browser = httpx.AsyncClient(base_url=live.url, timeout=WAIT)
    page = await browser.get(f"/j/{workshop['join_code']}")
    assert page.status_code == 200, page.text
    token = browser.cookies.get("runde_csrf")
    assert token, "the join page sets no CSRF cookie"
    response = await browser.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": name, "organization": "Verein", "group": group, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/w/{workshop['id']}"
    assert browser.cookies.get("runde_device"), "joining sets no device cookie"
    return browser


def cookie_header(browser: httpx.AsyncClient) -> dict[str, str]:
    """The Cookie header the browser would send with its WebSocket handshake."""
    jar = {name: browser.cookies.get(name) for name in ("runde_csrf", "runde_device")}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items() if value)}


# --- WebSocket helpers ------------------------------------------------------------------------


def socket_url(
    live: LiveServer, workshop_id: str, *, fmt: str = "json", after: int | None = None, topic: str | None = None
) -> str:
    """JSON, JSON arrays (``fmt="batch"``) or (``fmt="html"``, no format parameter) htmx for a
    participant board of ``topic``."""
    query: dict[str, str | int] = {}
    if fmt in ("json", "batch"):
        query["format"] = "json"
    if fmt == "batch":
        query["batch"] = 1
    if topic is not None:
        query["topic"] = topic
    if after is not None:
        query["after"] = after
    return f"{live.ws_url}/ws/workshops/{workshop_id}" + (f"?{urlencode(query)}" if query else "")


class Feed:
    """One connected client. Every raw message is kept in ``raw`` (to search for leaks);
    presence messages are set aside in ``presences``, everything else queues in ``pending``."""

    def __init__(self, ws: ClientConnection, fmt: str) -> None:
        self.ws = ws
        self.fmt = fmt
        self.raw: list[str] = []
        self.pending: deque[str] = deque()
        self.presences: list[str] = []

    def is_presence(self, message: str) -> bool:
        if self.fmt == "batch":  # arrays; only a resync is a bare object
            data = json.loads(message)
            return all(item.get("type") == "presence.changed" for item in (data if isinstance(data, list) else [data]))
        if self.fmt == "json":
            return bool(json.loads(message).get("type") == "presence.changed")
        return 'id="presence"' in message

    async def _pull(self, within: float) -> None:
        try:
            message = await asyncio.wait_for(self.ws.recv(), within)
        except ConnectionClosed as exc:  # pragma: no cover - a failure report
            raise AssertionError(f"socket closed unexpectedly: {exc!r}; received {self.raw!r}") from exc
        assert isinstance(message, str), "events are text frames"
        self.raw.append(message)
        (self.presences if self.is_presence(message) else self.pending).append(message)

    async def _until(self, done: Callable[[], bool], what: str, within: float = WAIT) -> None:
        deadline = time.monotonic() + within
        while not done():
            remaining = deadline - time.monotonic()
            try:
                await self._pull(max(remaining, 0.001))
            except TimeoutError:
                raise AssertionError(f"timed out waiting for {what}; received {self.raw!r}") from None

    async def ready(self) -> None:
        """Wait for the first presence message: the server sends it only once this client is
        live (after its replay), so nothing posted from now on can be missed."""
        await self._until(lambda: bool(self.presences), "the first presence message")

    async def next(self, within: float = WAIT) -> str:
        """The next non-presence message, raw."""
        await self._until(lambda: bool(self.pending), "an event", within)
        return self.pending.popleft()

    async def next_json(self) -> Json:
        event: Json = json.loads(await self.next())
        return event

    async def take(self, count: int) -> list[Json]:
        return [await self.next_json() for _ in range(count)]

    async def presence_where(self, predicate: Callable[[Json], bool]) -> Json:
        """Wait for a (JSON) presence message whose data satisfies ``predicate``."""
        seen = 0

        def found() -> bool:
            nonlocal seen
            while seen < len(self.presences):
                seen += 1
                if predicate(json.loads(self.presences[seen - 1])["data"]):
                    return True
            return False

        await self._until(found, "a matching presence message")
        message: Json = json.loads(self.presences[seen - 1])
        return message

    async def quiet(self, seconds: float = QUIET) -> None:
        """Assert that nothing but presence arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                await self._pull(remaining)
            except TimeoutError:
                break
        assert not self.pending, f"unexpected messages: {list(self.pending)!r}"

    def text(self) -> str:
        return "\n".join(self.raw)


@asynccontextmanager
async def feed(
    live: LiveServer,
    workshop_id: str,
    *,
    token: str | None = None,
    fmt: str = "json",
    after: int | None = None,
    topic: str | None = None,
    headers: dict[str, str] | None = None,
    ready: bool = True,
) -> AsyncIterator[Feed]:
    """Open a socket (bearer ``token`` or raw ``headers``) and, by default, wait until it is live."""
    all_headers = {**(bearer(token) if token else {}), **(headers or {})}
    url = socket_url(live, workshop_id, fmt=fmt, after=after, topic=topic)
    async with connect(url, additional_headers=all_headers, open_timeout=WAIT, close_timeout=1) as ws:
        client = Feed(ws, fmt)
        if ready:
            await client.ready()
        yield client


async def assert_refused(url: str, headers: dict[str, str], why: str) -> None:
    """The handshake is refused (HTTP 403, or a 1008 close) before any event is sent."""
    refusal: InvalidStatus | ConnectionClosed
    try:
        async with connect(url, additional_headers=headers, open_timeout=WAIT, close_timeout=1) as ws:
            message = await asyncio.wait_for(ws.recv(), WAIT)
    except (InvalidStatus, ConnectionClosed) as exc:
        refusal = exc
    else:
        pytest.fail(f"{why}: the socket was accepted and sent {message!r}")
    if isinstance(refusal, InvalidStatus):
        assert refusal.response.status_code == 403, f"{why}: {refusal.response.status_code}"
    else:
        assert refusal.rcvd is not None, f"{why}: {refusal!r}"
        assert refusal.rcvd.code == 1008, f"{why}: {refusal!r}"


def html_seqs(messages: Iterable[str]) -> list[int]:
    """The seq markers in htmx messages, in order (a message may join several events)."""
    return [int(seq) for message in messages for seq in re.findall(r'id="live-seq" data-seq="(\d+)"', message)]


def assert_gap_free(events: list[Json], first: int) -> None:
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(first, first + len(events))), seqs


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def live(live_server: LiveServer, caplog: pytest.LogCaptureFixture) -> Iterator[LiveServer]:
    """The live server; after the test it is stopped and must not have logged any error
    (a failing pump, presence or socket handler logs instead of raising)."""
    yield live_server
    live_server.stop()
    records = caplog.get_records("setup") + caplog.get_records("call") + caplog.records
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]


@pytest.fixture
def moderator(app: FastAPI, live: LiveServer) -> ModeratorInfo:
    with httpx.Client(base_url=live.url, timeout=WAIT) as client:  # its only request: the token
        return make_moderator(app, client)  # type: ignore[arg-type]  # duck-typed client


@pytest.fixture
async def rest(live: LiveServer) -> AsyncIterator[Api]:
    """The JSON API of the live server, over real HTTP; like an API tool it keeps no cookies."""

    async def forget_cookies(_response: httpx.Response) -> None:
        client.cookies.clear()

    async with httpx.AsyncClient(base_url=live.url, timeout=WAIT, event_hooks={"response": [forget_cookies]}) as client:
        yield Api(client)


# --- 1. fan-out -------------------------------------------------------------------------------


async def test_every_client_receives_every_card_in_the_same_gap_free_order(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Three participants of different groups each get every ``card.created``, in one order,
    with gap-free increasing seqs and ``data`` equal to the card as the API returned it —
    also for cards posted concurrently."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    people = [await rest.join(workshop, group=g, name=f"Person {g}") for g in GROUPS]
    async with (
        feed(live, workshop["id"], token=people[0]["token"]) as a,
        feed(live, workshop["id"], token=people[1]["token"]) as b,
        feed(live, workshop["id"], token=people[2]["token"]) as c,
    ):
        posted = [await rest.card(p["token"], topic_id, f"Karte von {g}") for p, g in zip(people, GROUPS, strict=True)]
        posted += await asyncio.gather(
            *(
                rest.card(p["token"], topic_id, f"Gleichzeitig {g}", kind="idea")
                for p, g in zip(people, GROUPS, strict=True)
            )
        )
        by_id = {card["id"]: card for card in posted}
        first = min(card["seq"] for card in posted)

        received = [await client.take(len(posted)) for client in (a, b, c)]
        for events in received:
            assert [e["type"] for e in events] == ["card.created"] * len(posted)
            assert_gap_free(events, first)
            for event in events:
                assert event["data"] == by_id[event["data"]["id"]]  # text, group, author, seq …
                assert event["data"]["seq"] == event["seq"]
        assert received[0] == received[1] == received[2], "clients saw different orders"
        assert {e["data"]["group"] for e in received[0]} == set(GROUPS)
        for client in (a, b, c):
            await client.quiet(0.3)


# --- 2. reconnect with after= -----------------------------------------------------------------


async def test_reconnect_with_after_replays_exactly_what_was_missed(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """A client back with ``after=N`` gets exactly seq N+1… (what it missed), then the live
    events, with no duplicates."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    me, other = await rest.join(workshop, "science", "Ada"), await rest.join(workshop, "business", "Bo")

    async with feed(live, workshop["id"], token=me["token"]) as first_visit:
        before = await rest.card(other["token"], topic_id, "vor der Pause")
        assert (await first_visit.next_json())["seq"] == before["seq"]
    last_seen = before["seq"]

    async with feed(live, workshop["id"], token=other["token"]) as witness:
        missed = [await rest.card(other["token"], topic_id, f"verpasst {i}") for i in range(5)]
        assert [c["seq"] for c in missed] == list(range(last_seen + 1, last_seen + 6))

        async with feed(live, workshop["id"], token=me["token"], after=last_seen) as back:
            replayed = list(back.pending)  # everything before the first presence message
            events = [json.loads(m) for m in replayed]
            assert_gap_free(events, last_seen + 1)
            assert [e["type"] for e in events] == ["card.created"] * 5
            assert [e["data"] for e in events] == missed

            live_card = await rest.card(other["token"], topic_id, "wieder da")
            assert (await back.take(6))[5]["data"] == live_card
            await back.quiet()  # no duplicates
        assert_gap_free(await witness.take(6), last_seen + 1)


async def test_replay_across_a_merge_ends_with_the_merged_authors(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """card.created is rendered without looking up duplicates merged into the card (a new card
    has none); a client that replays a creation *after* the merge still ends with the merged
    card as the API shows it, because the merge is an event of its own later in the log."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    ada, bea = await rest.join(workshop, "science", "Ada"), await rest.join(workshop, "civil_society", "Bea")
    a = await rest.card(ada["token"], topic_id, "Verlässliche Ansprechpersonen")
    after = a["seq"] - 1
    b = await rest.card(bea["token"], topic_id, "Ansprechpersonen, verlässlich")
    merge = await rest.client.post(
        f"/api/v1/cards/{b['id']}/merge", json={"into": a["id"]}, headers=bearer(moderator.token)
    )
    assert merge.status_code == 200, merge.text
    final = next(c for c in await rest.cards(moderator.token, topic_id) if c["id"] == a["id"])
    assert [(m["group"], m["display_name"]) for m in final["merged"]] == [("civil_society", "Bea")], final

    async with feed(live, workshop["id"], token=moderator.token, after=after) as back:
        events = [json.loads(m) for m in back.pending]
        assert_gap_free(events, after + 1)
        assert [e["type"] for e in events] == ["card.created", "card.created", "card.merged"]
        assert events[0]["data"]["id"] == a["id"] and events[0]["data"]["merged"] == []
        assert events[2]["data"] == final


async def test_pushes_follow_changes_to_the_workshop_and_its_groups(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """The pump keeps the workshop row and its groups between events and reads them again when
    it meets a workshop.updated: a card posted after the workshop turned anonymous reaches
    the room without its author, and one posted after a group was renamed carries the new
    label, with no card in between rendered from the old state."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    ada = await rest.join(workshop, "science", "Ada")
    bo = await rest.join(workshop, "business", "Bo")
    mod = bearer(moderator.token)
    async with (
        feed(live, workshop["id"], token=bo["token"]) as room,
        feed(live, workshop["id"], token=bo["token"], fmt="html", topic=topic_id) as board,
    ):
        named = await rest.card(ada["token"], topic_id, "Mit Namen")
        assert (await room.next_json())["data"]["author"]["display_name"] == "Ada"
        assert "Wissenschaft" in await board.next()
        # A burst: several cards on either side of each change, posted without waiting.
        for i in range(3):
            await rest.card(ada["token"], topic_id, f"vorher {i}")
        response = await rest.client.patch(f"/api/v1/workshops/{workshop['id']}", json={"anonymous": True}, headers=mod)
        assert response.status_code == 200, response.text
        response = await rest.client.patch(
            f"/api/v1/workshops/{workshop['id']}/groups/science",
            json={"label": "Forschungsverbund", "label_en": "Research network"},
            headers=mod,
        )
        assert response.status_code == 200, response.text
        after = [await rest.card(ada["token"], topic_id, f"nachher {i}") for i in range(3)]

        events = await room.take(8)
        assert_gap_free(events, named["seq"] + 1)
        assert [e["type"] for e in events] == ["card.created"] * 3 + ["workshop.updated"] * 2 + ["card.created"] * 3
        for event in events[5:]:
            assert event["data"]["author"] is None, event
            assert "Ada" not in json.dumps(event)
        assert [e["data"]["id"] for e in events[5:]] == [c["id"] for c in after]
        pushes = [await board.next() for _ in range(8)]
        for push in pushes[5:]:
            assert "Forschungsverbund" in push and "Wissenschaft" not in push and "Ada" not in push, push


async def test_reconnecting_while_events_stream_loses_and_repeats_nothing(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Events committed while a client (re)connects reach it exactly once: its replay (up to the
    seq read at subscribe time) and the live queue behind it neither overlap nor leave a gap.
    While four writers stream cards into a room that another client keeps open, the client
    drops and reconnects with ``after=`` every three events."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    me, other = await rest.join(workshop, "science", "Ada"), await rest.join(workshop, "business", "Bo")
    writers, per_writer = 4, 10  # concurrent writers keep commits ahead of the fan-out
    total = writers * per_writer

    async def stream(writer: int) -> None:
        for i in range(per_writer):
            await rest.card(other["token"], topic_id, f"Strom {writer}-{i}")

    async with feed(live, workshop["id"], token=other["token"]) as witness:
        start = (await rest.card(other["token"], topic_id, "Start"))["seq"]
        assert (await witness.next_json())["seq"] == start
        poster = asyncio.gather(*(stream(w) for w in range(writers)))
        seen, sessions, received = start, 0, []
        try:
            while seen < start + total:
                sessions += 1
                async with feed(live, workshop["id"], token=me["token"], after=seen, ready=False) as client:
                    for _ in range(min(3, start + total - seen)):
                        event = await client.next_json()
                        assert event["seq"] == seen + 1, (seen, event["seq"], client.raw)
                        seen = event["seq"]
                        received.append(event["data"]["text"])
            await asyncio.wait_for(poster, WAIT)
        finally:
            poster.cancel()
        assert sessions >= total // 3
        assert sorted(received) == sorted(f"Strom {w}-{i}" for w in range(writers) for i in range(per_writer))
        assert_gap_free(await witness.take(total), start + 1)
        async with feed(live, workshop["id"], token=me["token"], after=seen) as last:
            await last.quiet(0.2)
        await witness.quiet(0.1)


# --- 3. too far behind ------------------------------------------------------------------------


async def test_after_outside_the_replay_window_gets_resync(
    live: LiveServer, rest: Api, moderator: ModeratorInfo, settings: Settings
) -> None:
    """After more than 150 events (the log is pruned every 100 seqs to the last 50), a client
    with ``after=1`` or an ``after`` beyond the current seq first gets exactly
    ``{"type":"resync"}``; one exactly 50 behind still gets a full replay."""
    assert settings.replay_window == 50
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    people = [await rest.join(workshop, g) for g in GROUPS]
    last = 0
    while last <= 1.5 * PRUNE_EVERY + 10:
        batch = await asyncio.gather(
            *(rest.card(p["token"], topic_id, f"Karte {last}-{i}") for i, p in enumerate(people * 3))
        )
        last = max(card["seq"] for card in batch)
    token = people[0]["token"]

    for after, fmt in ((1, "json"), (1, "html"), (last + 5, "json"), (last - 51, "json"), (-1, "json")):
        async with feed(live, workshop["id"], token=token, after=after, fmt=fmt) as client:
            assert json.loads(client.raw[0]) == RESYNC, (after, fmt, client.raw[:2])
            assert client.raw[0] == '{"type":"resync"}'
            assert list(client.pending) == [client.raw[0]], "a resync is followed by no replay"

    async with feed(live, workshop["id"], token=token, after=last - 50) as client:
        events = [json.loads(m) for m in client.pending]
        assert RESYNC not in events
        assert len(events) == 50
        assert_gap_free(events, last - 49)

    async with feed(live, workshop["id"], token=token, after=last) as client:
        assert not client.pending, "up to date: nothing to replay"
        card = await rest.card(token, topic_id, "live")
        assert (await client.next_json())["seq"] == card["seq"] == last + 1

    # The log itself keeps the window: when the seq passed PRUNE_EVERY, the hub of the instance
    # that wrote it pruned everything up to PRUNE_EVERY - replay_window (issue 9: the window is
    # the realtime side's setting, the domain's event_append knows nothing of it).
    assert last < 2 * PRUNE_EVERY
    oldest = await _oldest_logged_seq(settings, workshop["id"])
    assert oldest == PRUNE_EVERY - settings.replay_window + 1


async def _oldest_logged_seq(settings: Settings, workshop_id: str) -> int | None:
    """The workshop's oldest event in the log, once the background prune has had its moment."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(settings.sync_database_url, pool_size=1)
    try:
        oldest = None
        for _ in range(50):
            with engine.connect() as conn:
                oldest = conn.execute(
                    sqlalchemy.text("SELECT min(seq) FROM event_log WHERE workshop_id = :w"), {"w": workshop_id}
                ).scalar_one()
            if oldest is not None and oldest > 1:
                break
            await asyncio.sleep(0.1)
        return oldest
    finally:
        engine.dispose()


# --- 4. isolation between workshops ----------------------------------------------------------


async def test_workshops_are_isolated(live: LiveServer, rest: Api, moderator: ModeratorInfo) -> None:
    """A participant of A hears nothing of B, cannot open B's socket and cannot post into B."""
    workshop_a = await rest.workshop(moderator, title="A")
    workshop_b = await rest.workshop(moderator, title="B")
    topic_b = workshop_b["topics"][0]["id"]
    alice = await rest.join(workshop_a, "science", "Alice")
    bob = await rest.join(workshop_b, "science", "Bob")

    async with (
        feed(live, workshop_a["id"], token=alice["token"]) as in_a,
        feed(live, workshop_b["id"], token=moderator.token) as moderating_b,
    ):
        card = await rest.card(bob["token"], topic_b, "nur für B")
        assert (await moderating_b.next_json())["data"]["id"] == card["id"]  # B's event was published
        await in_a.quiet()
        assert "nur für B" not in in_a.text()

        for fmt in ("json", "html"):
            await assert_refused(
                socket_url(live, workshop_b["id"], fmt=fmt), bearer(alice["token"]), f"A's participant on B ({fmt})"
            )
            await assert_refused(
                socket_url(live, workshop_b["id"], fmt=fmt, after=0),
                bearer(alice["token"]),
                "A's participant replaying B",
            )

        before = await rest.cards(moderator.token, topic_b)
        response = await rest.post_card(alice["token"], topic_b, "eingeschmuggelt")
        assert response.status_code == 403, response.text
        assert "detail" in response.json()
        assert await rest.cards(moderator.token, topic_b) == before
        await moderating_b.quiet()
        await in_a.quiet(0.1)


# --- 5. cross-site WebSocket hijacking --------------------------------------------------------


async def test_cookie_sockets_need_this_sites_origin(live: LiveServer, rest: Api, moderator: ModeratorInfo) -> None:
    """A cookie-authenticated handshake from any other origin (or none) is refused before any
    event; the same cookies with this site's Origin are accepted and get events."""
    workshop = await rest.workshop(moderator)
    browser = await join_as_browser(live, workshop, "civil_society", "Carla")
    cookies = cookie_header(browser)
    url = socket_url(live, workshop["id"])
    bad_origins: dict[str, str | None] = {
        "another site": "https://evil.example",
        "opaque origin": "null",
        "suffix trick": "http://127.0.0.1.evil.example",
        "scheme mismatch": f"https://127.0.0.1:{live.port}",
        "port mismatch": "http://127.0.0.1:1",
        "no Origin": None,
    }
    try:
        for why, origin in bad_origins.items():
            headers = {**cookies, **({"Origin": origin} if origin is not None else {})}
            await assert_refused(url, headers, why)
        # A made-up bearer header does not switch the Origin check off for the cookies.
        await assert_refused(
            url, {**cookies, "Origin": "https://evil.example", "Authorization": "Bearer x"}, "junk bearer"
        )
        # Without the device cookie the right Origin alone is nothing.
        await assert_refused(url, {"Origin": live.url}, "no cookies")

        async with feed(live, workshop["id"], headers={**cookies, "Origin": live.url}) as client:
            card = await rest.card(moderator.token, workshop["topics"][0]["id"], "Vom Flipchart", group="business")
            event = await client.next_json()
            assert event["type"] == "card.created"
            assert event["data"]["id"] == card["id"]
            assert event["data"]["text"] == "Vom Flipchart"
    finally:
        await browser.aclose()


# --- 6. what participants may not see ---------------------------------------------------------


async def test_hidden_cards_never_reach_participants(live: LiveServer, rest: Api, moderator: ModeratorInfo) -> None:
    """Hiding sends participants only ``{"id","topic_id","hidden"}`` and moderators the card;
    a hidden card's new text never reaches participants, live or in a replay (JSON or HTML)."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    author, viewer = await rest.join(workshop, "science", "Ada"), await rest.join(workshop, "business", "Bo")
    canary = f"canary-{secrets.token_hex(8)}"
    corrected = f"corrected-{secrets.token_hex(8)}"

    async with (
        feed(live, workshop["id"], token=viewer["token"]) as participant,
        feed(live, workshop["id"], token=moderator.token) as moderating,
    ):
        card = await rest.card(author["token"], topic_id, canary)
        for client in (participant, moderating):
            assert (await client.next_json())["data"]["text"] == canary  # visible when posted

        hidden = await rest.patch_card(moderator.token, card["id"], hidden=True)
        assert hidden["hidden"] is True
        to_participant = await participant.next_json()
        assert to_participant == {
            "seq": hidden["seq"],
            "type": "card.hidden",
            "data": {"id": card["id"], "topic_id": topic_id, "hidden": True},
        }
        to_moderator = await moderating.next_json()
        assert to_moderator["type"] == "card.hidden"
        assert to_moderator["data"] == hidden
        assert to_moderator["data"]["text"] == canary

        edited = await rest.patch_card(moderator.token, card["id"], text=corrected)
        assert (await participant.next_json()) == {"seq": edited["seq"], "type": "card.updated", "data": None}
        assert (await moderating.next_json())["data"]["text"] == corrected
        assert corrected not in participant.text()
        assert card["id"] not in [c["id"] for c in await rest.cards(viewer["token"], topic_id)]

        for fmt in ("json", "html"):
            async with feed(live, workshop["id"], token=viewer["token"], after=0, fmt=fmt, topic=topic_id) as replay:
                assert canary not in replay.text()
                assert corrected not in replay.text()
                if fmt == "json":
                    assert_gap_free([json.loads(m) for m in replay.pending], 1)
                else:  # htmx: the replay joins the events into one frame, each with its seq marker
                    assert html_seqs(replay.pending) == list(range(1, edited["seq"] + 1)), "the replay is gap-free"
        async with feed(live, workshop["id"], token=moderator.token, after=0) as moderator_replay:
            assert corrected in moderator_replay.text()

        restored = await rest.patch_card(moderator.token, card["id"], hidden=False)
        assert (await participant.next_json())["data"] == restored  # back for everyone
        await moderating.next_json()


async def test_anonymous_workshop_names_never_reach_participants(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """In an anonymous workshop participants (JSON and HTML, live and replayed) never receive
    another participant's name, organisation or id; the moderator does."""
    workshop = await rest.workshop(moderator, anonymous=True)
    assert workshop["anonymous"] is True
    topic_id = workshop["topics"][0]["id"]
    watcher = await rest.join(workshop, "business", "Bo")
    name = f"Name-{secrets.token_hex(6)}"
    organization = f"Org-{secrets.token_hex(6)}"

    async with (
        feed(live, workshop["id"], token=watcher["token"]) as as_json,
        feed(live, workshop["id"], token=watcher["token"], fmt="html", topic=topic_id) as as_html,
        feed(live, workshop["id"], token=moderator.token) as moderating,
    ):
        secret = await rest.join(workshop, "science", name, organization)
        joined = await as_json.next_json()
        assert joined["type"] == "participant.joined"
        assert joined["data"] == {"group": "science", "participants": {"business": 1, "science": 1}}
        joined_mod = await moderating.next_json()
        assert joined_mod["data"]["participant"]["display_name"] == name

        async with feed(live, workshop["id"], token=secret["token"]) as own:
            await moderating.presence_where(lambda data: name in data.get("names", {}).get("science", []))
            await as_json.presence_where(lambda data: data["online"].get("science") == 1)
            card = await rest.card(secret["token"], topic_id, "anonym gemeint")
            assert card["author"] is None
            posted = await as_json.next_json()
            assert posted["data"]["author"] is None
            assert posted["data"] == {**card, "author": None}
            assert (await moderating.next_json())["data"]["author"]["display_name"] == name
            await own.next_json()
        for _ in range(2):  # participant.joined and card.created
            await as_html.next()
        await as_json.presence_where(lambda data: "science" not in data["online"])  # the author left

        async with feed(live, workshop["id"], token=watcher["token"], after=0) as replay:
            assert len(replay.pending) == card["seq"]
            replayed = replay.text()

    for leaked in (name, organization, secret["participant_id"]):
        assert leaked not in as_json.text(), leaked
        assert leaked not in as_html.text(), leaked
        assert leaked not in replayed, leaked
    assert name in moderating.text()
    assert organization in moderating.text()


# --- 7. htmx fragments ------------------------------------------------------------------------


async def test_html_pushes_are_escaped_out_of_band_fragments_without_csrf_tokens(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Without ``format`` (a board page: ``topic=<id>``) a participant gets htmx OOB fragments:
    the live-seq marker with the event's seq and the card appended to its column; the text is escaped and no fragment carries
    a CSRF token — not even the posting browser's own."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    reader = await rest.join(workshop, "science", "Ada")
    browser = await join_as_browser(live, workshop, "business", "Bo")
    browser_csrf = browser.cookies.get("runde_csrf")
    assert browser_csrf
    script = "<script>alert(1)</script>"
    browser_headers = {**cookie_header(browser), "Origin": live.url}
    try:
        async with (
            feed(live, workshop["id"], token=reader["token"], fmt="html", topic=topic_id) as by_token,
            feed(live, workshop["id"], headers=browser_headers, fmt="html", topic=topic_id) as own,
        ):
            response = await browser.post(
                f"/topics/{topic_id}/cards",
                data={"kind": "concern", "text": script, "csrf_token": browser_csrf},
                follow_redirects=False,
            )
            assert response.status_code in (200, 303), response.text
            (card,) = [c for c in await rest.cards(moderator.token, topic_id) if c["text"] == script]
            # Phase changes push more fragments (tabs, topic head, …): all must be token-free too.
            assert (await rest.set_phase(moderator.token, topic_id, "cluster"))["phase"] == "cluster"
            assert (await rest.set_phase(moderator.token, topic_id, "collect"))["phase"] == "collect"

            for client in (by_token, own):
                message = await client.next()
                assert message.startswith('<span id="live-seq"'), message[:80]
                marker = re.match(r'<span id="live-seq" data-seq="(\d+)"[^>]*data-hx-swap-oob="true"', message)
                assert marker is not None, message[:120]
                assert int(marker.group(1)) == card["seq"]

                soup = BeautifulSoup(message, "html.parser")
                append = soup.select_one(f'[data-hx-swap-oob="beforeend:#cards-{topic_id}-concern"]')
                assert append is not None, message
                item = append.select_one(f"#card-{card['id']}")
                assert item is not None, message
                text = item.select_one(".card-text")
                assert text is not None
                assert text.get_text() == script
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message
                assert "<script" not in message.lower()

                for offset in (1, 2):
                    topic_message = await client.next()
                    assert re.match(rf'<span id="live-seq" data-seq="{card["seq"] + offset}"', topic_message)

            for client in (by_token, own):
                pushed = client.text()
                assert "<script" not in pushed.lower()
                assert browser_csrf not in pushed
                for tag in BeautifulSoup(pushed, "html.parser").find_all("input", attrs={"name": "csrf_token"}):
                    assert not tag.get("value"), f"a pushed fragment carries a CSRF token: {tag}"
                assert re.search(r'name="csrf_token"\s+value="[^"]', pushed) is None
    finally:
        await browser.aclose()


# --- 8. presence ------------------------------------------------------------------------------


async def test_presence_is_ephemeral_and_counts_per_group(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """``presence.changed`` (seq null) tells who is online per group — names only to moderators —
    and is never logged: a replay holds only seq'd events."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    ada, bo = await rest.join(workshop, "science", "Ada"), await rest.join(workshop, "business", "Bo")

    async with feed(live, workshop["id"], token=ada["token"]) as first:
        assert json.loads(first.presences[0]) == {
            "seq": None,
            "type": "presence.changed",
            "data": {"online": {"science": 1}, "moderators": 0},
        }
        async with feed(live, workshop["id"], token=bo["token"]):
            both = await first.presence_where(lambda data: data["online"] == {"science": 1, "business": 1})
            assert both == {
                "seq": None,
                "type": "presence.changed",
                "data": {"online": {"science": 1, "business": 1}, "moderators": 0},
            }
            async with feed(live, workshop["id"], token=moderator.token) as moderating:
                seen = await moderating.presence_where(lambda data: data["moderators"] == 1)
                assert seen["data"]["names"] == {"science": ["Ada"], "business": ["Bo"]}
                await first.presence_where(lambda data: data["moderators"] == 1)
        gone = await first.presence_where(lambda data: data["online"] == {"science": 1} and data["moderators"] == 0)
        assert "names" not in gone["data"]
        card = await rest.card(ada["token"], topic_id, "nach der Anwesenheit")
        assert (await first.next_json())["seq"] == card["seq"]

    async with feed(live, workshop["id"], token=ada["token"], after=0) as replay:
        replayed = [json.loads(m) for m in replay.pending]
    assert len(replayed) == card["seq"]
    assert_gap_free(replayed, 1)
    assert all(e["type"] in EVENT_TYPES for e in replayed), {e["type"] for e in replayed}
    assert "presence.changed" not in "".join(replay.pending)
    assert replayed[-1]["data"]["id"] == card["id"]


async def test_presence_settles_on_who_is_really_online_after_a_burst(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Presence is coalesced, but the last message after a burst of arrivals and departures
    (spread across the coalescing delay) always matches who is connected."""
    workshop = await rest.workshop(moderator)
    people = [await rest.join(workshop, GROUPS[i % 3], f"P{i}") for i in range(6)]
    online = {"science": 2, "business": 2, "civil_society": 2}

    async def arrive(stack: AsyncExitStack, index: int) -> None:
        await asyncio.sleep(index * 0.04)
        await stack.enter_async_context(feed(live, workshop["id"], token=people[index]["token"], ready=False))

    async with feed(live, workshop["id"], token=moderator.token) as moderating, AsyncExitStack() as stays:
        async with AsyncExitStack() as leaves:
            await asyncio.gather(*(arrive(stays if i < 3 else leaves, i) for i in range(6)))
            everyone = await moderating.presence_where(lambda data: data["online"] == online)
            assert everyone["data"]["names"] == {
                "science": ["P0", "P3"],
                "business": ["P1", "P4"],
                "civil_society": ["P2", "P5"],
            }
        await moderating.presence_where(lambda data: data["online"] == dict.fromkeys(GROUPS, 1))
        await asyncio.sleep(0.5)  # any presence still pending has been sent by now
        assert json.loads(moderating.presences[-1])["data"]["online"] == dict.fromkeys(GROUPS, 1)


async def test_a_statement_push_and_its_get_are_the_same_json(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """One public shape: the data of statement.created / statement.updated equals what
    GET /statements/{id} answers the same audience, key for key."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    ada = await rest.join(workshop, "science", "Ada")
    card = await rest.card(ada["token"], topic_id, "Offene Daten")
    mod = bearer(moderator.token)
    async with feed(live, workshop["id"], token=moderator.token, after=card["seq"]) as watch:
        made = await rest.client.post(
            f"/api/v1/topics/{topic_id}/statements",
            json={"text": "Wir teilen Daten.", "card_ids": [card["id"]]},
            headers=mod,
        )
        assert made.status_code == 201, made.text
        [created] = await watch.take(1)
        got = await rest.client.get(f"/api/v1/statements/{made.json()['id']}", headers=mod)
        assert created["type"] == "statement.created"
        assert created["data"] == got.json() == made.json()


#: The API model each pushed event's data must match (docs/events.md: "the changed resource as
#: the API returns it"); types not listed carry the small documented shapes of docs/events.md.
PUSHED_AS = {
    "card.created": schemas.CardOut,
    "card.updated": schemas.CardOut,
    "card.moved": schemas.CardOut,
    "card.merged": schemas.CardOut,
    "cluster.created": schemas.ClusterOut,
    "cluster.updated": schemas.ClusterOut,
    "topic.created": schemas.TopicOut,
    "topic.updated": schemas.TopicOut,
    "statement.created": schemas.StatementOut,
    "statement.updated": schemas.StatementOut,
    "workshop.updated": schemas.WorkshopOut,
    "timer.changed": schemas.TimerOut,
}


async def test_every_pushed_resource_has_the_shape_the_api_answers(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Every event type a round produces, replayed to a moderator's and a participant's JSON
    socket: each resource validates against its API model, with every key the model requires and
    none it does not know (optional keys, such as ``join_code`` for moderators, as the API leaves
    them out), so a push and a GET can never drift."""
    workshop = await rest.workshop(moderator)
    w, topic_id = workshop["id"], workshop["topics"][0]["id"]
    mod = bearer(moderator.token)
    ada = await rest.join(workshop, "science", "Ada")
    a = await rest.card(ada["token"], topic_id, "Offene Daten")
    b = await rest.card(ada["token"], topic_id, "Daten, offen")
    c = await rest.card(ada["token"], topic_id, "Radwege")
    http = rest.client

    async def ok(method: str, path: str, **body: Any) -> Json:
        answer = await http.request(method, path, json=body or None, headers=mod)
        assert answer.status_code < 300, (path, answer.text)
        return answer.json() if answer.content else {}

    await rest.patch_card(ada["token"], c["id"], text="Sichere Radwege")
    await ok("PATCH", f"/api/v1/workshops/{w}", title="Austauschrunde")
    extra = await ok("POST", f"/api/v1/workshops/{w}/topics", title="Zweites Thema")
    await ok("POST", f"/api/v1/topics/{topic_id}/timer", action="start", minutes=5)
    await rest.set_phase(moderator.token, topic_id, "cluster")
    cluster = await ok("POST", f"/api/v1/topics/{topic_id}/clusters", title="Daten")
    await ok("PATCH", f"/api/v1/clusters/{cluster['id']}", title="Offene Daten")
    await ok("PUT", f"/api/v1/cards/{a['id']}/cluster", cluster_id=cluster["id"])
    await ok("POST", f"/api/v1/cards/{b['id']}/merge", into=a["id"])
    await ok("PATCH", f"/api/v1/cards/{c['id']}", hidden=True)
    await ok("PATCH", f"/api/v1/cards/{c['id']}", hidden=False)
    statement = await ok("POST", f"/api/v1/topics/{topic_id}/statements", text="Wir teilen Daten.", card_ids=[a["id"]])
    await rest.set_phase(moderator.token, topic_id, "consent")
    rated = await http.put(
        f"/api/v1/statements/{statement['id']}/rating", json={"level": "full"}, headers=bearer(ada["token"])
    )
    assert rated.status_code == 200, rated.text
    await ok("POST", f"/api/v1/topics/{topic_id}/options", ratings_revealed=True)
    await ok("PATCH", f"/api/v1/participants/{ada['participant_id']}", locked=True)
    await ok("DELETE", f"/api/v1/topics/{extra['id']}")

    seen: set[str] = set()
    for token in (moderator.token, ada["token"]):
        async with feed(live, w, token=token, after=0) as back:  # live only once it replayed all
            for message in [json.loads(m) for m in back.pending]:
                seen.add(message["type"])
                model = PUSHED_AS.get(message["type"])
                data = message["data"]
                if model is None or data is None or set(data) <= {"id", "topic_id", "hidden"}:
                    continue  # a documented small shape (docs/events.md), or what is gone or hidden by now
                model.model_validate(data)
                required = {name for name, spec in model.model_fields.items() if spec.is_required()}
                assert required <= set(data) <= set(model.model_fields), (message["type"], data)
    assert set(PUSHED_AS) <= seen, set(PUSHED_AS) - seen


# --- coalescing under backlog ---------------------------------------------------------------


@contextlib.contextmanager
def pump_held(live: LiveServer) -> Iterator[None]:
    """Events commit while the workshop's pump does not run: a real backlog. After the block,
    the next event's signal starts the pump, which finds them all waiting."""
    hub = live.server.config.app.state.hub  # type: ignore[attr-defined]
    hub._kick = lambda _channel: None  # an instance attribute in front of Hub._kick
    try:
        yield
    finally:
        del hub._kick


def events_of(client: Feed) -> list[Json]:
    """A batch client's events (arrays; presence set aside), flattened in order of receipt."""
    return [item for message in client.pending for item in json.loads(message) if item["seq"] is not None]


async def test_a_backlog_reaches_each_client_in_few_frames_in_its_format(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Five cards wait while the pump is held; the sixth's signal sends them all: a batch
    client gets arrays holding every event once in order, a plain JSON client one object per
    frame as always, an htmx page fewer frames than events with every seq marker in order."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    author = await rest.join(workshop, "science", "Ada")
    viewer = await rest.join(workshop, "business", "Bo")
    async with (
        feed(live, workshop["id"], token=viewer["token"], fmt="batch") as batched,
        feed(live, workshop["id"], token=viewer["token"]) as plain,
        feed(live, workshop["id"], token=viewer["token"], fmt="html", topic=topic_id) as page,
    ):
        await batched.quiet(0.3)  # the joins' presence messages are through
        with pump_held(live):
            cards = [await rest.card(author["token"], topic_id, f"Rückstau {n}") for n in range(5)]
        cards.append(await rest.card(author["token"], topic_id, "Rückstau 5"))
        seqs = [card["seq"] for card in cards]

        await batched._until(lambda: len(events_of(batched)) >= 6, "six events in arrays")
        assert [event["seq"] for event in events_of(batched)] == seqs
        assert [event["data"]["id"] for event in events_of(batched)] == [card["id"] for card in cards]
        assert len(batched.pending) < 6, "joined: fewer frames than events"

        events = await plain.take(6)
        assert [event["seq"] for event in events] == seqs, "one object per frame, in order"

        await page._until(lambda: len(html_seqs(page.pending)) >= 6, "six seq markers")
        assert html_seqs(page.pending) == seqs
        assert len(page.pending) < 6, "joined: fewer frames than events"
        joined = "".join(page.pending)
        assert all(f'id="card-{card["id"]}"' in joined for card in cards)
        for client in (batched, plain, page):  # and nothing more: no event twice
            client.pending.clear()
            await client.quiet(0.3)


async def test_a_replay_comes_in_few_frames(live: LiveServer, rest: Api, moderator: ModeratorInfo) -> None:
    """A client that comes back after missing 12 events gets them, in order, in one frame
    (batch JSON, htmx); a plain JSON client in 12."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    author = await rest.join(workshop, "science", "Ada")
    cards = [await rest.card(author["token"], topic_id, f"Verpasst {n}") for n in range(12)]
    seqs = list(range(2, cards[-1]["seq"] + 1))  # seq 1: Ada joined
    assert [card["seq"] for card in cards] == seqs[-12:]
    async with feed(live, workshop["id"], token=author["token"], after=1, fmt="batch") as batched:
        assert [event["seq"] for event in events_of(batched)] == seqs
        assert len(batched.pending) == 1
    async with feed(live, workshop["id"], token=author["token"], after=1, fmt="html", topic=topic_id) as page:
        assert html_seqs(page.pending) == seqs
        assert len(page.pending) == 1
    async with feed(live, workshop["id"], token=author["token"], after=1) as plain:
        assert [json.loads(message)["seq"] for message in plain.pending] == seqs
    async with feed(live, workshop["id"], token=author["token"], after=cards[-1]["seq"] + 5, fmt="batch") as stale:
        assert stale.raw[0] == RESYNC_TEXT, "resync is the contract's bare object, alone, for batch clients too"
        assert list(stale.pending) == [RESYNC_TEXT]
