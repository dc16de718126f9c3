"""Rules that read, check and write hold under concurrent requests of one participant.

SQLite serialises writers in one process, so these tests matter most on PostgreSQL, where
requests run truly side by side: without the participant's row lock (``app/domain/locks.py``)
twenty votes fired at once all read "nothing spent yet" and overspend the budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.domain.retention import PurgeReport, retention_purge
from app.models import utcnow
from tests.conftest import LiveServer
from tests.factories import bearer, db_run, quick_moderator

CARDS_PER_MINUTE = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The real flood limit, low enough that a burst crosses it.
    return settings.model_copy(update={"cards_per_minute": CARDS_PER_MINUTE})


class Room:
    """A workshop on the live server with one participant and a moderator, over plain HTTP."""

    def __init__(self, app: FastAPI, server: LiveServer, **workshop: Any) -> None:
        self.url = server.url
        self.mod = bearer(quick_moderator(app).token)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            created = http.post(
                "/api/v1/workshops",
                json={"title": "Rennen", "topics": [{"title": "Thema"}], **workshop},
                headers=self.mod,
            )
            assert created.status_code == 201, created.text
            self.workshop = created.json()
            self.topic = self.workshop["topics"][0]["id"]
        self.join("Eva")

    def join(self, name: str) -> None:
        """A participant joins; ``me`` and ``participant_id`` are theirs from now on."""
        joined = self.call(
            "POST",
            "/api/v1/workshops/join",
            {},
            json={"join_code": self.workshop["join_code"], "display_name": name, "group": "science"},
        )
        assert joined.status_code == 201, joined.text
        self.me = bearer(joined.json()["token"])
        self.participant_id = joined.json()["participant_id"]

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            return http.request(method, path, headers=headers, **kwargs)

    def moderator_cards(self, count: int) -> list[str]:
        return [
            self.call(
                "POST",
                f"/api/v1/topics/{self.topic}/cards",
                self.mod,
                json={"kind": "need", "text": f"Karte {n}", "group": "business"},
            ).json()["id"]
            for n in range(count)
        ]

    def phase(self, phase: str) -> None:
        answer = self.call("PATCH", f"/api/v1/topics/{self.topic}", self.mod, json={"phase": phase})
        assert answer.status_code == 200, answer.text

    def at_once(
        self, requests: list[tuple[str, str, dict[str, Any]]], headers: dict[str, str] | None = None
    ) -> list[httpx.Response]:
        """Send every request at the same moment, each on its own connection; a request's own
        ``headers`` (in its keyword arguments) stand in for ``headers``."""

        async def fire() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits) as http:
                return list(
                    await asyncio.gather(
                        *(http.request(method, path, **{"headers": headers, **kw}) for method, path, kw in requests)
                    )
                )

        return asyncio.run(fire())


def test_twenty_votes_at_once_stay_within_the_dot_budget(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server, dot_budget=5, max_dots_per_card=3)
    cards = room.moderator_cards(20)
    room.phase("vote")
    answers = room.at_once([("POST", f"/api/v1/cards/{c}/votes", {"json": {"dots": 1}}) for c in cards], room.me)
    assert Counter(a.status_code for a in answers) == {200: 5, 409: 15}, [a.text for a in answers]
    tallies = room.call("GET", f"/api/v1/topics/{room.topic}/votes", room.mod).json()
    assert sum(t["total"] for t in tallies.values()) == 5
    assert sorted(a.json()["dots_left"] for a in answers if a.status_code == 200) == [0, 1, 2, 3, 4]


def test_votes_at_once_on_one_card_keep_the_per_card_maximum(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server, dot_budget=10, max_dots_per_card=3)
    [card] = room.moderator_cards(1)
    room.phase("vote")
    answers = room.at_once([("POST", f"/api/v1/cards/{card}/votes", {"json": {"dots": 1}})] * 10, room.me)
    assert Counter(a.status_code for a in answers) == {200: 3, 409: 7}, [a.text for a in answers]
    assert room.call("GET", f"/api/v1/topics/{room.topic}/votes", room.mod).json()[card]["total"] == 3


def test_a_burst_of_cards_stops_at_the_flood_limit(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server)
    post = ("POST", f"/api/v1/topics/{room.topic}/cards", {"json": {"kind": "need", "text": "Schnell"}})
    answers = room.at_once([post] * 20, room.me)
    assert Counter(a.status_code for a in answers) == {201: CARDS_PER_MINUTE, 429: 20 - CARDS_PER_MINUTE}
    cards = room.call("GET", f"/api/v1/topics/{room.topic}/cards", room.mod).json()
    assert len(cards) == CARDS_PER_MINUTE


def test_one_idempotency_key_sent_ten_times_at_once_makes_one_card(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server)
    post = ("POST", f"/api/v1/topics/{room.topic}/cards", {"json": {"kind": "idea", "text": "Einmal"}})
    answers = room.at_once([post] * 10, {**room.me, "Idempotency-Key": "k-1"})
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 9}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    cards = room.call("GET", f"/api/v1/topics/{room.topic}/cards", room.mod).json()
    assert [c["text"] for c in cards] == ["Einmal"]


def test_ten_ratings_at_once_leave_one_rating(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server)
    [card] = room.moderator_cards(1)
    statement = room.call(
        "POST",
        f"/api/v1/topics/{room.topic}/statements",
        room.mod,
        json={"text": "Wir teilen Daten.", "card_ids": [card]},
    ).json()
    room.phase("consent")
    levels = ["full", "reservations"] * 5
    answers = room.at_once(
        [("PUT", f"/api/v1/statements/{statement['id']}/rating", {"json": {"level": lv}}) for lv in levels], room.me
    )
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    ratings = room.call("GET", f"/api/v1/statements/{statement['id']}", room.mod).json()
    assert ratings["ratings_count"] == 1, ratings


# --- erasure while the person writes ------------------------------------------------------------


def pg_dsn(app: FastAPI) -> str | None:
    settings: Settings = app.state.settings
    return None if settings.is_sqlite else settings.database_url.replace("postgresql+psycopg://", "postgresql://")


def lock_waiters(dsn: str, count: int) -> None:
    """Wait until ``count`` sessions of this database wait for a lock."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        for _ in range(400):
            waiting = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting is not None and waiting[0] >= count:
                return
            time.sleep(0.025)
    pytest.fail(f"fewer than {count} requests came to wait for the participant's row")


def erase_before_queued_writes(
    app: FastAPI,
    room: Room,
    writes: list[tuple[str, str, dict[str, Any]]],
    *,
    hold: str = "participant",
    cards: str = "delete",
) -> tuple[httpx.Response, list[httpx.Response]]:
    """The ``writes`` (the participant's own unless a write names its ``headers``) are
    authenticated while the moderator's erasure of the participant is under way, and go on
    only after the erasure has deleted the row and committed.

    PostgreSQL: the test holds a row itself, sends the erasure (it queues for that row
    first), then the writes (they authenticate, then queue behind it), then lets go. ``hold``
    is the participant's row, or the workshop's (its event counter: the erasure's first write
    after taking the participant's row) for a write that, unlocked, would not wait for the
    participant's row at all and so must be held up between its checks and its write. SQLite
    serialises each request from authentication to commit, so the writes sent after the
    erasure simply find the participant gone."""
    dsn = pg_dsn(app)
    erase = (
        "DELETE",
        f"/api/v1/participants/{room.participant_id}",
        {"json": {"cards": cards}, "headers": room.mod},
    )

    async def fire(held: psycopg.Connection[Any] | None) -> tuple[httpx.Response, list[httpx.Response]]:
        limits = httpx.Limits(max_connections=len(writes) + 1, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=room.url, timeout=60, limits=limits) as http:
            erasure = asyncio.ensure_future(http.request(erase[0], erase[1], **erase[2]))
            if dsn:
                await asyncio.to_thread(lock_waiters, dsn, 1)
            else:
                await asyncio.sleep(0.2)
            sent = [
                asyncio.ensure_future(http.request(m, path, **{"headers": room.me, **kw})) for m, path, kw in writes
            ]
            if dsn and held is not None:
                await asyncio.to_thread(lock_waiters, dsn, 1 + len(writes))
                held.rollback()  # let go of the row: the erasure has it next
            return await erasure, list(await asyncio.gather(*sent))

    if dsn is None:
        return asyncio.run(fire(None))
    row = room.participant_id if hold == "participant" else room.workshop["id"]
    with psycopg.connect(dsn) as held:
        held.execute(f"SELECT id FROM {hold} WHERE id = %s FOR UPDATE", (row,))  # noqa: S608 - a table name of ours
        return asyncio.run(fire(held))


def test_cards_posted_while_the_moderator_erases_the_person_end_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    """A card whose author is erased while it is being posted is refused with 401, as every
    later request of theirs is; before, it pointed at a deleted participant: a foreign-key
    violation and a 500 (PostgreSQL)."""
    room = Room(app, live_server)
    room.phase("collect")
    post = ("POST", f"/api/v1/topics/{room.topic}/cards", {"json": {"kind": "need", "text": "Gerade jetzt"}})
    erasure, answers = erase_before_queued_writes(app, room, [post] * 3)
    assert erasure.status_code == 200, erasure.text
    assert [a.status_code for a in answers] == [401] * 3, [(a.status_code, a.text) for a in answers]
    assert room.call("GET", f"/api/v1/topics/{room.topic}/cards", room.mod).json() == []


def test_dots_given_while_the_moderator_erases_the_person_end_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    room = Room(app, live_server, dot_budget=10, max_dots_per_card=3)
    cards = room.moderator_cards(3)
    room.phase("vote")
    votes = [("POST", f"/api/v1/cards/{c}/votes", {"json": {"dots": 1}}) for c in cards]
    erasure, answers = erase_before_queued_writes(app, room, votes)
    assert erasure.status_code == 200, erasure.text
    assert [a.status_code for a in answers] == [401] * 3, [(a.status_code, a.text) for a in answers]
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers)
    tallies = room.call("GET", f"/api/v1/topics/{room.topic}/votes", room.mod).json()
    assert sum(t["total"] for t in tallies.values()) == 0


def test_two_erasures_of_one_person_at_once_end_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    """The moderator and the person erase at the same moment: one erases, the other finds
    nobody (404 for the moderator; the person's own token is then unknown: 401)."""
    room = Room(app, live_server)
    room.phase("collect")
    card = room.call("POST", f"/api/v1/topics/{room.topic}/cards", room.me, json={"kind": "idea", "text": "Eins"})
    assert card.status_code == 201, card.text
    erase = ("DELETE", f"/api/v1/participants/{room.participant_id}", {"json": {"cards": "anonymise"}})
    both = room.at_once(
        [(*erase[:2], {**erase[2], "headers": room.mod}), ("DELETE", "/api/v1/me", {**erase[2], "headers": room.me})]
    )
    assert sorted(a.status_code for a in both) in ([200, 401], [200, 404]), [(a.status_code, a.text) for a in both]
    assert [c["text"] for c in room.call("GET", f"/api/v1/topics/{room.topic}/cards", room.mod).json()] == ["Eins"]


# --- the other writes to the person or to their rows --------------------------------------------


def answers_of(answers: list[httpx.Response]) -> list[tuple[int, str]]:
    return [(a.status_code, a.text) for a in answers]


@pytest.mark.parametrize("cards", ["delete", "anonymise"])
def test_card_edits_while_the_moderator_erases_the_author_end_cleanly(
    app: FastAPI, live_server: LiveServer, cards: str
) -> None:
    """The author's edit and deletion of their card, checked before the erasure and written
    after it, are refused with 401. Before, the edit of a deleted card was a stale row (500),
    and the edit of an anonymised one changed a card that no longer had an author (200)."""
    room = Room(app, live_server)
    room.phase("collect")
    mine = room.call("POST", f"/api/v1/topics/{room.topic}/cards", room.me, json={"kind": "idea", "text": "Meins"})
    assert mine.status_code == 201, mine.text
    card = mine.json()["id"]
    writes = [
        ("PATCH", f"/api/v1/cards/{card}", {"json": {"text": "Noch schnell geändert"}}),
        ("DELETE", f"/api/v1/cards/{card}", {}),
    ]
    erasure, answers = erase_before_queued_writes(app, room, writes, hold="workshop", cards=cards)
    assert erasure.status_code == 200, erasure.text
    assert [a.status_code for a in answers] == [401, 401], answers_of(answers)
    left = room.call("GET", f"/api/v1/topics/{room.topic}/cards", room.mod).json()
    assert [c["text"] for c in left] == ([] if cards == "delete" else ["Meins"])


def test_a_pause_while_the_person_is_erased_ends_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    """Two moderators pause (API, console form) somebody a third is erasing: 404, as for anybody
    who is gone; before, the pause updated a deleted row (500)."""
    room = Room(app, live_server)
    person = f"/api/v1/participants/{room.participant_id}"
    writes = [
        ("PATCH", person, {"json": {"locked": True}, "headers": room.mod}),
        ("POST", f"/m/participants/{room.participant_id}/lock", {"data": {"locked": "1"}, "headers": room.mod}),
    ]
    erasure, answers = erase_before_queued_writes(app, room, writes, hold="workshop")
    assert erasure.status_code == 200, erasure.text
    assert [a.status_code for a in answers] == [404, 404], answers_of(answers)


def test_a_return_link_opened_while_the_person_is_erased_ends_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    """A second browser confirms the personal return link while the person is erased: 404, as
    the link answers from then on; before, the new device pointed at nobody (a foreign-key
    violation, 500)."""
    room = Room(app, live_server)
    link = room.call("GET", f"/api/v1/workshops/{room.workshop['id']}/me/return-link", room.me)
    assert link.status_code == 200, link.text
    path = "/continue/" + link.json()["url"].rsplit("/", 1)[1]
    erasure, answers = erase_before_queued_writes(app, room, [("POST", path, {"headers": {}})] * 2)
    assert erasure.status_code == 200, erasure.text
    assert [a.status_code for a in answers] == [404, 404], answers_of(answers)
    assert room.call("POST", path, {}).status_code == 404


def test_the_retention_purge_while_a_person_is_erased_ends_cleanly(app: FastAPI, live_server: LiveServer) -> None:
    """The daily purge reaches a closed workshop's people while one of them is being erased:
    it passes over that one and erases the others. Before, it updated the deleted row (or
    deadlocked with the erasure over the workshop's event counter), and the whole purge failed
    (PostgreSQL)."""
    room = Room(app, live_server, retention_days=1)
    eva = room.participant_id
    room.join("Max")
    room.phase("closed")
    dsn = pg_dsn(app)

    async def purge(session: Any) -> PurgeReport:
        return await retention_purge(session=session, now=utcnow() + timedelta(days=2))

    async def fire(held: psycopg.Connection[Any] | None) -> tuple[httpx.Response, PurgeReport]:
        async with httpx.AsyncClient(base_url=room.url, timeout=60) as http:
            erasure = asyncio.ensure_future(
                http.request("DELETE", f"/api/v1/participants/{eva}", json={"cards": "delete"}, headers=room.mod)
            )
            if dsn:
                await asyncio.to_thread(lock_waiters, dsn, 1)
            else:
                await asyncio.sleep(0.2)
            purged = asyncio.ensure_future(asyncio.to_thread(db_run, app, purge))
            if dsn and held is not None:
                await asyncio.to_thread(lock_waiters, dsn, 2)
                held.rollback()  # the erasure has Eva's row next, then the purge
            return await erasure, await purged

    if dsn is None:
        erasure, report = asyncio.run(fire(None))
    else:
        with psycopg.connect(dsn) as held:
            held.execute("SELECT id FROM participant WHERE id = %s FOR UPDATE", (eva,))
            erasure, report = asyncio.run(fire(held))
    assert erasure.status_code == 200, erasure.text
    assert report.participants == 1, report.lines()
    assert room.call("GET", "/api/v1/me/data", room.me).status_code == 401, "Max's token was replaced"
