"""Dot votes, statements and ratings, clusters, merged duplicates, the timer and pausing a
participant — through the JSON API (API-CONTRACT.md "Voting and consensus", docs/api.md
"Moderating toward consensus").

Every refused call is checked twice: its answer (status and ``detail``) and that nothing was
stored, by reading the state back through the API as the moderator.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.consensus import outcome
from tests.factories import (
    ModeratorInfo,
    bearer,
    card_list,
    create_statement,
    create_workshop,
    get_json,
    join_api,
    login_as,
    moderator_card,
    post_card,
    quick_moderator,
    rate,
    set_options,
    set_phase,
)

Json = dict[str, Any]
GROUPS = ["science", "business", "civil_society", "administration"]
PHASES = ["collect", "cluster", "vote", "consent", "closed"]
STATEMENT_KEYS = {
    "id",
    "topic_id",
    "text",
    "card_ids",
    "revision",
    "previous_id",
    "superseded_by_id",
    "ratings_visible",
    "ratings_count",
    "by_group",
    "blocked",
    "consensus",
    "disagreement",
    "bridging_score",
}  # and "my_rating", only in a participant's answer once they rated (as in the push: none)
LEVEL_KEYS = {"full", "reservations", "stand_aside", "concerns", "block", "support_share"}


def assert_refused(response: Any, status: int) -> None:
    """A refusal with the expected status and a human-readable ``detail``."""
    assert response.status_code == status, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert detail, response.text
    if status != 422 or isinstance(detail, str):
        assert isinstance(detail, str), response.text
        assert detail.strip(), response.text


@pytest.fixture
def moderator(app: FastAPI, api: TestClient) -> ModeratorInfo:
    return quick_moderator(app)


@dataclass
class World:
    """A workshop with one topic, its moderator and participants (name → join answer)."""

    api: TestClient
    moderator: ModeratorInfo
    workshop: Json
    topic_id: str
    people: dict[str, Json] = field(default_factory=dict)

    @property
    def mod(self) -> str:
        return self.moderator.token

    def token(self, name: str) -> str:
        return str(self.people[name]["token"])

    def join(self, name: str, group: str) -> Json:
        self.people[name] = join_api(self.api, self.workshop, group=group, name=name)
        return self.people[name]

    def card(self, name: str, text: str, kind: str = "need") -> Json:
        response = post_card(self.api, self.token(name), self.topic_id, text, kind=kind)
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    def phase(self, phase: str) -> None:
        set_phase(self.api, self.mod, self.topic_id, phase)

    def tallies(self) -> Json:
        data: Json = get_json(self.api, self.mod, f"/api/v1/topics/{self.topic_id}/votes")
        return data

    def statements(self, token: str | None = None) -> list[Json]:
        data: list[Json] = get_json(self.api, token or self.mod, f"/api/v1/topics/{self.topic_id}/statements")
        return data

    def statement(self, statement_id: str, token: str | None = None) -> Json:
        data: Json = get_json(self.api, token or self.mod, f"/api/v1/statements/{statement_id}")
        return data

    def clusters(self, token: str | None = None) -> list[Json]:
        data: list[Json] = get_json(self.api, token or self.mod, f"/api/v1/topics/{self.topic_id}/clusters")
        return data

    def cards(self, token: str | None = None) -> list[Json]:
        return card_list(self.api, token or self.mod, self.topic_id)


def make_world(api: TestClient, moderator: ModeratorInfo, **workshop_fields: Any) -> World:
    workshop = create_workshop(api, moderator, **workshop_fields)
    return World(api=api, moderator=moderator, workshop=workshop, topic_id=workshop["topics"][0]["id"])


# --- dot votes: the budget as a property -----------------------------------------------------

vote_ops = st.lists(
    st.tuples(st.sampled_from(["post", "delete"]), st.integers(0, 3), st.integers(-2, 4)), min_size=1, max_size=10
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=vote_ops)
def test_dot_budget_holds_for_any_sequence_of_votes(
    api: TestClient, moderator: ModeratorInfo, ops: list[tuple[str, int, int]]
) -> None:
    """One participant votes and takes back dots on three cards (one of them their own) and a
    cluster. The stored tallies always equal the sum of the accepted operations, never exceed
    the budget (5) nor the per-item maximum (3); every refused call is a 409 (over budget or
    maximum) or a 422 (fewer than one dot) and changes nothing."""
    w = make_world(api, moderator)
    budget, most = w.workshop["dot_budget"], w.workshop["max_dots_per_card"]
    assert (budget, most) == (5, 3)
    voter = w.join("Ada", "science")
    w.join("Bo", "business")
    own = w.card("Ada", "Offene Daten als Standard")
    other = w.card("Bo", "Rechtssichere Pilotprojekte")
    flipchart = moderator_card(api, w.mod, w.topic_id, "Vom Flipchart", group="civil_society")
    response = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "Daten"}, headers=bearer(w.mod))
    assert response.status_code == 201, response.text
    cluster = response.json()
    w.phase("vote")
    items = [("cards", own["id"]), ("cards", other["id"]), ("cards", flipchart["id"]), ("clusters", cluster["id"])]
    key = {"cards": "card_id", "clusters": "cluster_id"}

    model: dict[str, int] = {}
    for action, index, dots in ops:
        kind, item = items[index]
        url = f"/api/v1/{kind}/{item}/votes"
        spent, mine = sum(model.values()), model.get(item, 0)
        if action == "delete":
            response = api.delete(url, headers=bearer(voter["token"]))
            assert response.status_code == 200, response.text
            model.pop(item, None)
            assert response.json() == {key[kind]: item, "my_dots": 0, "dots_left": budget - sum(model.values())}
        else:
            response = api.post(url, json={"dots": dots}, headers=bearer(voter["token"]))
            if dots < 1:
                assert_refused(response, 422)
            elif spent + dots > budget or mine + dots > most:
                assert_refused(response, 409)
            else:
                assert response.status_code == 200, response.text
                model[item] = mine + dots
                assert response.json() == {
                    key[kind]: item,
                    "my_dots": mine + dots,
                    "dots_left": budget - spent - dots,
                }
        stored = w.tallies()
        assert stored == {i: {"total": n, "by_group": {"science": n}} for i, n in model.items() if n}
        assert sum(t["total"] for t in stored.values()) <= budget
        assert all(t["total"] <= most for t in stored.values())


# --- dot votes: phases, own cards, moderators -------------------------------------------------


def test_votes_outside_the_vote_phase_are_refused_and_store_nothing(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    card = w.card("Ada", "Verwaltung braucht Spielräume")
    cluster = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "Spielräume"}, headers=bearer(w.mod))
    assert cluster.status_code == 201, cluster.text
    for phase in ["collect", "cluster", "consent", "closed"]:
        w.phase(phase)
        for url in (f"/api/v1/cards/{card['id']}/votes", f"/api/v1/clusters/{cluster.json()['id']}/votes"):
            assert_refused(api.post(url, json={"dots": 1}, headers=bearer(ada["token"])), 409)
            assert_refused(api.delete(url, headers=bearer(ada["token"])), 409)
        assert w.tallies() == {}
    # Dots given while voting stay when the phase moves on, and cannot be taken back then.
    w.phase("vote")
    given_ = api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": 2}, headers=bearer(ada["token"]))
    assert given_.json() == {"card_id": card["id"], "my_dots": 2, "dots_left": 3}
    w.phase("consent")
    assert_refused(api.delete(f"/api/v1/cards/{card['id']}/votes", headers=bearer(ada["token"])), 409)
    assert w.tallies() == {card["id"]: {"total": 2, "by_group": {"science": 2}}}


def test_voting_for_ones_own_card_is_allowed(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    mine = w.card("Ada", "Mein eigener Vorschlag")
    w.phase("vote")
    response = api.post(f"/api/v1/cards/{mine['id']}/votes", json={"dots": 3}, headers=bearer(ada["token"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"card_id": mine["id"], "my_dots": 3, "dots_left": 2}
    assert w.tallies() == {mine["id"]: {"total": 3, "by_group": {"science": 3}}}


def test_moderators_do_not_vote(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    w.join("Ada", "science")
    card = w.card("Ada", "Eine Karte")
    w.phase("vote")
    assert_refused(api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": 1}, headers=bearer(w.mod)), 403)
    assert_refused(api.delete(f"/api/v1/cards/{card['id']}/votes", headers=bearer(w.mod)), 403)
    assert w.tallies() == {}


def test_tallies_add_up_across_participants_and_groups(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    people = [w.join("Ada", "science"), w.join("Bo", "business"), w.join("Cem", "business")]
    card = w.card("Ada", "Gemeinsame Datenplattform")
    w.phase("vote")
    for person, dots in zip(people, (3, 2, 1), strict=True):
        response = api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": dots}, headers=bearer(person["token"]))
        assert response.status_code == 200, response.text
        assert response.json()["dots_left"] == 5 - dots  # the budget is per participant
    assert w.tallies() == {card["id"]: {"total": 6, "by_group": {"science": 3, "business": 3}}}
    api.delete(f"/api/v1/cards/{card['id']}/votes", headers=bearer(people[1]["token"]))
    assert w.tallies() == {card["id"]: {"total": 4, "by_group": {"science": 3, "business": 1}}}


# --- statements --------------------------------------------------------------------------------


def test_only_moderators_create_statements(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    card = w.card("Ada", "Beteiligung früh beginnen")
    response = api.post(
        f"/api/v1/topics/{w.topic_id}/statements",
        json={"text": "Beteiligung beginnt vor der Ausschreibung.", "card_ids": [card["id"]]},
        headers=bearer(ada["token"]),
    )
    assert_refused(response, 403)
    assert w.statements() == []

    created = create_statement(
        api, w.mod, w.topic_id, "  Beteiligung beginnt vor der Ausschreibung.  ", card_ids=[card["id"]]
    )
    assert set(created) == STATEMENT_KEYS
    assert created["text"] == "Beteiligung beginnt vor der Ausschreibung."
    assert created["card_ids"] == [card["id"]]
    assert (created["revision"], created["previous_id"], created["superseded_by_id"]) == (1, None, None)
    assert created["ratings_count"] == 0
    assert created["consensus"] is False
    assert created["blocked"] is False
    assert [s["id"] for s in w.statements()] == [created["id"]]
    assert [s["id"] for s in w.statements(ada["token"])] == [created["id"]]


def test_statement_from_a_cluster_rests_on_its_cards(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    w.join("Ada", "science")
    cards = [w.card("Ada", f"Karte {i}") for i in range(4)]
    response = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "Labore"}, headers=bearer(w.mod))
    cluster = response.json()
    for card in cards[:3]:
        moved = api.put(
            f"/api/v1/cards/{card['id']}/cluster", json={"cluster_id": cluster["id"]}, headers=bearer(w.mod)
        )
        assert moved.status_code == 200, moved.text
    statement = create_statement(
        api, w.mod, w.topic_id, "Stadtlabore brauchen feste Budgets.", cluster_id=cluster["id"]
    )
    assert sorted(statement["card_ids"]) == sorted(c["id"] for c in cards[:3])
    assert len(statement["card_ids"]) == 3
    # card_ids given explicitly win over the cluster's cards.
    explicit = create_statement(
        api, w.mod, w.topic_id, "Nur eine Karte.", cluster_id=cluster["id"], card_ids=[cards[3]["id"]]
    )
    assert explicit["card_ids"] == [cards[3]["id"]]


def test_statement_on_cards_of_another_topic_is_refused(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator, topics=[{"title": "Erstes Thema"}, {"title": "Zweites Thema"}])
    w.join("Ada", "science")
    here = w.card("Ada", "Hier")
    elsewhere = post_card(api, w.token("Ada"), w.workshop["topics"][1]["id"], "Anderswo").json()
    response = api.post(
        f"/api/v1/topics/{w.topic_id}/statements",
        json={"text": "Falsch verknüpft", "card_ids": [here["id"], elsewhere["id"]]},
        headers=bearer(w.mod),
    )
    assert_refused(response, 422)
    response = api.post(
        f"/api/v1/topics/{w.topic_id}/statements",
        json={"text": "Unbekannte Karte", "card_ids": ["no-such-card"]},
        headers=bearer(w.mod),
    )
    assert_refused(response, 422)
    assert w.statements() == []


def test_ratings_are_taken_only_in_the_consent_phase(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    statement = create_statement(api, w.mod, w.topic_id, "Daten gehören der Stadtgesellschaft.")
    for phase in ["collect", "cluster", "vote", "closed"]:
        w.phase(phase)
        assert_refused(rate(api, ada["token"], statement["id"], "full"), 409)
        assert w.statement(statement["id"])["ratings_count"] == 0
    w.phase("consent")
    rated = rate(api, ada["token"], statement["id"], "full")
    assert rated.status_code == 200, rated.text
    assert rated.json()["my_rating"] == "full"
    assert w.statement(statement["id"])["ratings_count"] == 1


@pytest.mark.parametrize("level", ["concerns", "block"])
def test_concerns_and_blocks_need_a_reason(api: TestClient, moderator: ModeratorInfo, level: str) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    statement = create_statement(api, w.mod, w.topic_id, "Alle Daten sofort offenlegen.")
    w.phase("consent")
    for reason in (None, "", "   \n "):
        response = rate(api, ada["token"], statement["id"], level, reason)
        assert_refused(response, 422)
        assert "reason" in str(response.json()["detail"]).lower() or "begründ" in str(response.json()["detail"]).lower()
    assert w.statement(statement["id"])["ratings_count"] == 0
    ok = rate(api, ada["token"], statement["id"], level, "Datenschutz der Betroffenen")
    assert ok.status_code == 200, ok.text
    assert w.statement(statement["id"])["by_group"]["science"][level] == 1


def test_unknown_levels_are_refused(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    statement = create_statement(api, w.mod, w.topic_id, "Ein Satz.")
    w.phase("consent")
    assert_refused(rate(api, ada["token"], statement["id"], "maybe"), 422)
    assert w.statement(statement["id"])["ratings_count"] == 0


def test_a_new_rating_replaces_the_earlier_one(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    bo = w.join("Bo", "business")
    statement = create_statement(api, w.mod, w.topic_id, "Verwaltung darf experimentieren.")
    w.phase("consent")
    assert rate(api, ada["token"], statement["id"], "block", "Rechtsrahmen fehlt").status_code == 200
    assert rate(api, bo["token"], statement["id"], "full").status_code == 200
    before = w.statement(statement["id"])
    assert (before["ratings_count"], before["blocked"]) == (2, True)
    again = rate(api, ada["token"], statement["id"], "reservations")
    assert again.status_code == 200, again.text
    after = w.statement(statement["id"])
    assert after["ratings_count"] == 2
    assert after["by_group"]["science"]["block"] == 0
    assert after["by_group"]["science"]["reservations"] == 1
    assert (after["blocked"], after["consensus"]) == (False, True)


def test_rating_a_statement_of_another_workshop_is_forbidden(api: TestClient, moderator: ModeratorInfo) -> None:
    first = make_world(api, moderator)
    second = make_world(api, moderator)
    first.join("Ada", "science")
    stranger = second.join("Eve", "science")
    statement = create_statement(api, first.mod, first.topic_id, "Nur für die erste Runde.")
    first.phase("consent")
    assert_refused(rate(api, stranger["token"], statement["id"], "block", "Ich gehöre nicht dazu"), 403)
    assert_refused(api.get(f"/api/v1/statements/{statement['id']}", headers=bearer(stranger["token"])), 403)
    assert first.statement(statement["id"])["ratings_count"] == 0


def test_revising_keeps_the_old_version_with_its_ratings(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada, bo = w.join("Ada", "science"), w.join("Bo", "business")
    card = w.card("Ada", "Grundlage")
    old = create_statement(api, w.mod, w.topic_id, "Erste Fassung.", card_ids=[card["id"]])
    w.phase("consent")
    assert rate(api, ada["token"], old["id"], "full").status_code == 200
    assert rate(api, bo["token"], old["id"], "concerns", "Zu vage").status_code == 200

    assert_refused(
        api.post(f"/api/v1/statements/{old['id']}/revisions", json={"text": "Nein"}, headers=bearer(ada["token"])), 403
    )
    response = api.post(
        f"/api/v1/statements/{old['id']}/revisions", json={"text": "Zweite Fassung."}, headers=bearer(w.mod)
    )
    assert response.status_code == 201, response.text
    new = response.json()
    assert (new["revision"], new["previous_id"], new["superseded_by_id"]) == (2, old["id"], None)
    assert new["card_ids"] == [card["id"]]  # kept unless given
    assert new["ratings_count"] == 0

    kept = w.statement(old["id"])
    assert kept["superseded_by_id"] == new["id"]
    assert kept["ratings_count"] == 2
    assert kept["by_group"]["science"]["full"] == 1
    assert kept["by_group"]["business"]["concerns"] == 1
    assert [s["id"] for s in w.statements()] == [new["id"]]  # current versions only

    assert_refused(rate(api, ada["token"], old["id"], "reservations"), 409)
    assert w.statement(old["id"])["by_group"]["science"] == kept["by_group"]["science"]
    assert_refused(
        api.post(f"/api/v1/statements/{old['id']}/revisions", json={"text": "Dritte"}, headers=bearer(w.mod)), 409
    )
    assert rate(api, ada["token"], new["id"], "reservations").status_code == 200
    assert w.statement(new["id"])["by_group"]["science"]["reservations"] == 1


def test_statement_shape_and_consensus_follow_the_workshop_threshold(api: TestClient, moderator: ModeratorInfo) -> None:
    """``by_group`` lists every group (null share where nobody rated); consensus follows the
    rule with the workshop's threshold — and follows it when the moderator changes it."""
    w = make_world(api, moderator, consensus_threshold=0.6)
    science = [w.join(f"S{i}", "science") for i in range(3)]
    bo = w.join("Bo", "business")
    statement = create_statement(api, w.mod, w.topic_id, "Städte teilen ihre Lösungen offen.")
    w.phase("consent")
    levels = [(science[0], "full"), (science[1], "reservations"), (science[2], "concerns"), (bo, "full")]
    for person, level in levels:
        response = rate(api, person["token"], statement["id"], level, "Kosten" if level == "concerns" else None)
        assert response.status_code == 200, response.text

    data = w.statement(statement["id"])
    assert set(data) == STATEMENT_KEYS
    assert list(data["by_group"]) == GROUPS
    for key in GROUPS:
        assert set(data["by_group"][key]) == LEVEL_KEYS
    assert data["by_group"]["science"] == {
        "full": 1,
        "reservations": 1,
        "stand_aside": 0,
        "concerns": 1,
        "block": 0,
        "support_share": pytest.approx(2 / 3),
    }
    assert data["by_group"]["business"]["support_share"] == 1.0
    assert data["by_group"]["civil_society"]["support_share"] is None
    assert data["by_group"]["administration"] == {
        **dict.fromkeys(LEVEL_KEYS - {"support_share"}, 0),
        "support_share": None,
    }
    assert data["ratings_count"] == 4
    assert data["ratings_visible"] is True
    expected = outcome(
        [("science", "full"), ("science", "reservations"), ("science", "concerns"), ("business", "full")], GROUPS, 0.6
    )
    assert (data["consensus"], data["blocked"], data["disagreement"]) == (True, False, False)
    assert data["consensus"] is expected.consensus
    # science (2 + 1) / (3 + 2), business (1 + 1) / (1 + 2), two silent groups 1/2 each
    assert data["bridging_score"] == pytest.approx(3 / 5 * 2 / 3 * 1 / 2 * 1 / 2, abs=1e-6)

    patched = api.patch(
        f"/api/v1/workshops/{w.workshop['id']}", json={"consensus_threshold": 0.75}, headers=bearer(w.mod)
    )
    assert patched.status_code == 200, patched.text
    assert w.statement(statement["id"])["consensus"] is False  # 2/3 < 0.75


# --- clusters ----------------------------------------------------------------------------------


def test_clusters_create_rename_place_merge_dissolve_keep_the_order(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    c = [w.card("Ada", f"Karte {i}")["id"] for i in range(5)]
    w.phase("cluster")

    def create(title: str) -> Json:
        response = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": title}, headers=bearer(w.mod))
        assert response.status_code == 201, response.text
        data: Json = response.json()
        return data

    def place(card_id: str, cluster_id: str | None, position: int | None = None) -> Json:
        body: Json = (
            {"cluster_id": cluster_id} if position is None else {"cluster_id": cluster_id, "position": position}
        )
        response = api.put(f"/api/v1/cards/{card_id}/cluster", json=body, headers=bearer(w.mod))
        assert response.status_code == 200, response.text
        data: Json = response.json()
        assert data["cluster_id"] == cluster_id
        return data

    def layout() -> list[tuple[str, list[str]]]:
        return [(cl["title"], cl["card_ids"]) for cl in w.clusters()]

    a = create("Daten")
    b = create("Räume")
    assert (a["position"], b["position"], a["card_ids"]) == (0, 1, [])
    renamed = api.patch(f"/api/v1/clusters/{a['id']}", json={"title": "  Offene Daten "}, headers=bearer(w.mod))
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Offene Daten"

    place(c[0], a["id"])
    place(c[1], a["id"], 0)
    place(c[2], a["id"], 1)
    assert layout() == [("Offene Daten", [c[1], c[2], c[0]]), ("Räume", [])]
    place(c[2], b["id"])
    place(c[3], b["id"], 0)
    place(c[4], a["id"], 99)  # beyond the end: at the end
    assert layout() == [("Offene Daten", [c[1], c[0], c[4]]), ("Räume", [c[3], c[2]])]
    assert layout() == [(cl["title"], cl["card_ids"]) for cl in w.clusters(ada["token"])]  # participants watch

    merged = api.post(f"/api/v1/clusters/{b['id']}/merge", json={"into": a["id"]}, headers=bearer(w.mod))
    assert merged.status_code == 200, merged.text
    assert merged.json()["card_ids"] == [c[1], c[0], c[4], c[3], c[2]]
    assert layout() == [("Offene Daten", [c[1], c[0], c[4], c[3], c[2]])]

    place(c[0], None)
    assert layout() == [("Offene Daten", [c[1], c[4], c[3], c[2]])]
    assert {card["id"]: card["cluster_id"] for card in w.cards()}[c[0]] is None

    response = api.delete(f"/api/v1/clusters/{a['id']}", headers=bearer(w.mod))
    assert response.status_code == 204
    assert w.clusters() == []
    cards = w.cards()
    assert sorted(card["id"] for card in cards) == sorted(c)  # dissolving keeps every card
    assert all(card["cluster_id"] is None for card in cards)


def test_participants_cannot_cluster(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    card = w.card("Ada", "Eine Karte")
    w.phase("cluster")
    a = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "A"}, headers=bearer(w.mod)).json()
    b = api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "B"}, headers=bearer(w.mod)).json()
    api.put(f"/api/v1/cards/{card['id']}/cluster", json={"cluster_id": a["id"]}, headers=bearer(w.mod))
    before = w.clusters()
    me = bearer(ada["token"])
    assert_refused(api.post(f"/api/v1/topics/{w.topic_id}/clusters", json={"title": "Meins"}, headers=me), 403)
    assert_refused(api.patch(f"/api/v1/clusters/{a['id']}", json={"title": "Umbenannt"}, headers=me), 403)
    assert_refused(api.post(f"/api/v1/clusters/{a['id']}/merge", json={"into": b["id"]}, headers=me), 403)
    assert_refused(api.delete(f"/api/v1/clusters/{b['id']}", headers=me), 403)
    assert_refused(api.put(f"/api/v1/cards/{card['id']}/cluster", json={"cluster_id": b["id"]}, headers=me), 403)
    assert_refused(api.put(f"/api/v1/cards/{card['id']}/cluster", json={"cluster_id": None}, headers=me), 403)
    assert w.clusters() == before
    assert before[0]["card_ids"] == [card["id"]]


# --- merging duplicate cards -------------------------------------------------------------------


def test_merging_a_duplicate_keeps_its_author_and_group(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada, bo = w.join("Ada", "science"), w.join("Bo", "business")
    target = w.card("Ada", "Offene Schnittstellen")
    duplicate = w.card("Bo", "Offene APIs")
    assert_refused(
        api.post(f"/api/v1/cards/{duplicate['id']}/merge", json={"into": target["id"]}, headers=bearer(ada["token"])),
        403,
    )
    assert len(w.cards()) == 2

    response = api.post(f"/api/v1/cards/{duplicate['id']}/merge", json={"into": target["id"]}, headers=bearer(w.mod))
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == target["id"]
    assert merged["merged"] == [{"group": "business", "display_name": "Bo", "organization": "Uni"}]
    for token in (w.mod, ada["token"], bo["token"]):
        cards = card_list(api, token, w.topic_id)
        assert [card["id"] for card in cards] == [target["id"]]
        assert cards[0]["merged"] == [{"group": "business", "display_name": "Bo", "organization": "Uni"}]
    assert api.get(f"/api/v1/cards/{duplicate['id']}", headers=bearer(bo["token"])).status_code == 404
    # A card cannot be merged into itself, nor into a card that is itself merged.
    assert_refused(
        api.post(f"/api/v1/cards/{target['id']}/merge", json={"into": target["id"]}, headers=bearer(w.mod)), 422
    )


# --- the timer ---------------------------------------------------------------------------------


def test_timer_start_pause_add_stop(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    url = f"/api/v1/topics/{w.topic_id}/timer"

    def timer(action: str, minutes: int | None = None, token: str | None = None) -> Any:
        body: Json = {"action": action} if minutes is None else {"action": action, "minutes": minutes}
        return api.post(url, json=body, headers=bearer(token or w.mod))

    def shown() -> Json:
        data: Json = get_json(api, ada["token"], f"/api/v1/topics/{w.topic_id}")["timer"]
        return data

    assert shown() == {"topic_id": w.topic_id, "seconds": 0, "remaining": 0, "running": False, "ends_at": None}
    assert_refused(timer("start", 5, token=ada["token"]), 403)
    assert_refused(timer("start"), 422)  # nothing set: minutes needed
    assert_refused(timer("start", 241), 422)
    assert_refused(timer("pause"), 409)
    assert shown()["seconds"] == 0

    began = time.monotonic()
    started = timer("start", 2).json()
    assert started["seconds"] == 120
    assert started["running"] is True
    assert started["remaining"] in (119, 120)
    assert started["ends_at"] is not None
    assert_refused(timer("start", 3), 409)  # already running
    paused = timer("pause").json()
    ran = math.ceil(time.monotonic() - began)  # at most this long between start and pause
    assert paused["running"] is False
    assert paused["ends_at"] is None
    assert 120 - ran - 1 <= paused["remaining"] <= 120
    assert shown()["remaining"] == paused["remaining"]  # a paused timer stands still
    added = timer("add", 1).json()
    assert (added["seconds"], added["remaining"], added["running"]) == (180, paused["remaining"] + 60, False)
    assert_refused(timer("add", 0), 422)
    resumed = timer("start").json()  # time left: no minutes needed
    assert resumed["running"] is True
    assert resumed["remaining"] >= added["remaining"] - 2
    stopped = timer("stop").json()
    assert stopped == {"topic_id": w.topic_id, "seconds": 0, "remaining": 0, "running": False, "ends_at": None}
    assert shown() == stopped


# --- pausing a participant ---------------------------------------------------------------------


def test_a_paused_participant_reads_but_cannot_post_vote_or_rate(api: TestClient, moderator: ModeratorInfo) -> None:
    w = make_world(api, moderator)
    ada, bo = w.join("Ada", "science"), w.join("Bo", "business")
    card = w.card("Bo", "Eine Karte von Bo")
    statement = create_statement(api, w.mod, w.topic_id, "Ein Satz zum Bewerten.")
    url = f"/api/v1/participants/{ada['participant_id']}"
    assert_refused(api.patch(url, json={"locked": True}, headers=bearer(bo["token"])), 403)

    response = api.patch(url, json={"locked": True}, headers=bearer(w.mod))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "participant_id": ada["participant_id"],
        "display_name": "Ada",
        "organization": "Uni",
        "group": "science",
        "locked": True,
    }
    assert_refused(post_card(api, ada["token"], w.topic_id, "Trotzdem posten"), 403)
    assert [c["id"] for c in w.cards(ada["token"])] == [card["id"]]  # still reads
    w.phase("vote")
    assert_refused(api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": 1}, headers=bearer(ada["token"])), 403)
    assert_refused(api.delete(f"/api/v1/cards/{card['id']}/votes", headers=bearer(ada["token"])), 403)
    assert w.tallies() == {}
    w.phase("consent")
    assert_refused(rate(api, ada["token"], statement["id"], "full"), 403)
    assert w.statement(statement["id"])["ratings_count"] == 0
    assert w.statement(statement["id"], ada["token"])["text"] == "Ein Satz zum Bewerten."

    response = api.patch(url, json={"locked": False}, headers=bearer(w.mod))
    assert response.status_code == 200
    assert response.json()["locked"] is False
    assert rate(api, ada["token"], statement["id"], "full").status_code == 200
    assert w.statement(statement["id"])["ratings_count"] == 1
    w.phase("vote")
    voted = api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": 1}, headers=bearer(ada["token"]))
    assert voted.status_code == 200, voted.text
    assert w.tallies() == {card["id"]: {"total": 1, "by_group": {"science": 1}}}
    w.phase("collect")
    assert post_card(api, ada["token"], w.topic_id, "Wieder dabei").status_code == 201
    assert len(w.cards()) == 2


def test_options_reveal_support_to_participants(api: TestClient, moderator: ModeratorInfo) -> None:
    """Participants see ``by_group`` … only once the support is revealed (moderators always)."""
    w = make_world(api, moderator)
    ada = w.join("Ada", "science")
    statement = create_statement(api, w.mod, w.topic_id, "Ein Satz.")
    w.phase("consent")
    assert rate(api, ada["token"], statement["id"], "full").status_code == 200
    hidden = w.statement(statement["id"], ada["token"])
    assert hidden["ratings_visible"] is False
    assert hidden["my_rating"] == "full"
    for name in ("ratings_count", "by_group", "blocked", "consensus", "disagreement", "bridging_score"):
        assert hidden[name] is None, name
    set_options(api, w.mod, w.topic_id, ratings_revealed=True)
    shown = w.statement(statement["id"], ada["token"])
    assert shown["ratings_visible"] is True
    assert shown["by_group"]["science"]["full"] == 1
    assert shown["consensus"] is True


@pytest.mark.parametrize(("language", "share", "score"), [("de", "67\u00a0%", "0,08"), ("en", "67%", "0.08")])
def test_consent_bars_show_the_threshold_and_numbers_in_the_readers_locale(
    api: TestClient, client: TestClient, moderator: ModeratorInfo, language: str, share: str, score: str
) -> None:
    """Honest bars: each group's segments, the workshop's threshold as a line at its share of the
    bar's width; shares and the bridging score formatted for the reader, the score explained."""
    w = make_world(api, moderator, consensus_threshold=0.6)
    science = [w.join(f"S{i}", "science") for i in range(3)]
    statement = create_statement(api, w.mod, w.topic_id, "Städte teilen ihre Lösungen offen.")
    w.phase("consent")
    for person, level in zip(science, ["full", "reservations", "concerns"], strict=True):
        assert rate(api, person["token"], statement["id"], level, "Kosten").status_code == 200
    login_as(client, moderator)
    page = client.get(
        f"/m/workshops/{w.workshop['id']}/topics/{w.topic_id}", headers={"Accept-Language": language}
    ).text
    assert 'class="threshold" x1="132.0" x2="132.0"' in page  # 0.6 of 220 px
    assert f"{share} <span" in page
    assert f"<td>{score}</td>" in page  # (2+1)/(3+2) · ((0+1)/(0+2))³ = 0.075, the smoothed shares' product
    assert ("Der Brückenwert multipliziert" if language == "de" else "The bridging score multiplies") in page
