"""One person, one voice: two devices of one person end up as one participant — through the
personal return link, and through the moderator merging a likely duplicate."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Workshop
from tests.factories import (
    DbProbe,
    bearer,
    create_statement,
    create_workshop,
    db_run,
    form_post,
    join_browser,
    moderator_card,
    participant_ids,
    quick_moderator,
    set_phase,
)


class Round:
    def __init__(self, app: FastAPI, api: TestClient) -> None:
        self.app = app
        self.api = api
        self.moderator = quick_moderator(app)
        self.mod = bearer(self.moderator.token)
        self.workshop = create_workshop(api, self.moderator, topics=[{"title": "Mobilität"}])
        self.id = self.workshop["id"]
        self.topic = self.workshop["topics"][0]["id"]
        self.cards = [
            moderator_card(api, self.moderator.token, self.topic, t, group="business")["id"]
            for t in ("Radwege", "Busse", "Carsharing")
        ]

    def people(self) -> list[str]:
        return participant_ids(self.api, self.moderator, self.id)

    def tallies(self) -> dict[str, int]:
        answer = self.api.get(f"/api/v1/topics/{self.topic}/votes", headers=self.mod)
        assert answer.status_code == 200, answer.text
        return {item: t["total"] for item, t in answer.json().items() if t["total"]}

    def statement(self, statement_id: str) -> dict[str, Any]:
        answer = self.api.get(f"/api/v1/statements/{statement_id}", headers=self.mod)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def seq(self) -> int:
        async def read(session: Any) -> int:
            workshop = await session.get(Workshop, self.id)
            return int(workshop.last_seq)

        return int(db_run(self.app, read))


@pytest.fixture
def room(app: FastAPI, api: TestClient) -> Round:
    return Round(app, api)


def vote(browser: TestClient, card: str, times: int = 1) -> list[str]:
    """Give ``times`` dots from this browser: "ok" each, or "refused" (409: over a limit)."""
    codes = [form_post(browser, f"/cards/{card}/vote", {"change": "1"}).status_code for _ in range(times)]
    assert all(code < 400 or code == 409 for code in codes), codes
    return ["ok" if code < 400 else "refused" for code in codes]


def test_the_return_link_makes_a_second_device_the_same_person(
    room: Round, client_factory: Callable[[], TestClient]
) -> None:
    phone, laptop = client_factory(), client_factory()
    join_browser(phone, room.workshop, group="civil_society", name="Lea Wagner")
    page = phone.get(f"/w/{room.id}/me/return")
    assert page.status_code == 200, page.text
    link = re.search(r'href="http://testserver(/continue/[^"]+)"', page.text)
    assert link is not None, page.text
    qr = phone.get(f"/w/{room.id}/me/return.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content
    # The laptop is nobody yet; opening the link asks first (a GET changes nothing).
    assert laptop.get(f"/w/{room.id}", follow_redirects=False).status_code in (303, 403)
    ask = laptop.get(link.group(1))
    assert ask.status_code == 200 and "Lea Wagner" in ask.text
    assert laptop.get(f"/w/{room.id}", follow_redirects=False).status_code in (303, 403)
    assert room.people() and len(room.people()) == 1
    done = form_post(laptop, link.group(1))
    assert done.status_code == 303 and done.headers["location"] == f"/w/{room.id}"
    home = laptop.get(f"/w/{room.id}", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].startswith(f"/w/{room.id}/topics/")
    assert len(room.people()) == 1, "still one participant"

    # One voice: both devices spend one budget of five dots and hold one rating.
    set_phase(room.api, room.moderator.token, room.topic, "vote")
    assert vote(phone, room.cards[0], 3) == ["ok"] * 3
    assert vote(laptop, room.cards[0]) == ["refused"], "the per-card maximum is the person's, not the device's"
    assert vote(laptop, room.cards[1], 2) == ["ok"] * 2
    assert vote(phone, room.cards[2]) == ["refused"], "the budget is spent"
    assert room.tallies() == {room.cards[0]: 3, room.cards[1]: 2}
    statement = create_statement(room.api, room.moderator.token, room.topic, "Mehr Radwege.", card_ids=room.cards[:1])
    set_phase(room.api, room.moderator.token, room.topic, "consent")
    assert form_post(phone, f"/statements/{statement['id']}/rate", {"level": "full"}).status_code < 400
    assert (
        form_post(laptop, f"/statements/{statement['id']}/rate", {"level": "block", "reason": "Zu teuer."}).status_code
        < 400
    )
    rated = room.statement(statement["id"])
    assert rated["ratings_count"] == 1 and rated["blocked"] is True


def test_a_forged_or_stale_return_link_is_refused(room: Round, client_factory: Callable[[], TestClient]) -> None:
    phone, other = client_factory(), client_factory()
    join_browser(phone, room.workshop, group="science", name="Ada")
    link = re.search(r'href="http://testserver(/continue/[^"]+)"', phone.get(f"/w/{room.id}/me/return").text)
    assert link is not None
    participant_id = link.group(1).split("/")[2].split(".")[0]
    for forged in (
        f"/continue/{participant_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        f"/continue/{participant_id}",
        "/continue/nosuch.abc",
    ):
        assert other.get(forged).status_code == 404
        assert form_post(other, forged).status_code == 404
    assert room.api.get(f"/w/{room.id}/me/return").status_code in (303, 401, 403)


def test_moderator_merges_a_duplicate_into_one_voice(
    app: FastAPI, room: Round, client_factory: Callable[[], TestClient]
) -> None:
    phone, laptop = client_factory(), client_factory()
    join_browser(phone, room.workshop, group="civil_society", name="Lea Wagner")
    join_browser(laptop, room.workshop, group="civil_society", name="  lea   wagner ")
    join_browser(client_factory(), room.workshop, group="science", name="Lea Wagner")  # another group: another person
    first, second, _third = room.people()
    statement = create_statement(room.api, room.moderator.token, room.topic, "Mehr Radwege.", card_ids=room.cards[:1])
    set_phase(room.api, room.moderator.token, room.topic, "consent")
    assert form_post(phone, f"/statements/{statement['id']}/rate", {"level": "full"}).status_code < 400
    assert (
        form_post(laptop, f"/statements/{statement['id']}/rate", {"level": "concerns", "reason": "Zu eng."}).status_code
        < 400
    )
    set_phase(room.api, room.moderator.token, room.topic, "vote")
    assert vote(phone, room.cards[0], 3) + vote(phone, room.cards[1], 2) == ["ok"] * 5
    assert vote(laptop, room.cards[0], 3) + vote(laptop, room.cards[2], 1) == ["ok"] * 4
    assert room.tallies() == {room.cards[0]: 6, room.cards[1]: 2, room.cards[2]: 1}
    assert room.statement(statement["id"])["ratings_count"] == 2

    listed = room.api.get(f"/api/v1/workshops/{room.id}/participants/duplicates", headers=room.mod).json()
    assert [[p["participant_id"] for p in group] for group in listed] == [[first, second]]

    # Another workshop's participant as "into": 422, nothing changes.
    other = create_workshop(room.api, room.moderator, title="Zweite Runde")
    join_browser(client_factory(), other, group="civil_society", name="Lea Wagner")
    stranger = participant_ids(room.api, room.moderator, other["id"])[0]
    probe = DbProbe(app)
    try:
        before = probe.digests()
        refused = room.api.post(f"/api/v1/participants/{second}/merge", json={"into": stranger}, headers=room.mod)
        assert refused.status_code == 422, refused.text
        assert probe.digests() == before
    finally:
        probe.close()

    stale = re.search(r'href="http://testserver(/continue/[^"]+)"', laptop.get(f"/w/{room.id}/me/return").text)
    assert stale is not None
    seq = room.seq()
    merged = room.api.post(f"/api/v1/participants/{second}/merge", json={"into": first}, headers=room.mod)
    assert merged.status_code == 200, merged.text
    assert merged.json()["participant"]["participant_id"] == first and merged.json()["ratings_dropped"] == 1
    assert len(room.people()) == 2 and second not in room.people()
    # Dots counted once within the limits: card 1 at the per-card maximum (3), and the budget
    # of 5 holds, the newest vote (card 3) gave way.
    assert room.tallies() == {room.cards[0]: 3, room.cards[1]: 2}
    rated = room.statement(statement["id"])
    assert rated["ratings_count"] == 1 and rated["by_group"]["civil_society"]["concerns"] == 1, "the newer rating stays"
    # The laptop now acts as the kept participant: the budget is the same one.
    assert vote(laptop, room.cards[2]) == ["refused"]
    url = f"/ws/workshops/{room.id}?format=json&after={seq}"
    with room.api.websocket_connect(url, headers=room.mod) as socket:
        types = [socket.receive_json()["type"] for _ in range(room.seq() - seq)]
    assert types[-1] == "participant.merged" and "vote.changed" in types and "statement.updated" in types
    # The merged participant's return link is dead.
    assert (
        room.api.post(f"/api/v1/participants/{second}/merge", json={"into": first}, headers=room.mod).status_code == 404
    )
