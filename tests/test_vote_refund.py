"""Dots on a card that leaves the board (merged as a duplicate, hidden) go back to the voters."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import bearer, create_workshop, join_api, make_moderator, post_card


def test_dots_come_back_when_a_card_is_merged_or_hidden(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    mod = bearer(moderator.token)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    voter = join_api(api, workshop, group="business", name="Wähler")
    cards = [post_card(api, voter["token"], topic, f"Karte {n}").json()["id"] for n in range(3)]
    api.patch(f"/api/v1/topics/{topic}", json={"phase": "vote"}, headers=mod)
    for card in cards:
        assert (
            api.post(f"/api/v1/cards/{card}/votes", json={"dots": 1}, headers=bearer(voter["token"])).status_code == 200
        )
    assert (
        api.post(f"/api/v1/cards/{cards[0]}/votes", json={"dots": 1}, headers=bearer(voter["token"])).json()[
            "dots_left"
        ]
        == 1
    )
    api.post(f"/api/v1/cards/{cards[0]}/merge", json={"into": cards[1]}, headers=mod)
    api.patch(f"/api/v1/cards/{cards[2]}", json={"hidden": True}, headers=mod)
    tallies = api.get(f"/api/v1/topics/{topic}/votes", headers=mod).json()
    assert set(tallies) == {cards[1]}, "only the card still on the board keeps dots"
    answer = api.post(f"/api/v1/cards/{cards[1]}/votes", json={"dots": 2}, headers=bearer(voter["token"])).json()
    assert answer == {"card_id": cards[1], "my_dots": 3, "dots_left": 2}
