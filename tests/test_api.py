"""The JSON API against its contract (``/work/shared/API-CONTRACT.md``): shapes, phases,
idempotency, bad input, authorization, groups, the join rate limit and the OpenAPI schema.

"Nothing stored" is always checked by reading back through the API (card list, workshop) or,
for participants, the moderator console (there is no participant list in the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.tokens import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, PARTICIPANT_TOKEN_PREFIX, token_hash, token_new
from app.models import Participant
from app.routes.limits import WorkshopJoinRate
from tests.factories import (
    ModeratorInfo,
    bearer,
    browser,
    card_list,
    create_workshop,
    csrf,
    db_run,
    get_workshop,
    issue_moderator_token,
    join_api,
    login_as,
    make_moderator,
    participant_ids,
    post_card,
)

DEFAULT_GROUPS = ["science", "business", "civil_society", "administration"]
WORKSHOP_KEYS = {
    "id",
    "title",
    "description",
    "locale",
    "anonymous",
    "consensus_threshold",
    "dot_budget",
    "joins_open",
    "groups",
    "topics",
}
TOPIC_KEYS = {"id", "workshop_id", "title", "prompt", "phase", "position"}
CARD_KEYS = {"id", "topic_id", "kind", "text", "group", "author", "created_at", "seq", "hidden", "edited"}
#: Stored per card but never part of an answer (identity, idempotency, moderation internals).
CARD_INTERNALS = {
    "actor_key",
    "idempotency_key",
    "participant_id",
    "moderator_id",
    "workshop_id",
    "device_hash",
    "token_hash",
}


def assert_card_shape(api: TestClient, card: dict[str, Any]) -> None:
    """The contract's card fields (+ hidden, edited); anything more must be documented in the
    OpenAPI ``CardOut`` schema (the contract allows more), and no internal field ever leaks."""
    documented = set(api.get("/openapi.json").json()["components"]["schemas"]["CardOut"]["properties"])
    assert set(card) >= CARD_KEYS
    assert set(card) == documented
    assert not set(card) & CARD_INTERNALS
    if card["author"] is not None:
        assert set(card["author"]) == {"participant_id", "display_name", "organization"}


PHASES = ["collect", "cluster", "vote", "consent", "closed"]


@dataclass
class World:
    """One workshop with one topic, its moderator and one participant (Ada, science)."""

    moderator: ModeratorInfo
    workshop: dict[str, Any]
    topic_id: str
    participant: dict[str, Any]

    @property
    def mod_token(self) -> str:
        return self.moderator.token

    @property
    def p_token(self) -> str:
        return str(self.participant["token"])


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    participant = join_api(api, workshop)
    return World(moderator, workshop, workshop["topics"][0]["id"], participant)


def assert_detail_text(response: Any) -> str:
    """A domain error: JSON ``{"detail": "<readable message>"}``."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    assert len(detail) > 5, detail
    assert " " in detail, detail
    return detail


def assert_detail_any(response: Any) -> None:
    """A domain error (string) or FastAPI's schema-error list, each readable."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    detail = response.json()["detail"]
    if isinstance(detail, str):
        assert_detail_text(response)
    else:
        assert isinstance(detail, list), detail
        assert detail
        assert all(isinstance(item.get("msg"), str) and item["msg"] for item in detail), detail


def set_phase(api: TestClient, w: World, phase: str, topic_id: str | None = None) -> None:
    response = api.patch(f"/api/v1/topics/{topic_id or w.topic_id}", json={"phase": phase}, headers=bearer(w.mod_token))
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == phase


# --- contract shapes -------------------------------------------------------------------------


def test_create_workshop_defaults(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    response = api.post("/api/v1/workshops", json={"title": "  Offene Daten  "}, headers=bearer(moderator.token))
    assert response.status_code == 201, response.text
    data = response.json()
    assert WORKSHOP_KEYS | {"join_code"} <= set(data)
    assert data["title"] == "Offene Daten"
    assert data["description"] == ""
    assert [g["key"] for g in data["groups"]] == DEFAULT_GROUPS
    assert all(isinstance(g["label"], str) and g["label"] for g in data["groups"])
    assert data["anonymous"] is False
    assert data["consensus_threshold"] == 0.75
    assert data["dot_budget"] == 5
    assert data["joins_open"] is True
    assert data["topics"] == []
    code = data["join_code"]
    assert isinstance(code, str)
    assert len(code) == JOIN_CODE_LENGTH
    assert set(code) <= set(JOIN_CODE_ALPHABET)
    # The code space a guesser faces before any rate limit: at least 2^40 codes.
    assert len(set(JOIN_CODE_ALPHABET)) ** JOIN_CODE_LENGTH >= 2**40
    assert not set(code) & set("01ILOU")
    # Reading it back as the moderator gives the same workshop.
    assert get_workshop(api, moderator.token, data["id"]) == data


def test_create_workshop_with_groups_and_topics(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    body = {
        "title": "Mobilität",
        "description": "Runde 2",
        "locale": "en",
        "anonymous": True,
        "consensus_threshold": 0.8,
        "dot_budget": 7,
        "groups": [{"key": "residents", "label": "Residents"}, {"key": "city", "label": "City"}],
        "topics": [{"title": "Bus lanes", "prompt": "§ 2"}, {"title": "Bikes"}],
    }
    data = api.post("/api/v1/workshops", json=body, headers=bearer(moderator.token)).json()
    assert [(g["key"], g["label"]) for g in data["groups"]] == [("residents", "Residents"), ("city", "City")]
    assert (data["locale"], data["anonymous"], data["consensus_threshold"], data["dot_budget"]) == ("en", True, 0.8, 7)
    assert [(t["title"], t["prompt"], t["phase"], t["position"]) for t in data["topics"]] == [
        ("Bus lanes", "§ 2", "collect", 0),
        ("Bikes", "", "collect", 1),
    ]
    assert all(t["workshop_id"] == data["id"] for t in data["topics"])


def test_participant_sees_workshop_without_join_code(world: World, api: TestClient) -> None:
    data = get_workshop(api, world.p_token, world.workshop["id"])
    assert "join_code" not in data
    assert set(data) >= WORKSHOP_KEYS
    assert data["id"] == world.workshop["id"]
    assert [g["key"] for g in data["groups"]] == DEFAULT_GROUPS
    assert [t["id"] for t in data["topics"]] == [world.topic_id]
    assert get_workshop(api, world.mod_token, world.workshop["id"])["join_code"] == world.workshop["join_code"]


def test_new_topic_starts_collecting(world: World, api: TestClient) -> None:
    response = api.post(
        f"/api/v1/workshops/{world.workshop['id']}/topics",
        json={"title": "Datenschutz", "prompt": "Was fehlt?"},
        headers=bearer(world.mod_token),
    )
    assert response.status_code == 201, response.text
    topic = response.json()
    assert set(topic) >= TOPIC_KEYS
    assert topic["phase"] == "collect"
    assert (topic["title"], topic["prompt"], topic["workshop_id"], topic["position"]) == (
        "Datenschutz",
        "Was fehlt?",
        world.workshop["id"],
        1,
    )
    topics = get_workshop(api, world.p_token, world.workshop["id"])["topics"]
    assert [t["id"] for t in topics] == [world.topic_id, topic["id"]]
    assert api.get(f"/api/v1/topics/{topic['id']}", headers=bearer(world.p_token)).json() == topic


def test_card_fields_match_the_contract(world: World, api: TestClient) -> None:
    response = post_card(api, world.p_token, world.topic_id, "  Offene Schnittstellen  ", kind="idea")
    assert response.status_code == 201, response.text
    card = response.json()
    assert_card_shape(api, card)
    assert card["topic_id"] == world.topic_id
    assert (card["kind"], card["text"], card["group"]) == ("idea", "Offene Schnittstellen", "science")
    assert card["author"] == {
        "participant_id": world.participant["participant_id"],
        "display_name": "Ada",
        "organization": "Uni",
    }
    assert card["hidden"] is False
    assert card["edited"] is False
    assert isinstance(card["seq"], int)
    assert card["seq"] > 0
    datetime.fromisoformat(card["created_at"])
    assert api.get(f"/api/v1/cards/{card['id']}", headers=bearer(world.p_token)).json() == card
    assert card_list(api, world.p_token, world.topic_id) == [card]
    # The author edits: the text changes and the card says so.
    edited = api.patch(f"/api/v1/cards/{card['id']}", json={"text": "Offene APIs"}, headers=bearer(world.p_token))
    assert edited.status_code == 200, edited.text
    assert (edited.json()["text"], edited.json()["edited"]) == ("Offene APIs", True)
    assert card_list(api, world.mod_token, world.topic_id)[0]["text"] == "Offene APIs"


def test_anonymous_workshop_hides_authors_from_participants_only(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, anonymous=True)
    topic_id = workshop["topics"][0]["id"]
    ada = join_api(api, workshop, name="Ada")
    bob = join_api(api, workshop, group="business", name="Bob")
    created = post_card(api, ada["token"], topic_id, "Mehr Sitzbänke")
    assert created.status_code == 201
    assert created.json()["author"] is None  # not even the author sees names in the API answer
    for token in (ada["token"], bob["token"]):
        cards = card_list(api, token, topic_id)
        assert [(c["text"], c["author"], c["group"]) for c in cards] == [("Mehr Sitzbänke", None, "science")]
        assert_card_shape(api, cards[0])
    moderator_view = card_list(api, moderator.token, topic_id)
    assert moderator_view[0]["author"] == {
        "participant_id": ada["participant_id"],
        "display_name": "Ada",
        "organization": "Uni",
    }
    single = api.get(f"/api/v1/cards/{created.json()['id']}", headers=bearer(moderator.token)).json()
    assert single["author"]["display_name"] == "Ada"


# --- workshop settings, phases and who may post when -----------------------------------------


def test_patch_workshop_fields(world: World, api: TestClient) -> None:
    patch = {
        "title": "Neuer Titel",
        "description": "Zweite Runde",
        "anonymous": True,
        "consensus_threshold": 0.9,
        "dot_budget": 3,
        "joins_open": False,
    }
    response = api.patch(f"/api/v1/workshops/{world.workshop['id']}", json=patch, headers=bearer(world.mod_token))
    assert response.status_code == 200, response.text
    stored = get_workshop(api, world.mod_token, world.workshop["id"])
    assert response.json() == stored
    assert {k: stored[k] for k in patch} == patch
    # Fields left out stay as they were.
    partial = api.patch(
        f"/api/v1/workshops/{world.workshop['id']}", json={"dot_budget": 4}, headers=bearer(world.mod_token)
    )
    assert partial.json() == {**stored, "dot_budget": 4}
    # An out-of-range value is refused with a message and changes nothing.
    bad = api.patch(
        f"/api/v1/workshops/{world.workshop['id']}", json={"consensus_threshold": 0.2}, headers=bearer(world.mod_token)
    )
    assert bad.status_code == 422
    assert_detail_text(bad)
    assert get_workshop(api, world.mod_token, world.workshop["id"]) == {**stored, "dot_budget": 4}


def test_closed_joins_refuse_new_participants(world: World, api: TestClient) -> None:
    before = participant_ids(api, world.moderator, world.workshop["id"])
    assert before == [world.participant["participant_id"]]
    api.patch(f"/api/v1/workshops/{world.workshop['id']}", json={"joins_open": False}, headers=bearer(world.mod_token))
    response = api.post(
        "/api/v1/workshops/join",
        json={"join_code": world.workshop["join_code"], "display_name": "Late", "group": "business"},
    )
    assert response.status_code == 403
    assert_detail_text(response)
    assert participant_ids(api, world.moderator, world.workshop["id"]) == before
    # Opening again lets people in.
    api.patch(f"/api/v1/workshops/{world.workshop['id']}", json={"joins_open": True}, headers=bearer(world.mod_token))
    joined = join_api(api, world.workshop, group="business", name="Late")
    assert participant_ids(api, world.moderator, world.workshop["id"]) == [*before, joined["participant_id"]]


def test_topic_phase_any_order(world: World, api: TestClient) -> None:
    for phase in ["vote", "cluster", "closed", "collect", "consent", "collect"]:
        set_phase(api, world, phase)
        topic = api.get(f"/api/v1/topics/{world.topic_id}", headers=bearer(world.p_token)).json()
        assert topic["phase"] == phase
    unknown = api.patch(f"/api/v1/topics/{world.topic_id}", json={"phase": "party"}, headers=bearer(world.mod_token))
    assert unknown.status_code == 422
    assert_detail_any(unknown)
    assert api.get(f"/api/v1/topics/{world.topic_id}", headers=bearer(world.mod_token)).json()["phase"] == "collect"


def test_patch_topic_title_and_prompt(world: World, api: TestClient) -> None:
    response = api.patch(
        f"/api/v1/topics/{world.topic_id}", json={"title": "Neu", "prompt": "Frage"}, headers=bearer(world.mod_token)
    )
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["prompt"], response.json()["phase"]) == (
        "Neu",
        "Frage",
        "collect",
    )
    assert get_workshop(api, world.p_token, world.workshop["id"])["topics"][0]["title"] == "Neu"


@pytest.mark.parametrize("phase", PHASES)
def test_who_may_post_in_which_phase(world: World, api: TestClient, phase: str) -> None:
    set_phase(api, world, phase)
    by_participant = post_card(api, world.p_token, world.topic_id, "Von Ada")
    by_moderator = api.post(
        f"/api/v1/topics/{world.topic_id}/cards",
        json={"kind": "example", "text": "Vom Flipchart", "group": "civil_society"},
        headers=bearer(world.mod_token),
    )
    expected: list[tuple[str, str, Any]] = []
    if phase == "collect":
        assert by_participant.status_code == 201, by_participant.text
        expected.append(("Von Ada", "science", world.participant["participant_id"]))
    else:
        assert by_participant.status_code == 409
        assert_detail_text(by_participant)
    if phase == "closed":
        assert by_moderator.status_code == 409
        assert_detail_text(by_moderator)
    else:
        assert by_moderator.status_code == 201, by_moderator.text
        assert by_moderator.json()["author"] is None
        expected.append(("Vom Flipchart", "civil_society", None))
    cards = card_list(api, world.mod_token, world.topic_id)
    assert [(c["text"], c["group"], c["author"] and c["author"]["participant_id"]) for c in cards] == expected


@pytest.mark.parametrize("group", ["aliens", "Science", " science"])
def test_moderator_card_needs_a_known_group_when_it_names_one(world: World, api: TestClient, group: str) -> None:
    body: dict[str, Any] = {"kind": "need", "text": "Vom Flipchart", "group": group}
    response = api.post(f"/api/v1/topics/{world.topic_id}/cards", json=body, headers=bearer(world.mod_token))
    assert response.status_code == 422
    assert_detail_text(response)
    assert card_list(api, world.mod_token, world.topic_id) == []


def test_moderator_card_without_group_is_the_moderations(app: FastAPI, world: World, api: TestClient) -> None:
    """The contract's body ``{"kind", "text"}`` from a moderator: the card is the
    moderation's (``group`` ""), shown as "Moderation" on every board, and counted for no
    stakeholder group (balance, per-group tallies and support list only the workshop's groups)."""
    url = f"/api/v1/topics/{world.topic_id}/cards"
    response = api.post(url, json={"kind": "need", "text": "Aus der Moderation"}, headers=bearer(world.mod_token))
    assert response.status_code == 201, response.text
    card = response.json()
    assert card["group"] == "" and card["author"] is None
    explicit = api.post(
        url, json={"kind": "idea", "text": "Auch Moderation", "group": None}, headers=bearer(world.mod_token)
    )
    assert explicit.status_code == 201 and explicit.json()["group"] == ""
    # A participant's card keeps the participant's group; a participant cannot opt out of it.
    mine = api.post(url, json={"kind": "idea", "text": "Von Ada"}, headers=bearer(world.p_token))
    assert mine.status_code == 201 and mine.json()["group"] == "science"
    seen = {c["text"]: c["group"] for c in card_list(api, world.p_token, world.topic_id)}
    assert seen == {"Aus der Moderation": "", "Auch Moderation": "", "Von Ada": "science"}
    # Pages label it "Moderation" (in both languages).
    desk = browser(app)
    login_as(desk, world.moderator)
    board = desk.get(f"/m/workshops/{world.workshop['id']}/topics/{world.topic_id}")
    assert board.status_code == 200
    assert '<span class="group-badge">Moderation</span>' in board.text
    exchange = desk.get(f"/m/workshops/{world.workshop['id']}/topics/{world.topic_id}/exchange")
    assert exchange.status_code == 200 and "Aus der Moderation" in exchange.text
    # Balance and the moderator's per-group counts know only the workshop's groups.
    balance = api.get(f"/api/v1/topics/{world.topic_id}/balance", headers=bearer(world.mod_token)).json()
    assert [row["group"] for row in balance["groups"]] == DEFAULT_GROUPS
    assert sum(row["cards"] for row in balance["groups"]) == 1


# --- Idempotency-Key --------------------------------------------------------------------------


def test_idempotency_key_returns_the_same_card(world: World, api: TestClient) -> None:
    first = post_card(api, world.p_token, world.topic_id, "Einmal", **{"Idempotency-Key": "k-1"})
    again = post_card(api, world.p_token, world.topic_id, "Einmal", **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # The key promises the same request: another text, kind or topic with it is refused (422),
    # neither answered with the first card nor made into a second one.
    third = post_card(api, world.p_token, world.topic_id, "Anders", **{"Idempotency-Key": "k-1"})
    other_kind = post_card(api, world.p_token, world.topic_id, "Einmal", kind="idea", **{"Idempotency-Key": "k-1"})
    topic_b = api.post(
        f"/api/v1/workshops/{world.workshop['id']}/topics",
        json={"title": "Zweites Thema"},
        headers=bearer(world.mod_token),
    ).json()["id"]
    other_topic = post_card(api, world.p_token, topic_b, "Einmal", **{"Idempotency-Key": "k-1"})
    for refused in (third, other_kind, other_topic):
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "Dieser Idempotency-Key wurde schon für eine andere Karte verwendet."
    assert [c["id"] for c in card_list(api, world.mod_token, world.topic_id)] == [first.json()["id"]]
    assert card_list(api, world.mod_token, topic_b) == []
    # A new key makes a new card.
    other = post_card(api, world.p_token, world.topic_id, "Zweimal", **{"Idempotency-Key": "k-2"})
    assert other.status_code == 201
    assert [c["text"] for c in card_list(api, world.mod_token, world.topic_id)] == ["Einmal", "Zweimal"]


def test_idempotency_key_is_per_participant(world: World, api: TestClient) -> None:
    bob = join_api(api, world.workshop, group="business", name="Bob")
    ada_card = post_card(api, world.p_token, world.topic_id, "Von Ada", **{"Idempotency-Key": "same"})
    bob_card = post_card(api, bob["token"], world.topic_id, "Von Bob", **{"Idempotency-Key": "same"})
    assert (ada_card.status_code, bob_card.status_code) == (201, 201)
    assert ada_card.json()["id"] != bob_card.json()["id"]
    cards = card_list(api, world.mod_token, world.topic_id)
    assert [(c["text"], c["author"]["participant_id"]) for c in cards] == [
        ("Von Ada", world.participant["participant_id"]),
        ("Von Bob", bob["participant_id"]),
    ]


def test_idempotency_key_too_long(world: World, api: TestClient) -> None:
    response = post_card(api, world.p_token, world.topic_id, "Text", **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 422
    assert_detail_text(response)
    assert card_list(api, world.mod_token, world.topic_id) == []


# --- bad input --------------------------------------------------------------------------------

BAD_CARDS: dict[str, tuple[bytes, bool]] = {
    # name: (raw JSON body, detail must be a string)
    "empty text": (b'{"kind": "need", "text": ""}', True),
    "whitespace-only text": (b'{"kind": "need", "text": "  \\n\\t  "}', True),
    "1001 characters": (b'{"kind": "need", "text": "' + b"x" * 1001 + b'"}', True),
    "NUL character": (b'{"kind": "need", "text": "a\\u0000b"}', True),
    "bell control character": (b'{"kind": "need", "text": "a\\u0007b"}', True),
    "escape control character": (b'{"kind": "need", "text": "a\\u001bb"}', True),
    "DEL control character": (b'{"kind": "need", "text": "a\\u007fb"}', True),
    "lone surrogate": (b'{"kind": "need", "text": "\\ud800"}', False),
    "lone low surrogate in text": (b'{"kind": "need", "text": "ok \\udc00 ok"}', False),
    "unknown kind": (b'{"kind": "wish", "text": "Hallo"}', False),
    "missing text": (b'{"kind": "need"}', False),
    "text not a string": (b'{"kind": "need", "text": 42}', False),
    "unknown field": (b'{"kind": "need", "text": "Hallo", "votes": 3}', False),
    "unknown field with a lone surrogate": (b'{"kind": "need", "text": "Hallo", "x": "\\ud800"}', False),
    "lone surrogate as a key": (b'{"kind": "need", "text": "Hallo", "\\udfff": 1}', False),
    "kind with a lone surrogate": (b'{"kind": "\\ud800", "text": "Hallo"}', False),
    "NaN text": (b'{"kind": "need", "text": NaN}', False),
    "Infinity group": (b'{"kind": "need", "text": "Hallo", "group": Infinity}', False),
    "malformed JSON": (b'{"kind": "need", "text": ', False),
    "not UTF-8": (b'{"kind": "need", "text": "\xff\xfe"}', False),
    "JSON array": (b'["need", "Hallo"]', False),
}


@pytest.mark.parametrize("case", list(BAD_CARDS), ids=list(BAD_CARDS))
def test_bad_card_input_is_refused_and_nothing_stored(world: World, api: TestClient, case: str) -> None:
    body, text_detail = BAD_CARDS[case]
    post_card(api, world.p_token, world.topic_id, "Schon da")
    before = card_list(api, world.mod_token, world.topic_id)
    response = api.post(
        f"/api/v1/topics/{world.topic_id}/cards",
        content=body,
        headers={**bearer(world.p_token), "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    if text_detail:
        assert response.status_code == 422
        assert_detail_text(response)
    else:
        assert_detail_any(response)
    assert card_list(api, world.mod_token, world.topic_id) == before


def test_card_text_limits_accept_exactly_1000(world: World, api: TestClient) -> None:
    exact = post_card(api, world.p_token, world.topic_id, "  " + "ä" * 1000 + "\n ")
    assert exact.status_code == 201, exact.text
    assert exact.json()["text"] == "ä" * 1000
    multiline = post_card(api, world.p_token, world.topic_id, "Zeile 1\nZeile 2\tmit Tab")
    assert multiline.status_code == 201
    too_long = post_card(api, world.p_token, world.topic_id, "x" * 1001)
    assert too_long.status_code == 422
    assert "1000" in assert_detail_text(too_long).replace(".", "").replace(",", "")
    assert [c["text"] for c in card_list(api, world.mod_token, world.topic_id)] == [
        "ä" * 1000,
        "Zeile 1\nZeile 2\tmit Tab",
    ]


@pytest.mark.parametrize("text", ["", "   ", "x" * 1001, "a\x00b", "a\x1fb"])
def test_bad_card_edit_is_refused_and_nothing_changed(world: World, api: TestClient, text: str) -> None:
    card = post_card(api, world.p_token, world.topic_id, "Original").json()
    response = api.patch(f"/api/v1/cards/{card['id']}", json={"text": text}, headers=bearer(world.p_token))
    assert response.status_code == 422
    assert_detail_text(response)
    assert card_list(api, world.mod_token, world.topic_id) == [card]


def test_bad_json_bodies_on_other_routes(world: World, api: TestClient) -> None:
    before = get_workshop(api, world.mod_token, world.workshop["id"])
    for method, path in [
        ("POST", "/api/v1/workshops"),
        ("PATCH", f"/api/v1/workshops/{world.workshop['id']}"),
        ("POST", f"/api/v1/workshops/{world.workshop['id']}/topics"),
        ("PATCH", f"/api/v1/topics/{world.topic_id}"),
        ("POST", "/api/v1/workshops/join"),
    ]:
        for body in (
            b"{",
            b'{"title": "\\ud800"}',
            b"\xff",
            b'{"title": "T", "dot_budget": Infinity}',
            b'{"dot_budget": 1e400}',
            b'{"title": "T", "consensus_threshold": NaN}',
        ):
            response = api.request(
                method, path, content=body, headers={**bearer(world.mod_token), "Content-Type": "application/json"}
            )
            assert 400 <= response.status_code < 500, (method, path, body, response.text)
            assert_detail_any(response)
    after = get_workshop(api, world.mod_token, world.workshop["id"])
    assert after == before
    workshops = api.get("/api/v1/workshops", headers=bearer(world.mod_token)).json()
    assert [w["id"] for w in workshops] == [world.workshop["id"]]


def test_lone_surrogate_in_workshop_title_is_refused(world: World, api: TestClient) -> None:
    response = api.post(
        "/api/v1/workshops",
        content=b'{"title": "Ok \\ud83d"}',
        headers={**bearer(world.mod_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert_detail_text(response)
    assert len(api.get("/api/v1/workshops", headers=bearer(world.mod_token)).json()) == 1


def _join(api: TestClient, **fields: Any) -> Any:
    return api.post("/api/v1/workshops/join", json=fields)


def test_join_bad_input_is_refused_and_nothing_stored(world: World, api: TestClient) -> None:
    code = world.workshop["join_code"]
    before = participant_ids(api, world.moderator, world.workshop["id"])
    cases = [
        (404, {"join_code": "ZZZZZZZZ", "display_name": "Eve", "group": "science"}),
        (404, {"join_code": "", "display_name": "Eve", "group": "science"}),
        (422, {"join_code": code, "display_name": "Eve", "group": "aliens"}),
        (422, {"join_code": code, "display_name": "x" * 81, "group": "science"}),
        (422, {"join_code": code, "display_name": "", "group": "science"}),
        (422, {"join_code": code, "display_name": "   ", "group": "science"}),
        (422, {"join_code": code, "display_name": "Eve", "organization": "o" * 81, "group": "science"}),
        (422, {"join_code": code, "display_name": "Eve\x00", "group": "science"}),
        (422, {"join_code": code, "display_name": "Eve\nNewline", "group": "science"}),
    ]
    for status, body in cases:
        response = _join(api, **body)
        assert response.status_code == status, (body, response.text)
        assert_detail_text(response)
    missing_group = _join(api, join_code=code, display_name="Eve")
    assert missing_group.status_code == 422
    assert_detail_any(missing_group)
    assert participant_ids(api, world.moderator, world.workshop["id"]) == before


def test_join_name_limits(world: World, api: TestClient) -> None:
    response = _join(
        api,
        join_code=world.workshop["join_code"].lower(),
        display_name="  " + "N" * 80 + " ",
        organization="O" * 80,
        group="business",
    )
    assert response.status_code == 201, response.text
    joined = response.json()
    assert set(joined) == {"participant_id", "workshop_id", "token"}
    assert joined["workshop_id"] == world.workshop["id"]
    card = post_card(api, joined["token"], world.topic_id, "Hallo").json()
    assert card["author"] == {
        "participant_id": joined["participant_id"],
        "display_name": "N" * 80,
        "organization": "O" * 80,
    }
    assert card["group"] == "business"


def test_blank_name_allowed_only_when_anonymous(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, anonymous=True)
    response = _join(api, join_code=workshop["join_code"], display_name="  ", group="science")
    assert response.status_code == 201, response.text
    card = post_card(api, response.json()["token"], workshop["topics"][0]["id"], "Anonym").json()
    moderator_view = card_list(api, moderator.token, workshop["topics"][0]["id"])
    assert moderator_view[0]["id"] == card["id"]
    assert moderator_view[0]["author"]["display_name"] is None


# --- authorization ----------------------------------------------------------------------------


def test_participant_cannot_use_moderator_actions(world: World, api: TestClient) -> None:
    card = post_card(api, world.p_token, world.topic_id, "Meine Karte").json()
    other = create_workshop(api, world.moderator, title="Andere Runde")
    workshop_before = get_workshop(api, world.mod_token, world.workshop["id"])
    wid = world.workshop["id"]
    calls: list[tuple[str, str, Any]] = [
        ("PATCH", f"/api/v1/workshops/{wid}", {"title": "Übernommen", "joins_open": False}),
        ("POST", f"/api/v1/workshops/{wid}/topics", {"title": "Eigenes Thema"}),
        ("PATCH", f"/api/v1/topics/{world.topic_id}", {"phase": "vote"}),
        ("PATCH", f"/api/v1/topics/{world.topic_id}", {"title": "Umbenannt"}),
        ("DELETE", f"/api/v1/topics/{world.topic_id}", None),
        ("PATCH", f"/api/v1/cards/{card['id']}", {"hidden": True}),
        ("POST", f"/api/v1/workshops/{wid}/groups", {"key": "extra", "label": "Extra"}),
        ("PATCH", f"/api/v1/workshops/{wid}/groups/science", {"label": "Umbenannt"}),
        ("DELETE", f"/api/v1/workshops/{wid}/groups/science", None),
        ("GET", f"/api/v1/workshops/{other['id']}", None),
        ("GET", f"/api/v1/topics/{other['topics'][0]['id']}/cards", None),
        ("POST", f"/api/v1/topics/{other['topics'][0]['id']}/cards", {"kind": "need", "text": "Fremd"}),
    ]
    for method, path, body in calls:
        response = api.request(method, path, json=body, headers=bearer(world.p_token))
        assert response.status_code == 403, (method, path, response.text)
        assert_detail_text(response)
    assert get_workshop(api, world.mod_token, wid) == workshop_before
    assert card_list(api, world.mod_token, world.topic_id) == [card]
    assert card_list(api, world.mod_token, other["topics"][0]["id"]) == []
    listed = api.get("/api/v1/workshops", headers=bearer(world.p_token))
    assert listed.status_code in (401, 403)
    assert_detail_text(listed)


def test_participant_cannot_change_another_participants_card(world: World, api: TestClient) -> None:
    bob = join_api(api, world.workshop, group="business", name="Bob")
    card = post_card(api, world.p_token, world.topic_id, "Von Ada").json()
    edit = api.patch(f"/api/v1/cards/{card['id']}", json={"text": "Von Bob"}, headers=bearer(bob["token"]))
    assert edit.status_code == 403
    assert_detail_text(edit)
    delete = api.delete(f"/api/v1/cards/{card['id']}", headers=bearer(bob["token"]))
    assert delete.status_code == 403
    assert_detail_text(delete)
    assert card_list(api, world.mod_token, world.topic_id) == [card]


def test_author_cannot_edit_after_collecting(world: World, api: TestClient) -> None:
    card = post_card(api, world.p_token, world.topic_id, "Von Ada").json()
    set_phase(api, world, "cluster")
    edit = api.patch(f"/api/v1/cards/{card['id']}", json={"text": "Später"}, headers=bearer(world.p_token))
    assert edit.status_code == 409
    assert_detail_text(edit)
    delete = api.delete(f"/api/v1/cards/{card['id']}", headers=bearer(world.p_token))
    assert delete.status_code == 409
    assert card_list(api, world.mod_token, world.topic_id) == [card]
    # The moderator may still correct it.
    fixed = api.patch(f"/api/v1/cards/{card['id']}", json={"text": "Korrigiert"}, headers=bearer(world.mod_token))
    assert fixed.status_code == 200
    assert card_list(api, world.p_token, world.topic_id)[0]["text"] == "Korrigiert"


def test_missing_token_is_refused(world: World, api: TestClient) -> None:
    card = post_card(api, world.p_token, world.topic_id, "Von Ada").json()
    before_cards = card_list(api, world.mod_token, world.topic_id)
    before = get_workshop(api, world.mod_token, world.workshop["id"])
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/api/v1/workshops", None),
        ("POST", "/api/v1/workshops", {"title": "Ohne Anmeldung"}),
        ("GET", f"/api/v1/workshops/{world.workshop['id']}", None),
        ("PATCH", f"/api/v1/workshops/{world.workshop['id']}", {"title": "X"}),
        ("GET", f"/api/v1/topics/{world.topic_id}/cards", None),
        ("POST", f"/api/v1/topics/{world.topic_id}/cards", {"kind": "need", "text": "X"}),
        ("GET", f"/api/v1/cards/{card['id']}", None),
        ("PATCH", f"/api/v1/cards/{card['id']}", {"text": "X"}),
    ]
    # Unknown ids too: without credentials the answer is 401, decided before any look-up, so
    # it tells nothing about which ids exist.
    calls += [
        ("GET", "/api/v1/workshops/no-such-workshop", None),
        ("GET", "/api/v1/topics/no-such-topic/cards", None),
        ("PATCH", "/api/v1/cards/no-such-card", {"text": "X"}),
        ("GET", "/api/v1/statements/no-such-statement", None),
        ("GET", "/api/v1/workshops/no-such-workshop/export?format=json", None),
    ]
    for method, path, body in calls:
        response = api.request(method, path, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert_detail_text(response)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)
    assert card_list(api, world.mod_token, world.topic_id) == before_cards
    assert get_workshop(api, world.mod_token, world.workshop["id"]) == before
    assert len(api.get("/api/v1/workshops", headers=bearer(world.mod_token)).json()) == 1


def test_forged_and_expired_tokens_get_401(app: FastAPI, world: World, api: TestClient) -> None:
    expired = issue_moderator_token(app, world.moderator, days=-1)
    valid = issue_moderator_token(app, world.moderator, days=1)
    assert api.get("/api/v1/workshops", headers=bearer(valid)).status_code == 200
    for token in ("forged-token", world.mod_token[:-2] + "xx", expired, "", "a" * 2000):
        for method, path, body in [
            ("GET", "/api/v1/workshops", None),
            ("GET", f"/api/v1/workshops/{world.workshop['id']}", None),
            ("POST", f"/api/v1/topics/{world.topic_id}/cards", {"kind": "need", "text": "X"}),
        ]:
            response = api.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (token[:10], path, response.text)
            assert_detail_text(response)
            assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert card_list(api, world.mod_token, world.topic_id) == []


def test_participant_tokens_are_marked_and_earlier_unmarked_ones_still_work(
    app: FastAPI, world: World, api: TestClient
) -> None:
    """Participant tokens start with "p." so a request is looked up in one table; a token
    issued before the mark existed (no prefix) still authenticates, a moderator's token never
    passes as a participant's, and a marked token that matches nobody is a 401."""
    assert world.p_token.startswith(PARTICIPANT_TOKEN_PREFIX)
    assert post_card(api, world.p_token, world.topic_id, "Markiert").status_code == 201
    legacy = token_new()

    async def unmark(session: Any) -> None:
        participant = await session.get(Participant, world.participant["participant_id"])
        participant.token_hash = token_hash(legacy)
        await session.commit()

    db_run(app, unmark)
    assert post_card(api, world.p_token, world.topic_id, "Alt").status_code == 401
    assert post_card(api, legacy, world.topic_id, "Ohne Markierung").status_code == 201
    as_participant = post_card(api, PARTICIPANT_TOKEN_PREFIX + world.mod_token, world.topic_id, "Verkleidet")
    assert as_participant.status_code == 401
    assert_detail_text(as_participant)
    texts = [c["text"] for c in card_list(api, world.mod_token, world.topic_id)]
    assert sorted(texts) == ["Markiert", "Ohne Markierung"]
    mine = [c for c in card_list(api, world.mod_token, world.topic_id) if c["text"] == "Ohne Markierung"]
    assert mine[0]["author"]["participant_id"] == world.participant["participant_id"]


def test_moderator_of_another_workshop_gets_403_everywhere(app: FastAPI, world: World, api: TestClient) -> None:
    card = post_card(api, world.p_token, world.topic_id, "Von Ada").json()
    hidden = post_card(api, world.p_token, world.topic_id, "Versteckt").json()
    api.patch(f"/api/v1/cards/{hidden['id']}", json={"hidden": True}, headers=bearer(world.mod_token))
    stranger = make_moderator(app, api, email="fremd@example.org")
    own = create_workshop(api, stranger, title="Eigene Runde")
    wid, tid = world.workshop["id"], world.topic_id
    before = get_workshop(api, world.mod_token, wid)
    cards_before = card_list(api, world.mod_token, tid)
    calls: list[tuple[str, str, Any]] = [
        ("GET", f"/api/v1/workshops/{wid}", None),
        ("PATCH", f"/api/v1/workshops/{wid}", {"title": "Übernommen"}),
        ("POST", f"/api/v1/workshops/{wid}/topics", {"title": "Fremdes Thema"}),
        ("POST", f"/api/v1/workshops/{wid}/groups", {"key": "extra", "label": "Extra"}),
        ("PATCH", f"/api/v1/workshops/{wid}/groups/science", {"label": "Umbenannt"}),
        ("DELETE", f"/api/v1/workshops/{wid}/groups/science", None),
        ("GET", f"/api/v1/topics/{tid}", None),
        ("PATCH", f"/api/v1/topics/{tid}", {"phase": "closed"}),
        ("DELETE", f"/api/v1/topics/{tid}", None),
        ("GET", f"/api/v1/topics/{tid}/cards", None),
        ("POST", f"/api/v1/topics/{tid}/cards", {"kind": "need", "text": "Fremd", "group": "science"}),
        ("GET", f"/api/v1/cards/{card['id']}", None),
        ("GET", f"/api/v1/cards/{hidden['id']}", None),
        ("PATCH", f"/api/v1/cards/{card['id']}", {"text": "Fremd"}),
        ("PATCH", f"/api/v1/cards/{card['id']}", {"hidden": True}),
        ("DELETE", f"/api/v1/cards/{card['id']}", None),
    ]
    for method, path, body in calls:
        response = api.request(method, path, json=body, headers=bearer(stranger.token))
        assert response.status_code == 403, (method, path, response.text)
        assert_detail_text(response)
    assert get_workshop(api, world.mod_token, wid) == before
    assert card_list(api, world.mod_token, tid) == cards_before
    listed = api.get("/api/v1/workshops", headers=bearer(stranger.token)).json()
    assert [w["id"] for w in listed] == [own["id"]]


def test_hidden_cards_only_for_moderators(world: World, api: TestClient) -> None:
    visible = post_card(api, world.p_token, world.topic_id, "Sichtbar").json()
    hidden = post_card(api, world.p_token, world.topic_id, "Beleidigend").json()
    response = api.patch(f"/api/v1/cards/{hidden['id']}", json={"hidden": True}, headers=bearer(world.mod_token))
    assert response.status_code == 200
    assert response.json()["hidden"] is True
    assert [c["id"] for c in card_list(api, world.p_token, world.topic_id)] == [visible["id"]]
    moderator_view = card_list(api, world.mod_token, world.topic_id)
    assert [(c["id"], c["hidden"]) for c in moderator_view] == [(visible["id"], False), (hidden["id"], True)]
    for method, body in [("GET", None), ("PATCH", {"text": "Anders"}), ("DELETE", None)]:
        refused = api.request(method, f"/api/v1/cards/{hidden['id']}", json=body, headers=bearer(world.p_token))
        assert refused.status_code == 404, (method, refused.text)
        assert_detail_text(refused)
    assert api.get(f"/api/v1/cards/{hidden['id']}", headers=bearer(world.mod_token)).json()["text"] == "Beleidigend"
    # Restoring shows it to participants again.
    api.patch(f"/api/v1/cards/{hidden['id']}", json={"hidden": False}, headers=bearer(world.mod_token))
    assert [c["id"] for c in card_list(api, world.p_token, world.topic_id)] == [visible["id"], hidden["id"]]


def test_unknown_ids_are_404(world: World, api: TestClient) -> None:
    for path in ["/api/v1/workshops/nope", "/api/v1/topics/nope", "/api/v1/topics/nope/cards", "/api/v1/cards/nope"]:
        response = api.get(path, headers=bearer(world.mod_token))
        assert response.status_code == 404, path
        assert_detail_text(response)


# --- groups -----------------------------------------------------------------------------------


def _groups(api: TestClient, w: World) -> list[tuple[str, str]]:
    return [(g["key"], g["label"]) for g in get_workshop(api, w.mod_token, w.workshop["id"])["groups"]]


def test_groups_editable_before_anyone_joined(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    base = f"/api/v1/workshops/{workshop['id']}/groups"
    added = api.post(
        base, json={"key": "youth", "label": "Jugend", "label_en": "Youth"}, headers=bearer(moderator.token)
    )
    assert added.status_code == 201, added.text
    assert added.json()["groups"][-1]["key"] == "youth"
    renamed = api.patch(f"{base}/youth", json={"label": "Junge Leute"}, headers=bearer(moderator.token))
    assert renamed.status_code == 200, renamed.text
    removed = api.delete(f"{base}/science", headers=bearer(moderator.token))
    assert removed.status_code == 200, removed.text
    stored = get_workshop(api, moderator.token, workshop["id"])["groups"]
    assert [(g["key"], g["label"]) for g in stored] == [
        ("business", "Wirtschaft"),
        ("civil_society", "Zivilgesellschaft"),
        ("administration", "Verwaltung & Politik"),
        ("youth", "Junge Leute"),
    ]
    for body in (
        {"key": "youth", "label": "Doppelt"},
        {"key": "business", "label": "Doppelt"},
        {"key": "Bad Key", "label": "X"},
        {"key": "ok", "label": ""},
    ):
        refused = api.post(base, json=body, headers=bearer(moderator.token))
        assert refused.status_code == 422, (body, refused.text)
        assert_detail_text(refused)
    unknown = api.delete(f"{base}/nope", headers=bearer(moderator.token))
    assert unknown.status_code == 404
    assert get_workshop(api, moderator.token, workshop["id"])["groups"] == stored
    # The new group can be joined.
    assert join_api(api, workshop, group="youth")["workshop_id"] == workshop["id"]


def test_groups_fixed_after_someone_joined(world: World, api: TestClient) -> None:
    base = f"/api/v1/workshops/{world.workshop['id']}/groups"
    before = _groups(api, world)
    added = api.post(base, json={"key": "youth", "label": "Jugend"}, headers=bearer(world.mod_token))
    assert added.status_code == 409
    assert_detail_text(added)
    removed = api.delete(f"{base}/business", headers=bearer(world.mod_token))
    assert removed.status_code == 409
    assert_detail_text(removed)
    assert _groups(api, world) == before
    renamed = api.patch(
        f"{base}/science", json={"label": "Forschung", "label_en": "Research"}, headers=bearer(world.mod_token)
    )
    assert renamed.status_code == 200, renamed.text
    after = get_workshop(api, world.mod_token, world.workshop["id"])["groups"]
    assert after[0]["key"] == "science"
    assert after[0]["label"] == "Forschung"
    assert after[0]["labels"] == {"de": "Forschung", "en": "Research"}
    assert [g["key"] for g in after] == DEFAULT_GROUPS


# --- join rate limit --------------------------------------------------------------------------


def test_wrong_join_codes_are_rate_limited(world: World, api: TestClient) -> None:
    before = participant_ids(api, world.moderator, world.workshop["id"])
    for i in range(10):
        response = _join(api, join_code=f"WRONG{i:03d}", display_name="Eve", group="science")
        assert response.status_code == 404, (i, response.text)
        assert_detail_text(response)
    for _ in range(3):
        limited = _join(api, join_code="WRONG999", display_name="Eve", group="science")
        assert limited.status_code == 429
        assert_detail_text(limited)
        # It says when to try again: when the oldest of the wrong codes leaves the minute.
        assert 1 <= int(limited.headers["retry-after"]) <= 60, limited.headers
    # Past the limit the right code waits too (docs/api.md): were it let through, the 429s
    # for wrong codes and a 201 for the right one would let a script go on guessing.
    right = _join(api, join_code=world.workshop["join_code"], display_name="Eve", group="science")
    assert right.status_code == 429 and "retry-after" in right.headers
    assert participant_ids(api, world.moderator, world.workshop["id"]) == before


def test_correct_joins_are_never_limited(world: World, api: TestClient) -> None:
    ids = {world.participant["participant_id"]}
    for i in range(20):
        response = _join(api, join_code=world.workshop["join_code"], display_name=f"Person {i}", group="business")
        assert response.status_code == 201, (i, response.text)
        ids.add(response.json()["participant_id"])
    assert len(ids) == 21
    assert sorted(participant_ids(api, world.moderator, world.workshop["id"])) == sorted(ids)
    # Successful joins did not count as failures: ten wrong codes are still answered with 404.
    for i in range(10):
        assert _join(api, join_code=f"WRONG{i:03d}", display_name="Eve", group="science").status_code == 404
    assert _join(api, join_code="WRONG999", display_name="Eve", group="science").status_code == 429


def test_new_participants_per_workshop_are_capped_per_minute(
    app: FastAPI, world: World, api: TestClient, client: TestClient
) -> None:
    """A leaked code must not let a script fill one room with bots: past the per-workshop
    ceiling (here 3 a minute) joins get a 429 with a readable reason and nothing is stored;
    another workshop, and a browser that joined before, are not affected."""
    app.state.join_rate = WorkshopJoinRate(per_minute=3)
    code = world.workshop["join_code"]
    before = set(participant_ids(api, world.moderator, world.workshop["id"]))
    admitted = [_join(api, join_code=code, display_name=f"Bot {i}", group="science") for i in range(3)]
    assert [r.status_code for r in admitted] == [201, 201, 201]
    refused = _join(api, join_code=code, display_name="Bot 3", group="science")
    assert refused.status_code == 429
    assert "Gerade treten sehr viele Personen diesem Workshop bei" in assert_detail_text(refused)
    # The join form answers the same, keeps what was typed and stores nobody.
    client.get(f"/j/{code}")
    page = client.post(
        f"/j/{code}",
        data={"display_name": "Bot 4", "organization": "Botnet", "group": "science", "csrf_token": csrf(client)},
        headers={"Accept-Language": "de"},
        follow_redirects=False,
    )
    assert page.status_code == 429
    assert "Gerade treten sehr viele Personen diesem Workshop bei" in page.text
    assert 'value="Bot 4"' in page.text and 'value="Botnet"' in page.text
    after = set(participant_ids(api, world.moderator, world.workshop["id"]))
    assert after - before == {r.json()["participant_id"] for r in admitted}
    # Another workshop still admits people.
    other = create_workshop(api, world.moderator, title="Zweite Runde")
    assert _join(api, join_code=other["join_code"], display_name="Ada", group="science").status_code == 201


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_lists_every_contract_path(api: TestClient) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/auth/token": {"post"},
        "/api/v1/workshops": {"post"},
        "/api/v1/workshops/{workshop_id}": {"get", "patch"},
        "/api/v1/workshops/join": {"post"},
        "/api/v1/workshops/{workshop_id}/topics": {"post"},
        "/api/v1/topics/{topic_id}": {"patch"},
        "/api/v1/topics/{topic_id}/cards": {"get", "post"},
        "/api/v1/cards/{card_id}": {"patch"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    card_schema = response.json()["components"]["schemas"]["CardOut"]
    assert {"id", "topic_id", "kind", "text", "group", "author", "created_at", "seq"} <= set(card_schema["properties"])
    # HTML routes stay out of the API documentation.
    assert not any(p.startswith(("/m", "/j/", "/w/")) for p in paths)
