"""Abuse limits with their defaults: card flooding (429, nothing stored past the limit)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.domain.errors import RateLimited
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


def test_the_join_limiter_forgets_the_stalest_clients_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded under a spray of addresses, in constant time per failure: the least recently
    failing buckets are dropped, the active ones stay."""
    from starlette.requests import Request

    from app.routes import limits

    monkeypatch.setattr(limits, "MAX_KEYS", 6)
    limiter = limits.FailureLimiter(per_minute=2, secret="s" * 32)

    def request(host: str) -> Request:
        return Request({"type": "http", "client": (host, 1234), "headers": [], "method": "POST", "path": "/"})

    for n in range(10):
        limiter.failed(request(f"10.0.0.{n}"))
    assert len(limiter.failures) == 6  # two buckets per client: the last three clients
    limiter.failed(request("10.0.0.9"))
    with pytest.raises(RateLimited):
        limiter.check(request("10.0.0.9"))  # its second failure within the minute: still counted
    limiter.check(request("10.0.0.0"))  # forgotten, so allowed again
