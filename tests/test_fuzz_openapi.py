"""Schemathesis over the OpenAPI schema the app serves (``/openapi.json``): every operation gets
at least 25 generated requests in the default run and 100 in the deep run of the slow step, in-process against the ASGI app on a migrated database,
authenticated with a bearer token — once as the workshop's moderator, once as a participant.

Checks on every answer: ``not_a_server_error`` (no 5xx), ``response_schema_conformance`` (the
body matches the documented schema for its status; FastAPI's 422 list form is allowed by the
contract next to ``{"detail": "…"}``) and ``status_code_conformance`` (the status is
documented for the operation).

A third of the examples use the ids of a real workshop, topic, card, cluster, statement and
participant (so bodies reach the domain code, not only the 404 for a random id), a third use
whatever the generator makes, and a third are negative (schema-violating input on the real
ids: it must be refused with a documented 4xx, never a 5xx). Operations that delete run last, so the real resources live
as long as possible. The join-failure limit is raised (wrong codes are most of what a fuzzer
sends; 429 is documented and tested elsewhere) and the card limit is the shared fixture's.

Hypothesis runs derandomized (the same examples every run), without a database, without
shrinking (a failure is reported with the example that found it) and without a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.config import Settings
from tests.factories import quick_moderator

#: Examples per operation: the default run's quick pass, the slow step's deep one.
EXAMPLES = {"quick": 25, "deep": 100}
INPUTLESS: set[str] = set()  # operations that take no input at all
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def fuzz_settings(examples: int) -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"join_failures_per_minute": 1_000_000})


@pytest.fixture
def running(app: FastAPI) -> Iterator[asgi.ASGIClient]:
    """The app with its lifespan started the way schemathesis runs it (one shared portal); the
    lifespan is stopped afterwards, so the next test's app starts clean."""
    client = asgi.get_client(app)
    with client:
        yield client
    asgi.shutdown_lifespans()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:300])
    return response.json() if response.content else None


def make_world(app: FastAPI, client: asgi.ASGIClient) -> dict[str, Any]:
    """A workshop with everything an operation can point at; returns the ids and tokens."""
    moderator = quick_moderator(app)
    mod = {"Authorization": f"Bearer {moderator.token}"}
    # The workshop is a round of a series, so registrations and publishing reach the domain.
    series = _ok(client.post("/api/v1/series", json={"title": "Fuzzreihe"}, headers=mod), 201)
    workshop = _ok(
        client.post(
            f"/api/v1/series/{series['id']}/rounds",
            json={"title": "Fuzz", "starts_at": "2031-01-10T14:00:00+01:00", "capacity": 3},
            headers=mod,
        ),
        201,
    )
    topic_id = _ok(client.post(f"/api/v1/workshops/{workshop['id']}/topics", json={"title": "A"}, headers=mod), 201)[
        "id"
    ]
    _ok(client.post(f"/api/v1/workshops/{workshop['id']}/topics", json={"title": "B"}, headers=mod), 201)
    registration = _ok(
        client.post(
            f"/api/v1/workshops/{workshop['id']}/registrations",
            json={"name": "Rita", "group": "science", "email": "rita@example.org", "consent": True},
        ),
        201,
    )
    from datetime import UTC, datetime, timedelta

    from app.domain.registrations import link_token

    cancel = link_token(
        secret=app.state.secret_key,
        purpose="cancel",
        registration_id=registration["id"],
        expires=datetime.now(UTC) + timedelta(days=3650),
    )
    joined = _ok(
        client.post(
            "/api/v1/workshops/join",
            json={"join_code": workshop["join_code"], "display_name": "Ada", "group": "science"},
        ),
        201,
    )
    participant = {"Authorization": f"Bearer {joined['token']}"}
    card = _ok(
        client.post(f"/api/v1/topics/{topic_id}/cards", json={"kind": "idea", "text": "x"}, headers=participant), 201
    )
    other = _ok(
        client.post(f"/api/v1/topics/{topic_id}/cards", json={"kind": "need", "text": "y"}, headers=participant), 201
    )
    cluster = _ok(client.post(f"/api/v1/topics/{topic_id}/clusters", json={"title": "K"}, headers=mod), 201)
    statement = _ok(
        client.post(f"/api/v1/topics/{topic_id}/statements", json={"text": "S", "card_ids": [card["id"]]}, headers=mod),
        201,
    )
    return {
        "moderator": moderator.token,
        "participant": joined["token"],
        "ids": {
            "workshop_id": workshop["id"],
            "topic_id": topic_id,
            "card_id": card["id"],
            "cluster_id": cluster["id"],
            "statement_id": statement["id"],
            "participant_id": joined["participant_id"],
            "key": "science",
            "series_id": series["id"],
            "token": cancel,
        },
        "other_card": other["id"],
    }


def fuzz(
    app: FastAPI, client: asgi.ASGIClient, token: str, ids: dict[str, str], examples: int
) -> tuple[dict[str, int], list[str]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.path))
    headers = {"Authorization": f"Bearer {token}"}
    counts: dict[str, int] = {}
    failures: list[str] = []
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        if not (operation.path_parameters or operation.query or operation.body):
            INPUTLESS.add(label)
        names = {p.name for p in operation.path_parameters}
        known = {name: ids[name] for name in names if name in ids}
        strategy = st.one_of(
            operation.as_strategy(headers=headers, path_parameters=known),
            operation.as_strategy(headers=headers),
            operation.as_strategy(GenerationMode.NEGATIVE, headers=headers, path_parameters=known),
        )
        counts[label] = 0

        @fuzz_settings(examples)
        @seed(0)
        @given(case=strategy)
        def check(case: Any) -> None:
            counts[label] += 1  # noqa: B023 - the loop waits for each run
            response = case.call(session=client)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a group of failures
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:1500]}")
    return counts, failures


@pytest.mark.parametrize("depth", ["quick", pytest.param("deep", marks=pytest.mark.slow)])
@pytest.mark.parametrize("role", ["moderator", "participant"])
def test_openapi_fuzz(
    app: FastAPI, running: asgi.ASGIClient, role: str, depth: str, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = EXAMPLES[depth]
    world = make_world(app, running)
    started = time.monotonic()
    counts, failures = fuzz(app, running, world[role], world["ids"], examples)
    took = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis as {role}: {len(counts)} operations, {sum(counts.values())} examples "
            f"(min {min(counts.values())} per operation) in {took:.0f} s"
        )
    assert not failures, "\n\n".join(failures)
    # An operation without any input (GET /api/v1/workshops) has only a couple of distinct
    # requests to make; every other one gets the full number.
    short = {k: v for k, v in counts.items() if v < examples and k not in INPUTLESS}
    assert not short, short
