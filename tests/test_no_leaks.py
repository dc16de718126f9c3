"""Canaries: what participants may not see never reaches them — not on the page, not in a
WebSocket push (JSON or htmx HTML), not in a replay, not through the API
(docs/events.md "What participants never receive", API-CONTRACT.md "Live events").

Every test plants a unique canary (a card text, a display name …), opens the channels a
participant has — the board page of a phone that joined through the form, a JSON socket and
an htmx socket (``view=board&topic=…``) with the participant's bearer token, a replay from
``after=0``, the JSON API — and checks the canary is absent there while the moderator's own
socket shows it (so the canary did travel). Where the moderator reveals the thing, the
canary must then arrive.

Everything runs against the live server (uvicorn in a thread) over real HTTP and WebSockets
(see the note in ``tests/test_ws.py`` on why no TestClient is mixed in). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer, join_browser_async, page_seq, quick_moderator

WAIT = 5.0
Json = dict[str, Any]
SEQ_IN_HTML = re.compile(r'id="live-seq" data-seq="(\d+)"')


def canary(what: str) -> str:
    return f"CANARY{what}{secrets.token_hex(4)}"


# --- HTTP -----------------------------------------------------------------------------------


class Rest:
    """The JSON API over real HTTP, as a tool uses it (bearer tokens, no cookies)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, token: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=bearer(token), **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def workshop(self, moderator: ModeratorInfo, **fields: Any) -> Json:
        body = {"title": "Austauschrunde", "topics": [{"title": "Reallabore"}], **fields}
        data: Json = await self.call("POST", "/api/v1/workshops", moderator.token, 201, json=body)
        return data

    async def join(self, workshop: Json, group: str, name: str, organization: str = "Uni") -> Json:
        body = {"join_code": workshop["join_code"], "display_name": name, "organization": organization, "group": group}
        response = await self.client.post("/api/v1/workshops/join", json=body)
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    async def card(self, token: str, topic_id: str, text: str, **extra: str) -> Json:
        body = {"kind": "need", "text": text, **extra}
        data: Json = await self.call("POST", f"/api/v1/topics/{topic_id}/cards", token, 201, json=body)
        return data

    async def cards(self, token: str, topic_id: str) -> list[Json]:
        data: list[Json] = await self.call("GET", f"/api/v1/topics/{topic_id}/cards", token)
        return data

    async def options(self, token: str, topic_id: str, **options: Any) -> Json:
        data: Json = await self.call("POST", f"/api/v1/topics/{topic_id}/options", token, json=options)
        return data

    async def phase(self, token: str, topic_id: str, phase: str) -> Json:
        data: Json = await self.call("PATCH", f"/api/v1/topics/{topic_id}", token, json={"phase": phase})
        return data

    async def last_seq(self, moderator: ModeratorInfo, workshop_id: str) -> int:
        """The workshop's last seq, as the moderator console page states it."""
        response = await self.client.get(f"/m/workshops/{workshop_id}", headers=bearer(moderator.token))
        assert response.status_code == 200, response.text
        return page_seq(response.text)


async def board_page(browser: httpx.AsyncClient, workshop_id: str, topic_id: str) -> str:
    """The participant board page as the phone that joined through the form gets it."""
    response = await browser.get(f"/w/{workshop_id}/topics/{topic_id}")
    assert response.status_code == 200, response.text
    assert 'id="live-seq"' in response.text
    return response.text


# --- WebSocket feeds ------------------------------------------------------------------------


class Feed:
    """One socket; every message is kept in ``raw`` (searched for canaries)."""

    def __init__(self, ws: ClientConnection, fmt: str) -> None:
        self.ws = ws
        self.fmt = fmt
        self.raw: list[str] = []
        self.seq = 0

    def _seqs_of(self, message: str) -> list[int]:
        """The events' seqs in ``message``: under a backlog an htmx message joins several."""
        if self.fmt == "json":
            value = json.loads(message).get("seq")
            return [int(value)] if value is not None else []
        return [int(seq) for seq in SEQ_IN_HTML.findall(message)]

    def _presence(self, message: str) -> bool:
        if self.fmt == "json":
            return bool(json.loads(message).get("type") == "presence.changed")
        return 'id="presence"' in message and not self._seqs_of(message)

    async def _pull(self, deadline: float) -> str:
        try:
            message = await asyncio.wait_for(self.ws.recv(), max(deadline - time.monotonic(), 0.001))
        except TimeoutError:
            raise AssertionError(f"timed out; received so far: {self.raw!r}") from None
        except ConnectionClosed as exc:  # pragma: no cover - a failure report
            raise AssertionError(f"socket closed: {exc!r}; received {self.raw!r}") from exc
        assert isinstance(message, str)
        self.raw.append(message)
        for seq in self._seqs_of(message):
            assert seq == self.seq + 1 or self.seq == 0, f"seq gap: {self.seq} then {seq}"
            self.seq = seq
        return message

    async def until_seq(self, seq: int) -> None:
        """Receive until the event with ``seq`` has arrived."""
        deadline = time.monotonic() + WAIT
        while self.seq < seq:
            await self._pull(deadline)

    async def until_presence(self) -> Json | str:
        deadline = time.monotonic() + WAIT
        while True:
            message = await self._pull(deadline)
            if self._presence(message):
                return json.loads(message) if self.fmt == "json" else message

    def events(self) -> list[Json]:
        assert self.fmt == "json"
        return [json.loads(m) for m in self.raw]

    def text(self) -> str:
        return "\n".join(self.raw)


def socket_url(live: LiveServer, workshop_id: str, fmt: str, topic_id: str | None, after: int | None) -> str:
    query: dict[str, Any] = {"format": "json"} if fmt == "json" else {"view": "board", "topic": topic_id}
    if after is not None:
        query["after"] = after
    return f"{live.ws_url}/ws/workshops/{workshop_id}?{urlencode(query)}"


@asynccontextmanager
async def feed(
    live: LiveServer,
    workshop_id: str,
    token: str,
    *,
    fmt: str = "json",
    topic_id: str | None = None,
    after: int | None = None,
) -> AsyncIterator[Feed]:
    """A socket with ``token``; opened live (waits for the first presence message: from then on
    nothing posted is missed), or replaying from ``after``."""
    url = socket_url(live, workshop_id, fmt, topic_id, after)
    async with connect(url, additional_headers=bearer(token), open_timeout=WAIT, close_timeout=1) as ws:
        client = Feed(ws, fmt)
        if after is None:
            await client.until_presence()
        yield client


async def replay(live: LiveServer, workshop_id: str, token: str, upto: int, **kwargs: Any) -> Feed:
    """Everything a client reconnecting with ``after=0`` receives up to ``upto``."""
    async with feed(live, workshop_id, token, after=0, **kwargs) as client:
        await client.until_seq(upto)
        return client


class Room:
    """The sockets of one scenario: the moderator's (JSON) and an observing participant's
    (JSON and htmx board), all opened before anything happens."""

    def __init__(self, moderator: Feed, json_feed: Feed, html_feed: Feed) -> None:
        self.moderator = moderator
        self.json = json_feed
        self.html = html_feed

    @property
    def participant_feeds(self) -> tuple[Feed, Feed]:
        return self.json, self.html

    async def settle(self, seq: int) -> None:
        for client in (self.moderator, self.json, self.html):
            await client.until_seq(seq)


@asynccontextmanager
async def room(live: LiveServer, workshop_id: str, topic_id: str, moderator: str, observer: str) -> AsyncIterator[Room]:
    async with AsyncExitStack() as stack:
        mod = await stack.enter_async_context(feed(live, workshop_id, moderator))
        as_json = await stack.enter_async_context(feed(live, workshop_id, observer))
        as_html = await stack.enter_async_context(feed(live, workshop_id, observer, fmt="html", topic_id=topic_id))
        yield Room(mod, as_json, as_html)


def assert_absent(needle: str, **where: str) -> None:
    for name, haystack in where.items():
        assert needle not in haystack, f"{needle!r} leaked into {name}: …{_around(haystack, needle)}…"


def _around(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 300) : at + 300]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def live(live_server: LiveServer, caplog: pytest.LogCaptureFixture) -> Iterator[LiveServer]:
    """The live server; it must not have logged an error (a failing render is logged, not raised)."""
    yield live_server
    live_server.stop()
    errors = [r for r in caplog.get_records("call") + caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]


@pytest.fixture
def moderator(app: FastAPI, live: LiveServer) -> ModeratorInfo:
    return quick_moderator(app)


@pytest.fixture
async def rest(live: LiveServer) -> AsyncIterator[Rest]:
    async def forget_cookies(_response: httpx.Response) -> None:
        client.cookies.clear()

    async with httpx.AsyncClient(base_url=live.url, timeout=WAIT, event_hooks={"response": [forget_cookies]}) as client:
        yield Rest(client)


@pytest.fixture
async def phone(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A browser that will join through the join form (cookies kept)."""
    async with httpx.AsyncClient(base_url=live.url, timeout=WAIT) as client:
        yield client


# --- (a) cards concealed until the moderator reveals them ------------------------------------


async def test_concealed_cards_reach_only_their_author_until_revealed(
    live: LiveServer, rest: Rest, moderator: ModeratorInfo, phone: httpx.AsyncClient
) -> None:
    text = canary("concealed")
    workshop = await rest.workshop(moderator)
    wid, tid = workshop["id"], workshop["topics"][0]["id"]
    await rest.options(moderator.token, tid, hide_until_reveal=True)
    observer = await rest.join(workshop, "science", "Ada")
    author = await rest.join(workshop, "business", "Bo")
    await join_browser_async(phone, workshop, "civil_society", "Cem")

    async with room(live, wid, tid, moderator.token, observer["token"]) as r, feed(live, wid, author["token"]) as own:
        card = await rest.card(author["token"], tid, text)
        mine = await rest.card(observer["token"], tid, "Meine eigene Karte")
        last = await rest.last_seq(moderator, wid)
        await r.settle(last)
        await own.until_seq(last)

        assert text in r.moderator.text()
        assert text in own.text(), "the author must see their own concealed card"
        created = [e for e in r.json.events() if e["type"] == "card.created"]
        assert [e["data"] for e in created if e["seq"] == card["seq"]] == [None]
        assert [e["data"]["text"] for e in created if e["seq"] == mine["seq"]] == ["Meine eigene Karte"]
        listed = await rest.cards(observer["token"], tid)
        assert [c["text"] for c in listed] == ["Meine eigene Karte"]
        await rest.call("GET", f"/api/v1/cards/{card['id']}", observer["token"], 404)
        assert [c["text"] for c in await rest.cards(author["token"], tid)] == [text]
        page = await board_page(phone, wid, tid)
        json_replay = await replay(live, wid, observer["token"], last)
        html_replay = await replay(live, wid, observer["token"], last, fmt="html", topic_id=tid)
        assert_absent(
            text,
            json_push=r.json.text(),
            html_push=r.html.text(),
            json_replay=json_replay.text(),
            html_replay=html_replay.text(),
            api=json.dumps(listed),
            page=page,
        )
        assert "Meine eigene Karte" in html_replay.text()

        await rest.options(moderator.token, tid, cards_revealed=True)
        revealed = await rest.last_seq(moderator, wid)
        await r.settle(revealed)
        assert text in r.html.text(), "the revealed board reaches the htmx socket"
        assert [e["data"]["cards_revealed"] for e in r.json.events() if e["seq"] == revealed] == [True]
        assert text in [c["text"] for c in await rest.cards(observer["token"], tid)]
        assert text in await board_page(phone, wid, tid)
        again = await replay(live, wid, observer["token"], revealed)
        assert [e["data"]["text"] for e in again.events() if e["seq"] == card["seq"]] == [text]


# --- (b) cards a moderator hid ---------------------------------------------------------------


async def test_moderator_hidden_cards_never_reach_participants(
    live: LiveServer, rest: Rest, moderator: ModeratorInfo, phone: httpx.AsyncClient
) -> None:
    """Posted while concealed, hidden by the moderator, corrected while hidden, then the cards
    are revealed and the card is moved into a cluster: neither text ever reaches a participant,
    its author included."""
    text, corrected = canary("hidden"), canary("corrected")
    workshop = await rest.workshop(moderator)
    wid, tid = workshop["id"], workshop["topics"][0]["id"]
    await rest.options(moderator.token, tid, hide_until_reveal=True)
    observer = await rest.join(workshop, "science", "Ada")
    author = await rest.join(workshop, "business", "Bo")
    await join_browser_async(phone, workshop, "civil_society", "Cem")
    visible = await rest.card(observer["token"], tid, "Eine sichtbare Karte")

    async with room(live, wid, tid, moderator.token, observer["token"]) as r:
        card = await rest.card(author["token"], tid, text)
        hidden = await rest.call("PATCH", f"/api/v1/cards/{card['id']}", moderator.token, json={"hidden": True})
        assert hidden["hidden"] is True
        await rest.call("PATCH", f"/api/v1/cards/{card['id']}", moderator.token, json={"text": corrected})
        await rest.call(
            "POST", f"/api/v1/topics/{tid}/options", moderator.token, 422, json={"spotlight_card_id": card["id"]}
        )
        await rest.options(moderator.token, tid, cards_revealed=True)
        await rest.phase(moderator.token, tid, "cluster")
        cluster = await rest.call(
            "POST", f"/api/v1/topics/{tid}/clusters", moderator.token, 201, json={"title": "Alle"}
        )
        for card_id in (visible["id"], card["id"]):
            await rest.call(
                "PUT", f"/api/v1/cards/{card_id}/cluster", moderator.token, json={"cluster_id": cluster["id"]}
            )
        last = await rest.last_seq(moderator, wid)
        await r.settle(last)

        assert text in r.moderator.text()
        assert corrected in r.moderator.text()
        by_seq = {e["seq"]: e for e in r.json.events() if e["seq"] is not None}
        hidden_events = [e for e in by_seq.values() if e["type"] == "card.hidden"]
        assert [e["data"] for e in hidden_events] == [{"id": card["id"], "topic_id": tid, "hidden": True}]
        assert [e["data"] for e in by_seq.values() if e["type"] == "card.updated"] == [None]
        moved = [e["data"] for e in by_seq.values() if e["type"] == "card.moved"]
        assert [m and m["id"] for m in moved] == [visible["id"], None]
        assert "Eine sichtbare Karte" in r.html.text()  # the board did reach the htmx socket

        pages = await board_page(phone, wid, tid)
        listed = json.dumps(await rest.cards(observer["token"], tid)) + json.dumps(
            await rest.cards(author["token"], tid)
        )
        clusters = json.dumps(await rest.call("GET", f"/api/v1/topics/{tid}/clusters", observer["token"]))
        for token in (observer["token"], author["token"]):
            await rest.call("GET", f"/api/v1/cards/{card['id']}", token, 404)
        json_replay = await replay(live, wid, observer["token"], last)
        html_replay = await replay(live, wid, observer["token"], last, fmt="html", topic_id=tid)
        for needle in (text, corrected):
            assert_absent(
                needle,
                json_push=r.json.text(),
                html_push=r.html.text(),
                json_replay=json_replay.text(),
                html_replay=html_replay.text(),
                api=listed,
                page=pages,
            )
        assert card["id"] not in clusters  # the cluster lists only visible cards
        assert "Eine sichtbare Karte" in pages


# --- (c) dot tallies before they are revealed ------------------------------------------------


def tally_texts(html: str, item_id: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [el.get_text(" ", strip=True) for el in soup.find_all(id=f"tally-{item_id}")]


async def test_dot_tallies_stay_secret_until_revealed(
    live: LiveServer, rest: Rest, moderator: ModeratorInfo, phone: httpx.AsyncClient
) -> None:
    workshop = await rest.workshop(moderator)
    wid, tid = workshop["id"], workshop["topics"][0]["id"]
    observer = await rest.join(workshop, "science", "Ada")
    others = [await rest.join(workshop, "business", "Bo"), await rest.join(workshop, "business", "Cem")]
    await join_browser_async(phone, workshop, "civil_society", "Dana")
    card = await rest.card(moderator.token, tid, "Vom Flipchart", group="administration")
    await rest.phase(moderator.token, tid, "vote")

    async with room(live, wid, tid, moderator.token, observer["token"]) as r:
        for person, dots in ((observer, 3), (others[0], 3), (others[1], 1)):
            await rest.call("POST", f"/api/v1/cards/{card['id']}/votes", person["token"], json={"dots": dots})
        last = await rest.last_seq(moderator, wid)
        await r.settle(last)

        mod_votes = [e["data"] for e in r.moderator.events() if e["type"] == "vote.changed"]
        # Rendered from the state at send time: earlier events may already show a later total.
        assert len(mod_votes) == 3
        assert mod_votes[-1]["total"] == 7
        assert mod_votes[-1]["by_group"] == {"science": 3, "business": 4}
        votes = [e for e in r.json.events() if e["type"] == "vote.changed"]
        assert len(votes) == 3
        assert all(e["data"] is None for e in votes)
        assert not tally_texts(r.html.text(), card["id"])  # only seq markers were pushed
        await rest.call("GET", f"/api/v1/topics/{tid}/votes", observer["token"], 403)
        page = await board_page(phone, wid, tid)
        shown = tally_texts(page, card["id"])
        assert shown, "the board has a tally element for the card"
        assert not any(re.search(r"\d", t) for t in shown), shown
        json_replay = await replay(live, wid, observer["token"], last)
        assert all(e["data"] is None for e in json_replay.events() if e["type"] == "vote.changed")
        html_replay = await replay(live, wid, observer["token"], last, fmt="html", topic_id=tid)
        replayed = tally_texts(html_replay.text(), card["id"])  # the vote phase's board
        assert replayed
        assert not any(re.search(r"\d", t) for t in replayed), replayed

        await rest.options(moderator.token, tid, tallies_revealed=True)
        await rest.call("POST", f"/api/v1/cards/{card['id']}/votes", others[1]["token"], json={"dots": 1})
        revealed = await rest.last_seq(moderator, wid)
        await r.settle(revealed)
        after = [e["data"] for e in r.json.events() if e["type"] == "vote.changed"][-1]
        assert after == {
            "topic_id": tid,
            "card_id": card["id"],
            "cluster_id": None,
            "total": 8,
            "by_group": {"science": 3, "business": 5},
        }
        tallies = await rest.call("GET", f"/api/v1/topics/{tid}/votes", observer["token"])
        assert tallies == await rest.call("GET", f"/api/v1/topics/{tid}/votes", moderator.token)
        assert tallies[card["id"]]["total"] == 8
        assert any("8" in t for t in tally_texts(await board_page(phone, wid, tid), card["id"]))
        assert any("8" in t for t in tally_texts(r.html.text(), card["id"]))


# --- (d) support per group before it is revealed ---------------------------------------------


async def test_support_per_group_stays_secret_until_revealed(
    live: LiveServer, rest: Rest, moderator: ModeratorInfo, phone: httpx.AsyncClient
) -> None:
    reason = canary("reason")
    workshop = await rest.workshop(moderator)
    wid, tid = workshop["id"], workshop["topics"][0]["id"]
    observer = await rest.join(workshop, "science", "Ada")
    other = await rest.join(workshop, "business", "Bo")
    await join_browser_async(phone, workshop, "civil_society", "Cem")
    statement = await rest.call(
        "POST", f"/api/v1/topics/{tid}/statements", moderator.token, 201, json={"text": "Reallabore brauchen Budget."}
    )
    sid = statement["id"]
    await rest.phase(moderator.token, tid, "consent")

    async with room(live, wid, tid, moderator.token, observer["token"]) as r:
        await rest.call("PUT", f"/api/v1/statements/{sid}/rating", observer["token"], json={"level": "full"})
        await rest.call(
            "PUT", f"/api/v1/statements/{sid}/rating", other["token"], json={"level": "concerns", "reason": reason}
        )
        revised = await rest.call(
            "POST",
            f"/api/v1/statements/{sid}/revisions",
            moderator.token,
            201,
            json={"text": "Reallabore brauchen ein festes Budget."},
        )
        await rest.call("PUT", f"/api/v1/statements/{revised['id']}/rating", other["token"], json={"level": "full"})
        last = await rest.last_seq(moderator, wid)
        await r.settle(last)

        assert "support_share" in r.moderator.text()
        pushed = [e["data"] for e in r.json.events() if e["type"].startswith("statement.")]
        assert len(pushed) == 5
        for data in pushed:
            assert data["ratings_visible"] is False
            assert (data["ratings_count"], data["by_group"], data["consensus"], data["bridging_score"]) == (None,) * 4
            assert "my_rating" not in data  # pushes never carry anyone's own rating
        as_participant = await rest.call("GET", f"/api/v1/statements/{sid}", observer["token"])
        assert as_participant["by_group"] is None
        assert as_participant["my_rating"] == "full"
        listed = await rest.call("GET", f"/api/v1/topics/{tid}/statements", observer["token"])
        assert [s["by_group"] for s in listed] == [None]
        page = await board_page(phone, wid, tid)
        json_replay = await replay(live, wid, observer["token"], last)
        html_replay = await replay(live, wid, observer["token"], last, fmt="html", topic_id=tid)
        for needle in ("support_share", "support-chart", reason):
            assert_absent(
                needle,
                json_push=r.json.text(),
                html_push=r.html.text(),
                json_replay=json_replay.text(),
                html_replay=html_replay.text(),
                api=json.dumps([as_participant, *listed]),
                page=page,
            )
        assert "Reallabore brauchen ein festes Budget." in page
        assert "Reallabore brauchen ein festes Budget." in r.html.text()

        await rest.options(moderator.token, tid, ratings_revealed=True)
        await rest.call(
            "PUT", f"/api/v1/statements/{revised['id']}/rating", observer["token"], json={"level": "reservations"}
        )
        revealed = await rest.last_seq(moderator, wid)
        await r.settle(revealed)
        final = [e["data"] for e in r.json.events() if e["type"] == "statement.updated"][-1]
        assert final["by_group"]["science"]["reservations"] == 1
        assert final["by_group"]["business"]["support_share"] == 1.0
        assert final["consensus"] is True
        assert "support-chart" in r.html.text()
        assert "support-chart" in await board_page(phone, wid, tid)
        shown = await rest.call("GET", f"/api/v1/statements/{sid}", observer["token"])
        assert shown["by_group"]["business"]["concerns"] == 1  # the superseded version, with its ratings
        assert reason not in json.dumps(shown)


# --- (e) names in anonymous workshops --------------------------------------------------------


async def test_names_in_anonymous_workshops_reach_only_moderators(
    live: LiveServer, rest: Rest, moderator: ModeratorInfo, phone: httpx.AsyncClient
) -> None:
    name, org, twin = canary("name"), canary("org"), canary("twin")
    workshop = await rest.workshop(moderator, anonymous=True)
    wid, tid = workshop["id"], workshop["topics"][0]["id"]
    observer = await rest.join(workshop, "science", "Beobachterin")
    await join_browser_async(phone, workshop, "administration", "Telefon")

    async with room(live, wid, tid, moderator.token, observer["token"]) as r:
        named = await rest.join(workshop, "business", name, organization=org)
        second = await rest.join(workshop, "civil_society", twin, organization=org)
        async with feed(live, wid, named["token"]):  # online: in the presence (by name for moderators)
            presence = await r.json.until_presence()
            while not isinstance(presence, dict) or not presence["data"]["online"].get("business"):
                presence = await r.json.until_presence()
            mod_presence: Any = await r.moderator.until_presence()
            while name not in json.dumps(mod_presence):
                mod_presence = await r.moderator.until_presence()
            assert mod_presence["data"]["names"]["business"] == [name]
            assert "names" not in presence["data"]
            await r.html.until_presence()

            card = await rest.card(named["token"], tid, "Karte ohne Namen")
            duplicate = await rest.card(second["token"], tid, "Dieselbe Karte")
            merged = await rest.call(
                "POST", f"/api/v1/cards/{duplicate['id']}/merge", moderator.token, json={"into": card["id"]}
            )
            assert merged["merged"] == [{"group": "civil_society", "display_name": twin, "organization": org}]
            last = await rest.last_seq(moderator, wid)
            await r.settle(last)

        joined = [e["data"] for e in r.moderator.events() if e["type"] == "participant.joined"]
        assert [j["participant"]["display_name"] for j in joined] == [name, twin]
        mod_cards = await rest.cards(moderator.token, tid)
        assert mod_cards[0]["author"]["display_name"] == name
        assert mod_cards[0]["merged"][0]["display_name"] == twin

        seen = [e["data"] for e in r.json.events() if e["type"] == "participant.joined"]
        # Counts per group only (rendered from the state at send time, so possibly both joins).
        assert [(sorted(j), j["group"]) for j in seen] == [
            (["group", "participants"], "business"),
            (["group", "participants"], "civil_society"),
        ]
        assert seen[-1]["participants"] == {"science": 1, "administration": 1, "business": 1, "civil_society": 1}
        # Rendered from the state at send time: the duplicate's card.created may already be null.
        pushed_cards = [e["data"] for e in r.json.events() if e["type"] in ("card.created", "card.merged")]
        assert pushed_cards[0] is not None
        assert all(c["author"] is None for c in pushed_cards if c is not None)
        assert pushed_cards[-1]["merged"] == [{"group": "civil_society", "display_name": None, "organization": None}]
        listed = await rest.cards(observer["token"], tid)
        assert [(c["author"], c["merged"]) for c in listed] == [
            (None, [{"group": "civil_society", "display_name": None, "organization": None}])
        ]
        page = await board_page(phone, wid, tid)
        assert "Karte ohne Namen" in page
        json_replay = await replay(live, wid, observer["token"], last)
        html_replay = await replay(live, wid, observer["token"], last, fmt="html", topic_id=tid)
        for needle in (name, org, twin):
            assert needle in r.moderator.text()
            assert_absent(
                needle,
                json_push=r.json.text(),
                html_push=r.html.text(),
                json_replay=json_replay.text(),
                html_replay=html_replay.text(),
                api=json.dumps(listed),
                page=page,
                workshop=json.dumps(await rest.call("GET", f"/api/v1/workshops/{wid}", observer["token"])),
            )
