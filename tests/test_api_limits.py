"""Abuse limits with their defaults: card flooding (429, nothing stored past the limit)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.factories import bearer, create_workshop, join_api, make_moderator, post_card


def test_card_flooding_is_refused_after_the_limit(settings: Settings) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"cards_per_minute": 20}))
    with TestClient(app) as api:
        api.event_hooks["response"].append(lambda _response: api.cookies.clear())
        moderator = make_moderator(app, api)
        workshop = create_workshop(api, moderator)
        topic = workshop["topics"][0]["id"]
        flooder = join_api(api, workshop, group="business", name="Flut")
        calm = join_api(api, workshop, group="science", name="Ruhig")
        answers = [post_card(api, flooder["token"], topic, f"Karte {n}").status_code for n in range(25)]
        assert answers == [201] * 20 + [429] * 5
        refused = post_card(api, flooder["token"], topic, "noch eine")
        assert refused.status_code == 429
        assert isinstance(refused.json()["detail"], str) and refused.json()["detail"]
        # Others are not affected, moderators are not limited, and nothing past the limit was stored.
        assert post_card(api, calm["token"], topic, "Ich auch").status_code == 201
        mod_card = api.post(
            f"/api/v1/topics/{topic}/cards",
            json={"kind": "idea", "text": "vom Flipchart", "group": "civil_society"},
            headers=bearer(moderator.token),
        )
        assert mod_card.status_code == 201
        cards = api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json()
        flooded = [c for c in cards if c["author"] and c["author"]["display_name"] == "Flut"]
        assert len(flooded) == 20
