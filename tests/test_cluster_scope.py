"""An id in a request body is accepted only from the topic the action is on.

The ids come from bodies and forms; a moderator of two workshops could otherwise pull cards or
clusters across topics or workshops. Every refusal is a 4xx that leaves both sides unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import DbProbe, bearer, create_workshop, form_post, login_as, moderator_card, quick_moderator


class World:
    def __init__(self, app: FastAPI, api: TestClient) -> None:
        self.api = api
        self.moderator = quick_moderator(app)
        self.mod = bearer(self.moderator.token)
        first = create_workshop(api, self.moderator, topics=[{"title": "Mobilität"}, {"title": "Energie"}])
        second = create_workshop(api, self.moderator, title="Zweite Runde")
        self.topic, self.other_topic = (t["id"] for t in first["topics"])
        self.foreign_topic = second["topics"][0]["id"]
        self.card = moderator_card(api, self.moderator.token, self.topic, "Radwege", group="business")["id"]
        self.cluster = self.new_cluster(self.topic, "Verkehr")
        self.other_cluster = self.new_cluster(self.other_topic, "Netze")
        self.foreign_cluster = self.new_cluster(self.foreign_topic, "Fremd")
        self.foreign_card = moderator_card(api, self.moderator.token, self.foreign_topic, "Fremd", group="science")[
            "id"
        ]
        self.statement = api.post(
            f"/api/v1/topics/{self.topic}/statements",
            json={"text": "Aussage", "card_ids": [self.card]},
            headers=self.mod,
        ).json()["id"]
        self.put_card(self.cluster)

    def new_cluster(self, topic: str, title: str) -> str:
        answer = self.api.post(f"/api/v1/topics/{topic}/clusters", json={"title": title}, headers=self.mod)
        assert answer.status_code == 201, answer.text
        cluster_id: str = answer.json()["id"]
        return cluster_id

    def put_card(self, cluster: str) -> Any:
        return self.api.put(f"/api/v1/cards/{self.card}/cluster", json={"cluster_id": cluster}, headers=self.mod)

    def clusters(self, topic: str) -> dict[str, list[str]]:
        answer = self.api.get(f"/api/v1/topics/{topic}/clusters", headers=self.mod)
        return {c["id"]: c["card_ids"] for c in answer.json()}

    def state(self) -> list[dict[str, list[str]]]:
        return [self.clusters(t) for t in (self.topic, self.other_topic, self.foreign_topic)]


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    return World(app, api)


@pytest.mark.parametrize("target", ["other_cluster", "foreign_cluster"])
def test_a_card_cannot_be_put_into_another_topics_cluster(world: World, target: str) -> None:
    before = world.state()
    answer = world.put_card(getattr(world, target))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "Bitte wählen Sie einen Cluster dieses Themas."
    assert world.state() == before
    assert before[0] == {world.cluster: [world.card]}


@pytest.mark.parametrize("target", ["other_cluster", "foreign_cluster"])
def test_a_cluster_cannot_be_merged_into_another_topics_cluster(world: World, target: str) -> None:
    before = world.state()
    answer = world.api.post(
        f"/api/v1/clusters/{world.cluster}/merge", json={"into": getattr(world, target)}, headers=world.mod
    )
    assert answer.status_code == 422, answer.text
    assert world.state() == before


@pytest.mark.parametrize("target", ["other_cluster", "foreign_cluster"])
def test_a_statement_cannot_rest_on_another_topics_cluster(world: World, target: str) -> None:
    before = world.api.get(f"/api/v1/topics/{world.topic}/statements", headers=world.mod).json()
    answer = world.api.post(
        f"/api/v1/topics/{world.topic}/statements",
        json={"text": "Mehr Radwege.", "cluster_id": getattr(world, target)},
        headers=world.mod,
    )
    assert answer.status_code == 422, answer.text
    listed = world.api.get(f"/api/v1/topics/{world.topic}/statements", headers=world.mod).json()
    assert listed == before


@pytest.mark.parametrize("target", ["other_cluster", "foreign_cluster"])
def test_the_board_forms_refuse_another_topics_cluster(world: World, client: TestClient, target: str) -> None:
    login_as(client, world.moderator)
    before = world.state()
    foreign = getattr(world, target)
    moved = form_post(client, f"/m/cards/{world.card}/move", {"cluster_id": foreign})
    merged = form_post(client, f"/m/clusters/{world.cluster}/merge", {"into": foreign})
    drafted = form_post(client, f"/m/topics/{world.topic}/statements", {"text": "Radwege.", "cluster_id": foreign})
    for answer in (moved, merged, drafted):
        assert answer.status_code == 422, answer.text
        assert "Bitte wählen Sie einen Cluster dieses Themas." in answer.text
    assert world.state() == before


def body_calls(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every API body field that names an object, filled with one of the second workshop's."""
    return [
        ("PUT", f"/api/v1/cards/{w.card}/cluster", {"cluster_id": w.foreign_cluster}),
        ("POST", f"/api/v1/cards/{w.card}/merge", {"into": w.foreign_card}),
        ("POST", f"/api/v1/clusters/{w.cluster}/merge", {"into": w.foreign_cluster}),
        ("POST", f"/api/v1/topics/{w.topic}/statements", {"text": "X", "cluster_id": w.foreign_cluster}),
        ("POST", f"/api/v1/topics/{w.topic}/statements", {"text": "X", "card_ids": [w.foreign_card]}),
        ("POST", f"/api/v1/statements/{w.statement}/revisions", {"text": "Y", "card_ids": [w.foreign_card]}),
        ("POST", f"/api/v1/topics/{w.topic}/options", {"spotlight_card_id": w.foreign_card}),
        ("POST", f"/api/v1/topics/{w.topic}/cards/move", {"card_ids": [w.foreign_card], "cluster_id": None}),
        ("POST", f"/api/v1/topics/{w.topic}/cards/move", {"card_ids": [w.card], "cluster_id": w.foreign_cluster}),
        ("POST", f"/api/v1/topics/{w.topic}/clusters/from-cards", {"card_ids": [w.card, w.foreign_card]}),
    ]


def test_ids_from_another_workshop_in_every_body_field(app: FastAPI, world: World) -> None:
    """The caller moderates both workshops, so only the body's scope can refuse these."""
    probe = DbProbe(app)
    try:
        for method, path, body in body_calls(world):
            before = probe.digests()
            answer = world.api.request(method, path, json=body, headers=world.mod)
            assert 400 <= answer.status_code < 500, (path, body, answer.status_code, answer.text)
            assert answer.json()["detail"], (path, answer.text)
            assert probe.digests() == before, (path, body)
    finally:
        probe.close()
