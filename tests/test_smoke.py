from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import create_workshop, join_api, make_moderator, post_card


def test_card_round_trip(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    participant = join_api(api, workshop)
    topic_id = workshop["topics"][0]["id"]
    response = post_card(api, participant["token"], topic_id, "  Wir brauchen offene Daten  ")
    assert response.status_code == 201
    assert response.json()["text"] == "Wir brauchen offene Daten"
    listed = api.get(f"/api/v1/topics/{topic_id}/cards", headers={"Authorization": f"Bearer {participant['token']}"})
    assert [c["text"] for c in listed.json()] == ["Wir brauchen offene Daten"]
