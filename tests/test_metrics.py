"""``GET /metrics``, parsed back with prometheus_client's own parser, against a known run: three
WebSockets open, five cards posted (docs/operations.md, "Metrics")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app
from app.metrics import build_version
from tests.factories import bearer, create_workshop, join_api, make_moderator, post_card

TOKEN = "metrics-token-" + "m" * 30
CARDS_ROUTE = "/api/v1/topics/{topic_id}/cards"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.fixture
def metered(settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings.model_copy(update={"metrics_token": TOKEN})), base_url="http://testserver"
    ) as c:
        yield c


def scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "set-cookie" not in response.headers  # a scraper's answer: no CSRF cookie
    return response.text


def test_metrics_count_a_known_run(metered: TestClient, settings: Settings) -> None:
    moderator = make_moderator(metered.app, metered)  # type: ignore[arg-type]
    workshop: dict[str, Any] = create_workshop(metered, moderator)
    topic = workshop["topics"][0]["id"]
    participant = join_api(metered, workshop)
    headers = {"Origin": "http://testserver", **bearer(moderator.token)}
    url = f"/ws/workshops/{workshop['id']}?format=json"
    with (
        metered.websocket_connect(url, headers=headers) as one,
        metered.websocket_connect(url, headers=headers) as two,
        metered.websocket_connect(url, headers=headers) as three,
    ):
        for i in range(5):
            assert post_card(metered, participant["token"], topic, f"Karte {i}").status_code == 201
        for socket in (one, two, three):
            seen = 0
            while seen < 5:
                if socket.receive_json()["type"] == "card.created":
                    seen += 1
        metered.get("/api/v1/no/such/thing/4711")
        found = samples(scrape(metered))

        assert value(found, "runde_connections") == 3
        assert value(found, "runde_workshop_connections", workshop=workshop["id"]) == 3
        assert value(found, "runde_events_total", type="card.created") == 5
        assert value(found, "runde_render_seconds_count") == 5  # each card event rendered once
        assert value(found, "runde_render_seconds_sum") > 0
        assert value(found, "runde_fanout_drops_total") == 0
        assert value(found, "runde_fanout_queue_depth") >= 0
        assert value(found, "runde_fanout_queue_depth_max") >= 0
        assert value(found, "runde_fanout_backlog_events") == 0
        posts = {"method": "POST", "route": CARDS_ROUTE}
        assert value(found, "runde_http_request_duration_seconds_count", **posts) == 5
        assert value(found, "runde_http_request_duration_seconds_bucket", **posts, le="+Inf") == 5
        assert value(found, "runde_http_responses_total", **posts, status="201") == 5
        assert value(found, "runde_http_responses_total", method="GET", route="unmatched", status="404") == 1
        assert not any("4711" in str(labels) for _name, labels in found), "a raw path became a label"
        assert value(found, "runde_database_query_seconds_count") > 10
        assert value(found, "runde_build_info", version=build_version()) == 1

    # Closed sockets leave the gauges; the counters keep what happened.
    with TestClient(metered.app, base_url="http://testserver") as again:
        after = samples(scrape(again))
    assert value(after, "runde_connections") == 0
    assert ("runde_workshop_connections", frozenset({("workshop", workshop["id"])})) not in after
    assert value(after, "runde_events_total", type="card.created") == 5

    # Another app in the same process counts only its own (a registry per app).
    with TestClient(
        create_app(settings.model_copy(update={"metrics_token": TOKEN})), base_url="http://testserver"
    ) as other:
        theirs = samples(scrape(other))
    assert ("runde_events_total", frozenset({("type", "card.created")})) not in theirs


def test_metrics_need_the_token_and_are_off_without_one(metered: TestClient, client: TestClient) -> None:
    for headers in ({}, bearer("wrong"), {"Authorization": f"Basic {TOKEN}"}):
        refused = metered.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "runde_" not in refused.text and "RUNDE_METRICS_TOKEN" in refused.text
    assert client.get("/metrics", headers=bearer(TOKEN)).status_code == 404  # no token set: off


def test_queue_depth_and_drops_come_from_the_hub(metered: TestClient) -> None:
    """Messages waiting in a connection's queue show as queue depth; a connection whose queue
    overflowed counts as a drop once the hub lets it go."""
    from app.domain.board import Audience
    from app.realtime.hub import Connection
    from app.realtime.render import Target

    hub = metered.app.state.hub  # type: ignore[attr-defined]
    target = Target(audience=Audience(role="participant", locale="de"), format="json", view="api")
    slow = Connection(workshop_id="w-slow", target=target, queue_size=10)
    full = Connection(workshop_id="w-full", target=target, queue_size=2)
    hub.add(slow)
    hub.add(full)
    for seq in range(1, 4):
        slow.offer(seq, "{}")
        full.offer(seq, "{}")  # the third does not fit: dropped
    found = samples(scrape(metered))
    assert value(found, "runde_fanout_queue_depth") == 3 + 2
    assert value(found, "runde_fanout_queue_depth_max") == 3
    assert value(found, "runde_workshop_connections", workshop="w-slow") == 1
    assert value(found, "runde_fanout_drops_total") == 0  # still open
    hub.remove(full)
    hub.remove(slow)
    found = samples(scrape(metered))
    assert value(found, "runde_fanout_drops_total") == 1
    assert value(found, "runde_connections") == 0
