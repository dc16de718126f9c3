"""Erasure and anonymity on real sockets (``docs/privacy.md``): what an erasure pushes, that the
erased person's socket closes, that a replay from the start (``after=0``, JSON and htmx)
carries nothing of them, and that an anonymous workshop pushes no names even to moderators.
Helpers and fixtures come from ``tests/test_ws.py``."""

# ruff: noqa: F811  (the fixtures live, rest and moderator are imported from tests/test_ws.py)
from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer
from tests.test_ws import WAIT, Api, feed, html_seqs, live, moderator, rest  # noqa: F401  (fixtures)

Json = dict[str, Any]


async def _ok(response: Any, status: int = 200) -> Json:
    assert response.status_code == status, response.text
    data: Json = response.json()
    return data


async def _closed(ws: Any) -> bool:
    """Does the server close ``ws`` within WAIT (whatever it still sends first)?"""
    try:
        async with asyncio.timeout(WAIT):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("choice", ["anonymise", "delete"])
async def test_erasure_is_pushed_and_a_replay_carries_nothing_of_the_person(
    live: LiveServer, rest: Api, moderator: ModeratorInfo, choice: str
) -> None:
    mod = bearer(moderator.token)
    workshop = await rest.workshop(moderator)
    topic = workshop["topics"][0]["id"]
    name, organization = f"Ada-{secrets.token_hex(5)}", f"Org-{secrets.token_hex(5)}"
    reason, text = f"Einwand-{secrets.token_hex(5)}", f"Karte-{secrets.token_hex(5)}"
    ada = await rest.join(workshop, "science", name, organization)
    bo = await rest.join(workshop, "business", "Bo")
    ada_card = await rest.card(ada["token"], topic, text)
    bo_card = await rest.card(bo["token"], topic, "Bos Karte")
    await rest.set_phase(moderator.token, topic, "vote")
    for token, card, dots in ((ada["token"], bo_card, 2), (ada["token"], ada_card, 1), (bo["token"], ada_card, 1)):
        await _ok(
            await rest.client.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": dots}, headers=bearer(token))
        )
    statement = await _ok(
        await rest.client.post(f"/api/v1/topics/{topic}/statements", json={"text": "Offen teilen."}, headers=mod), 201
    )
    await rest.set_phase(moderator.token, topic, "consent")
    rating = {"level": "block", "reason": reason}
    await _ok(
        await rest.client.put(f"/api/v1/statements/{statement['id']}/rating", json=rating, headers=bearer(ada["token"]))
    )

    async with (
        feed(live, workshop["id"], token=moderator.token) as moderating,
        feed(live, workshop["id"], token=bo["token"]) as watching,
        feed(live, workshop["id"], token=ada["token"]) as own,
    ):
        await moderating.presence_where(lambda data: name in data.get("names", {}).get("science", []))
        erased = await rest.client.request("DELETE", "/api/v1/me", json={"cards": choice}, headers=bearer(ada["token"]))
        assert erased.status_code == 200, erased.text
        # participant.updated, the card, the dots on two cards (one of them hers when anonymised), the statement.
        expected = 4 if choice == "delete" else 5
        events = await moderating.take(expected)
        by_type: dict[str, list[Json]] = {}
        for event in events:
            by_type.setdefault(event["type"], []).append(event)
        assert by_type["participant.updated"][0]["data"] == {"participant_id": ada["participant_id"], "erased": True}
        assert events[0]["type"] == "participant.updated"
        if choice == "delete":
            assert by_type["card.deleted"][0]["data"] == {"id": ada_card["id"], "topic_id": topic}
            tallies = {e["data"]["card_id"]: e["data"]["total"] for e in by_type["vote.changed"]}
            assert tallies == {bo_card["id"]: 0}
        else:
            card = by_type["card.updated"][0]["data"]
            assert card["id"] == ada_card["id"] and card["author"] is None and card["text"] == text
            tallies = {e["data"]["card_id"]: e["data"]["total"] for e in by_type["vote.changed"]}
            assert tallies == {bo_card["id"]: 0, ada_card["id"]: 1}
        (updated,) = by_type["statement.updated"]
        assert updated["data"]["ratings_count"] == 0 and updated["data"]["blocked"] is False
        # The other participant hears of the same changes (data as they may see it).
        seen = [e["type"] for e in await watching.take(expected)]
        assert sorted(seen) == sorted(e["type"] for e in events)
        # Presence forgets her; her own socket is closed (her token is dead).
        await moderating.presence_where(lambda data: name not in str(data.get("names", {})))
        assert await _closed(own.ws)
        last = events[-1]["seq"]

        async with (
            feed(live, workshop["id"], token=moderator.token, after=0) as replay_mod,
            feed(live, workshop["id"], token=bo["token"], after=0) as replay_bo,
            feed(live, workshop["id"], token=bo["token"], after=0, fmt="html", topic=topic) as replay_html,
        ):
            for replay in (replay_mod, replay_bo):
                assert [json.loads(m)["seq"] for m in replay.pending] == list(range(1, last + 1))
            assert html_seqs(replay_html.pending) == list(range(1, last + 1)), "htmx: joined, every seq once"
            for replay in (replay_mod, replay_bo, replay_html):
                dump = replay.text()
                for leaked in (name, organization, reason) + ((text,) if choice == "delete" else ()):
                    assert leaked not in dump, leaked
        for live_feed in (moderating, watching):
            after_erasure = "\n".join(live_feed.raw[-expected:])
            for leaked in (name, organization, reason):
                assert leaked not in after_erasure, leaked
    # The API agrees with the pushes.
    cards = await rest.cards(moderator.token, topic)
    assert [c["id"] for c in cards if c["id"] == ada_card["id"]] == ([] if choice == "delete" else [ada_card["id"]])


async def test_anonymous_level_pushes_no_names_even_to_moderators(
    live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    workshop = await rest.workshop(moderator)
    topic = workshop["topics"][0]["id"]
    name, organization = f"Ada-{secrets.token_hex(5)}", f"Org-{secrets.token_hex(5)}"
    ada = await rest.join(workshop, "science", name, organization)
    await rest.card(ada["token"], topic, "vorher mit Namen")
    async with (
        feed(live, workshop["id"], token=moderator.token) as moderating,
        feed(live, workshop["id"], token=moderator.token, fmt="html", topic=topic) as board,
        feed(live, workshop["id"], token=ada["token"]),
    ):
        await moderating.presence_where(lambda data: name in data.get("names", {}).get("science", []))
        # Stricter: pushed to every screen, the board re-rendered without names.
        start = len(moderating.raw)
        patched = await rest.client.patch(
            f"/api/v1/workshops/{workshop['id']}", json={"anonymity": "anonymous"}, headers=bearer(moderator.token)
        )
        assert patched.status_code == 200, patched.text
        changed = await moderating.next_json()
        assert changed["type"] == "workshop.updated" and changed["data"]["anonymity"] == "anonymous"
        html = await board.next()
        assert 'id="board"' in html or "board" in html
        assert name not in html and organization not in html
        assert "vorher mit Namen" in html
        # The console page, read while she is online, names nobody either (presence included).
        console = await rest.client.get(f"/m/workshops/{workshop['id']}", headers=bearer(moderator.token))
        assert console.status_code == 200
        assert name not in console.text and organization not in console.text
        # Looser is refused now that somebody joined.
        looser = await rest.client.patch(
            f"/api/v1/workshops/{workshop['id']}", json={"anonymity": "moderators"}, headers=bearer(moderator.token)
        )
        assert looser.status_code == 422
        card = await rest.card(ada["token"], topic, "anonym")
        pushed = await moderating.next_json()
        assert pushed["data"]["id"] == card["id"] and pushed["data"]["author"] is None
        await board.next()
        # Presence: counts only, no names, once it is sent again.
        second = await rest.join(workshop, "business", f"Bo-{secrets.token_hex(4)}")
        joined = await moderating.next_json()
        assert joined["type"] == "participant.joined"
        assert joined["data"]["participant"]["display_name"] is None
        async with feed(live, workshop["id"], token=second["token"]):
            presence = await moderating.presence_where(lambda data: data["online"].get("business") == 1)
            assert "names" not in presence["data"]
        async with feed(live, workshop["id"], token=moderator.token, after=0) as replay:
            replayed = replay.text()
    for text in ("\n".join(moderating.raw[start:]), replayed):
        assert name not in text and organization not in text
    # Before the change the moderation did see her name (presence): the check above is not vacuous.
    assert any(name in m for m in moderating.raw[:start])
