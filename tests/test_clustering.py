"""Clustering at speed: several selected cards moved at once, a new cluster from a selection
(form, htmx and JSON twin), with ids of another topic or workshop refused and nothing changed,
and every move pushed live as ``card.moved``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import (
    DbProbe,
    bearer,
    create_workshop,
    db_run,
    form_post,
    get_workshop,
    login_as,
    moderator_card,
    quick_moderator,
    set_phase,
)


class Board:
    def __init__(self, app: FastAPI, api: TestClient) -> None:
        self.app = app
        self.api = api
        self.moderator = quick_moderator(app)
        self.mod = bearer(self.moderator.token)
        first = create_workshop(api, self.moderator, topics=[{"title": "Mobilität"}, {"title": "Energie"}])
        second = create_workshop(api, self.moderator, title="Zweite Runde")
        self.workshop = first["id"]
        self.topic, self.other_topic = (t["id"] for t in first["topics"])
        self.foreign_topic = second["topics"][0]["id"]
        texts = ["Mehr Radwege", "Sichere Kreuzungen", "Busse im Takt", "Carsharing am Bahnhof"]
        self.cards = [moderator_card(api, self.moderator.token, self.topic, t, group="business")["id"] for t in texts]
        self.other_card = moderator_card(api, self.moderator.token, self.other_topic, "Netze", group="science")["id"]
        self.foreign_card = moderator_card(api, self.moderator.token, self.foreign_topic, "Fremd", group="science")[
            "id"
        ]
        set_phase(api, self.moderator.token, self.topic, "cluster")
        self.cluster = self.new_cluster(self.topic, "Rad")
        self.other_cluster = self.new_cluster(self.other_topic, "Netze")
        self.foreign_cluster = self.new_cluster(self.foreign_topic, "Fremd")

    def new_cluster(self, topic: str, title: str) -> str:
        answer = self.api.post(f"/api/v1/topics/{topic}/clusters", json={"title": title}, headers=self.mod)
        assert answer.status_code == 201, answer.text
        cluster_id: str = answer.json()["id"]
        return cluster_id

    def clusters(self, topic: str | None = None) -> dict[str, list[str]]:
        answer = self.api.get(f"/api/v1/topics/{topic or self.topic}/clusters", headers=self.mod)
        return {c["title"]: c["card_ids"] for c in answer.json()}

    def unclustered(self) -> set[str]:
        cards = self.api.get(f"/api/v1/topics/{self.topic}/cards", headers=self.mod).json()
        return {c["id"] for c in cards if c["cluster_id"] is None}

    def seq(self) -> int:
        from app.models import Workshop

        async def read(session: Any) -> int:
            workshop = await session.get(Workshop, self.workshop)
            return int(workshop.last_seq)

        return int(db_run(self.app, read))

    def events_after(self, seq: int) -> list[dict[str, Any]]:
        """What a live client that had seen ``seq`` receives (the replay of the log)."""
        url = f"/ws/workshops/{self.workshop}?format=json&after={seq}"
        out: list[dict[str, Any]] = []
        with self.api.websocket_connect(url, headers=self.mod) as socket:
            while len(out) < self.seq() - seq:
                message = socket.receive_json()
                if message.get("seq") is not None:
                    out.append(message)
        return out


@pytest.fixture
def board(app: FastAPI, api: TestClient) -> Board:
    return Board(app, api)


def test_api_moves_several_cards_in_order_and_pushes_each(board: Board) -> None:
    first, second, third, fourth = board.cards
    seq = board.seq()
    answer = board.api.post(
        f"/api/v1/topics/{board.topic}/cards/move",
        json={"card_ids": [third, first, third], "cluster_id": board.cluster},
        headers=board.mod,
    )
    assert answer.status_code == 200, answer.text
    assert [c["id"] for c in answer.json()] == [third, first]
    assert {c["cluster_id"] for c in answer.json()} == {board.cluster}
    assert board.clusters() == {"Rad": [third, first]}
    assert board.unclustered() == {second, fourth}
    events = board.events_after(seq)
    assert [(e["type"], e["data"]["id"], e["data"]["cluster_id"]) for e in events] == [
        ("card.moved", third, board.cluster),
        ("card.moved", first, board.cluster),
    ]
    # And back out again: null is "not clustered"; they join the end of that list.
    back = board.api.post(
        f"/api/v1/topics/{board.topic}/cards/move", json={"card_ids": [first], "cluster_id": None}, headers=board.mod
    )
    assert back.status_code == 200, back.text
    assert board.clusters() == {"Rad": [third]}
    assert board.unclustered() == {second, fourth, first}


def test_api_new_cluster_from_selected_cards(board: Board) -> None:
    first, second, third, _fourth = board.cards
    seq = board.seq()
    answer = board.api.post(
        f"/api/v1/topics/{board.topic}/clusters/from-cards",
        json={"card_ids": [second, third], "title": "ÖPNV"},
        headers=board.mod,
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["title"], made["card_ids"]) == ("ÖPNV", [second, third])
    assert [e["type"] for e in board.events_after(seq)] == ["cluster.created", "card.moved", "card.moved"]
    # Without a title the cluster is named after its first card.
    unnamed = board.api.post(
        f"/api/v1/topics/{board.topic}/clusters/from-cards", json={"card_ids": [first]}, headers=board.mod
    )
    assert unnamed.status_code == 201, unnamed.text
    assert unnamed.json()["title"] == "Mehr Radwege"
    assert board.clusters() == {"Rad": [], "ÖPNV": [second, third], "Mehr Radwege": [first]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("cards/move", {"card_ids": ["@first", "@other_card"], "cluster_id": "@cluster"}),
        ("cards/move", {"card_ids": ["@first", "@foreign_card"], "cluster_id": "@cluster"}),
        ("cards/move", {"card_ids": ["@first"], "cluster_id": "@other_cluster"}),
        ("cards/move", {"card_ids": ["@first"], "cluster_id": "@foreign_cluster"}),
        ("cards/move", {"card_ids": ["@first", "nosuchcard"], "cluster_id": None}),
        ("cards/move", {"card_ids": [], "cluster_id": "@cluster"}),
        ("clusters/from-cards", {"card_ids": ["@first", "@foreign_card"], "title": "X"}),
        ("clusters/from-cards", {"card_ids": ["@other_card"], "title": "X"}),
        ("clusters/from-cards", {"card_ids": [], "title": "X"}),
    ],
)
def test_api_refuses_ids_of_other_topics_and_changes_nothing(
    app: FastAPI, board: Board, path: str, body: dict[str, Any]
) -> None:
    names = {"first": board.cards[0], **{k: v for k, v in vars(board).items() if isinstance(v, str)}}

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        return names[value[1:]] if isinstance(value, str) and value.startswith("@") else value

    probe = DbProbe(app)
    try:
        before = probe.digests()
        answer = board.api.post(
            f"/api/v1/topics/{board.topic}/{path}", json={k: fill(v) for k, v in body.items()}, headers=board.mod
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"] in (
            "Bitte wählen Sie Beiträge dieses Themas.",
            "Bitte wählen Sie einen Cluster dieses Themas.",
            "Bitte wählen Sie mindestens einen Beitrag aus.",
        )
        assert probe.digests() == before
    finally:
        probe.close()


def test_participants_may_not_move_cards(app: FastAPI, board: Board, client: TestClient) -> None:
    from tests.factories import join_api

    workshop = get_workshop(board.api, board.moderator.token, board.workshop)
    token = join_api(board.api, workshop)["token"]
    answer = board.api.post(
        f"/api/v1/topics/{board.topic}/cards/move",
        json={"card_ids": board.cards[:1], "cluster_id": board.cluster},
        headers=bearer(token),
    )
    assert answer.status_code == 403, answer.text
    assert board.clusters() == {"Rad": []}


def test_board_forms_move_selected_and_make_a_cluster(board: Board, client: TestClient) -> None:
    login_as(client, board.moderator)
    first, second, third, fourth = board.cards
    page = client.get(f"/m/workshops/{board.workshop}/topics/{board.topic}")
    assert f'id="pick-{first}"' in page.text and f'form="bulk-{board.topic}"' in page.text
    assert "drag-handle" in page.text and f'id="drag-hint-{board.topic}"' in page.text
    moved = form_post(
        client, f"/m/topics/{board.topic}/cards/move", {"card_ids": [first, fourth], "cluster_id": board.cluster}
    )
    assert moved.status_code == 303, moved.text
    assert board.clusters() == {"Rad": [first, fourth]}
    made = form_post(
        client,
        f"/m/topics/{board.topic}/clusters/from-cards",
        {"card_ids": [second, third], "title": "Bus"},
        headers={"HX-Request": "true"},
    )
    assert made.status_code == 200, made.text
    assert f'id="bulk-status-{board.topic}"' in made.text
    assert "Neuer Cluster „Bus“ mit 2 Beiträgen." in made.text
    assert board.clusters() == {"Rad": [first, fourth], "Bus": [second, third]}
    refused = form_post(
        client,
        f"/m/topics/{board.topic}/cards/move",
        {"card_ids": [first, board.foreign_card], "cluster_id": ""},
    )
    assert refused.status_code == 422
    assert "Bitte wählen Sie Beiträge dieses Themas." in refused.text
    assert board.clusters() == {"Rad": [first, fourth], "Bus": [second, third]}
