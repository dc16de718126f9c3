"""Authorization matrix: every route of ``create_app()`` × every role, against
``tests/authz_table.py`` (fail closed: a route without an entry fails, so does a stale entry).

Two workshops A and B are built; every path parameter names an object of workshop A. API
routes are called with bearer tokens (a moderator's from ``/api/v1/auth/token``, a
participant's from joining), pages with browsers that joined through the join form or logged
in through the login form and send the CSRF token, so CSRF never masks the answer. A denied
call must also leave every table's row count and every workshop's ``last_seq`` as they were.
The WebSocket is opened with each role's bearer token: allowed roles get the connection and a
``presence.changed`` message, denied roles are closed (1008) before it is accepted.

Also here: secrets (production refuses a weak secret key; no session id, token or CSRF token
in logs or error pages).
"""

from __future__ import annotations

import logging
import secrets
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from app.config import Settings
from app.main import create_app
from app.security import UNSAFE_METHODS
from tests.authz_table import TABLE, UNCHECKED_PUBLIC
from tests.factories import (
    PASSWORD,
    ROLES,
    AuthzWorld,
    DbProbe,
    app_routes,
    authz_world,
    bearer,
    browser,
    create_workshop,
    fork_browser,
    form_post,
    join_api,
    join_browser,
    login_as,
    moderator_with_token,
)

# --- the app's routes ----------------------------------------------------------------------


def test_every_route_has_an_entry_and_every_entry_a_route() -> None:
    checked, other = app_routes(create_app(Settings(secret_key="x" * 40)))
    missing = sorted(checked - set(TABLE))
    stale = sorted(set(TABLE) - checked)
    assert not missing, f"routes without an entry in tests/authz_table.py (who may call them?): {missing}"
    assert not stale, f"entries in tests/authz_table.py for routes that no longer exist: {stale}"
    assert other == UNCHECKED_PUBLIC, f"routes outside the matrix changed: {sorted(other ^ UNCHECKED_PUBLIC)}"
    assert all(set(row) == set(ROLES) for row in TABLE.values())
    assert set(RECIPES) <= set(TABLE), sorted(set(RECIPES) - set(TABLE))


# --- how each route is called ----------------------------------------------------------------


@dataclass
class Call:
    """One request: path parameters beyond ``AuthzWorld.path_defaults``, a body, a query, and
    for calls that change the browser itself (log in or out, join, language) a copy of it."""

    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    client: TestClient | None = None


Recipe = Callable[[AuthzWorld, str], Call]


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def fork(world: AuthzWorld, role: str, *, drop: tuple[str, ...] = ()) -> TestClient:
    return fork_browser(world.app, world.browsers[role], drop=drop)


def logged_in_again(world: AuthzWorld, role: str) -> TestClient:
    """A second browser in the same role: logging out must not end the role's own login."""
    if role == "moderator_this":
        other = browser(world.app)
        login_as(other, world.mod_a)
        return other
    if role == "moderator_other":
        other = browser(world.app)
        login_as(other, world.mod_b)
        return other
    return fork(world, role)


def card_text(world: AuthzWorld, _role: str) -> Call:
    return Call(json={"kind": "idea", "text": world.unique("Noch eine Karte"), "group": "science"})


#: Requests with a body, other path parameters, or a fresh object for calls that destroy
#: theirs. Every other route is called with ``path_defaults`` and no body.
def registration_link(world: AuthzWorld, purpose: str) -> str:
    """A fresh registration for workshop A and its personal link's token."""
    from datetime import UTC, datetime, timedelta

    from app.domain.registrations import link_token

    response = world.api.post(
        f"/api/v1/workshops/{world.ws_a['id']}/registrations",
        json={
            "name": "Rita",
            "group": "science",
            "email": f"rita{world.unique('r').split()[-1]}@example.org",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.text
    return link_token(
        secret=world.app.state.secret_key,
        purpose=purpose,
        registration_id=response.json()["id"],
        expires=datetime.now(UTC) + timedelta(days=60),
    )


def published(world: AuthzWorld) -> Call:
    response = world.api.post(f"/api/v1/workshops/{world.ws_a['id']}/publish", headers=bearer(world.mod_a.token))
    assert response.status_code == 200, response.text
    return Call()


def registration_body(world: AuthzWorld) -> dict[str, Any]:
    number = world.unique("r").split()[-1]
    return {"name": "Rita", "group": "science", "email": f"reg{number}@example.org", "consent": True}


def fresh_participant(w: AuthzWorld) -> str:
    """A participant of workshop A who joined only to be merged away."""
    return str(join_api(w.api, w.ws_a, group="science", name=w.unique("Doppelt"))["participant_id"])


def return_token_of_participant(w: AuthzWorld) -> str:
    """The return link token of ``participant_this`` (as their own API call shows it)."""
    answer = w.api.get(f"/api/v1/workshops/{w.ws_a['id']}/me/return-link", headers=bearer(w.tokens["participant_this"]))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["url"]).rsplit("/", 1)[1]


RECIPES: dict[tuple[str, str], Recipe] = {
    ("POST", "/api/v1/topics/{topic_id}/suggestions/accept"): lambda w, r: Call(
        json={"card_ids": [w.fresh_moderator_card(), w.fresh_moderator_card()], "kind": "related"}
    ),
    ("POST", "/api/v1/topics/{topic_id}/suggestions/dismiss"): lambda w, r: Call(
        json={"card_ids": [w.fresh_moderator_card(), w.card_mod]}
    ),
    ("POST", "/api/v1/topics/{topic_id}/cards/move"): lambda w, r: Call(
        json={"card_ids": [w.card_mod], "cluster_id": w.cluster}
    ),
    ("POST", "/api/v1/topics/{topic_id}/clusters/from-cards"): lambda w, r: Call(
        json={"card_ids": [w.fresh_moderator_card()], "title": w.unique("Auswahl")}
    ),
    ("POST", "/m/topics/{topic_id}/suggestions/accept"): lambda w, r: Call(
        data={"card_ids": [w.fresh_moderator_card(), w.fresh_moderator_card()], "kind": "related"}
    ),
    ("POST", "/m/topics/{topic_id}/suggestions/dismiss"): lambda w, r: Call(
        data={"card_ids": [w.fresh_moderator_card(), w.card_mod]}
    ),
    ("POST", "/m/topics/{topic_id}/cards/move"): lambda w, r: Call(
        data={"card_ids": [w.card_mod], "cluster_id": w.cluster}
    ),
    ("POST", "/m/topics/{topic_id}/clusters/from-cards"): lambda w, r: Call(
        data={"card_ids": [w.fresh_moderator_card()], "title": w.unique("Auswahl")}
    ),
    # one person, one voice
    ("GET", "/continue/{token}"): lambda w, r: Call(params={"token": return_token_of_participant(w)}),
    # A new browser each time (no device cookie): binding a role's own browser to another
    # participant would change who that role is for the rest of the matrix.
    ("POST", "/continue/{token}"): lambda w, r: Call(
        params={"token": return_token_of_participant(w)}, client=fork(w, r, drop=("runde_device",))
    ),
    ("POST", "/m/participants/{participant_id}/merge"): lambda w, r: Call(
        params={"participant_id": fresh_participant(w)}, data={"into": w.victim}
    ),
    ("POST", "/api/v1/participants/{participant_id}/merge"): lambda w, r: Call(
        params={"participant_id": fresh_participant(w)}, json={"into": w.victim}
    ),
    # series, registrations, publishing
    ("POST", "/api/v1/series"): lambda w, r: Call(json={"title": w.unique("Reihe")}),
    ("PATCH", "/api/v1/series/{series_id}"): lambda w, r: Call(json={"rhythm": w.unique("monatlich")}),
    ("POST", "/api/v1/series/{series_id}/rounds"): lambda w, r: Call(
        json={"title": w.unique("Runde"), "starts_at": "2030-01-10T14:00:00+01:00"}
    ),
    ("POST", "/api/v1/workshops/{workshop_id}/registrations"): lambda w, r: Call(json=registration_body(w)),
    ("DELETE", "/api/v1/registrations/{token}"): lambda w, r: Call(params={"token": registration_link(w, "cancel")}),
    ("GET", "/r/{token}"): lambda w, r: Call(params={"token": registration_link(w, "cancel")}),
    ("POST", "/r/{token}"): lambda w, r: Call(params={"token": registration_link(w, "cancel")}),
    ("GET", "/r/{token}/join"): lambda w, r: Call(params={"token": registration_link(w, "join")}),
    ("POST", "/s/{series_id}/rounds/{workshop_id}/register"): lambda w, r: Call(
        data={**registration_body(w), "consent": "yes"}
    ),
    ("GET", "/s/{series_id}/reports/{workshop_id}"): lambda w, r: published(w),
    ("GET", "/s/{series_id}/reports/{workshop_id}.pdf"): lambda w, r: published(w),
    ("POST", "/m/series"): lambda w, r: Call(data={"title": w.unique("Reihe")}),
    ("POST", "/m/series/{series_id}"): lambda w, r: Call(
        data={"title": w.unique("Reihe"), "retention_days": "30", "locale": "de"}
    ),
    ("POST", "/m/series/{series_id}/rounds"): lambda w, r: Call(
        data={"title": w.unique("Runde"), "starts_at": "2030-01-10T14:00+01:00"}
    ),
    ("POST", "/m/workshops/{workshop_id}/round/message"): lambda w, r: Call(
        data={"subject": "Hallo", "text": "Bis bald"}
    ),
    ("POST", "/m/workshops/{workshop_id}/round/publish"): lambda w, r: Call(data={"action": "publish"}),
    # public
    ("POST", "/api/v1/auth/token"): lambda w, r: Call(data={"username": w.mod_a.email, "password": PASSWORD}),
    ("POST", "/login"): lambda w, r: Call(
        data={"email": w.mod_a.email, "password": PASSWORD, "next": "/m"}, client=fork(w, r)
    ),
    ("POST", "/logout"): lambda w, r: Call(client=logged_in_again(w, r)),
    ("POST", "/api/v1/workshops/join"): lambda w, r: Call(
        json={"join_code": w.ws_a["join_code"], "display_name": w.unique("Neu"), "group": "science"}
    ),
    ("GET", "/lang/{code}"): lambda w, r: Call(params={"code": "en"}, query={"next": "/"}, client=fork(w, r)),
    ("GET", "/join"): lambda w, r: Call(query={"code": w.ws_a["join_code"]}),
    # joining from a browser that is somebody already would make it a participant of A too
    ("POST", "/j/{code}"): lambda w, r: Call(
        data={"display_name": w.unique("Neu"), "organization": "", "group": "science"},
        client=fork(w, r, drop=("runde_device",)),
    ),
    # API: workshops, groups, topics
    ("POST", "/api/v1/workshops"): lambda w, r: Call(json={"title": w.unique("Neuer Workshop")}),
    ("PATCH", "/api/v1/workshops/{workshop_id}"): lambda w, r: Call(json={"title": "Workshop A"}),
    ("POST", "/api/v1/workshops/{workshop_id}/groups"): lambda w, r: Call(json={"key": "press", "label": "Presse"}),
    ("PATCH", "/api/v1/workshops/{workshop_id}/groups/{key}"): lambda w, r: Call(json={"label": "Wissenschaft"}),
    ("POST", "/api/v1/workshops/{workshop_id}/topics"): lambda w, r: Call(json={"title": w.unique("Neues Thema")}),
    ("PATCH", "/api/v1/topics/{topic_id}"): lambda w, r: Call(json={"title": "Sammeln"}),
    ("DELETE", "/api/v1/topics/{topic_id}"): lambda w, r: Call(params={"topic_id": w.fresh_topic()}),
    # API: cards
    ("POST", "/api/v1/topics/{topic_id}/cards"): card_text,
    ("PATCH", "/api/v1/cards/{card_id}"): lambda w, r: Call(json={"text": w.unique("Karte aus der API")}),
    ("DELETE", "/api/v1/cards/{card_id}"): lambda w, r: Call(params={"card_id": w.fresh_card(html=False)}),
    # API: votes
    ("POST", "/api/v1/cards/{card_id}/votes"): lambda w, r: Call(params={"card_id": w.vote_card}, json={"dots": 1}),
    ("DELETE", "/api/v1/cards/{card_id}/votes"): lambda w, r: Call(params={"card_id": w.vote_card}),
    ("POST", "/api/v1/clusters/{cluster_id}/votes"): lambda w, r: Call(
        params={"cluster_id": w.vote_cluster}, json={"dots": 1}
    ),
    ("DELETE", "/api/v1/clusters/{cluster_id}/votes"): lambda w, r: Call(params={"cluster_id": w.vote_cluster}),
    ("GET", "/api/v1/topics/{topic_id}/votes"): lambda w, r: Call(params={"topic_id": w.vote_topic}),
    # API: statements
    ("POST", "/api/v1/topics/{topic_id}/statements"): lambda w, r: Call(json={"text": w.unique("Neue Aussage")}),
    ("GET", "/api/v1/topics/{topic_id}/statements"): lambda w, r: Call(params={"topic_id": w.consent_topic}),
    ("PUT", "/api/v1/statements/{statement_id}/rating"): lambda w, r: Call(json={"level": "full"}),
    ("POST", "/api/v1/statements/{statement_id}/revisions"): lambda w, r: Call(
        params={"statement_id": w.fresh_statement()}, json={"text": "Überarbeitet"}
    ),
    # API: clusters, merges, places
    ("POST", "/api/v1/topics/{topic_id}/clusters"): lambda w, r: Call(json={"title": w.unique("Neuer Cluster")}),
    ("PATCH", "/api/v1/clusters/{cluster_id}"): lambda w, r: Call(json={"title": "Cluster"}),
    ("DELETE", "/api/v1/clusters/{cluster_id}"): lambda w, r: Call(params={"cluster_id": w.fresh_cluster()}),
    ("POST", "/api/v1/clusters/{cluster_id}/merge"): lambda w, r: Call(
        params={"cluster_id": w.fresh_cluster()}, json={"into": w.cluster}
    ),
    ("PUT", "/api/v1/cards/{card_id}/cluster"): lambda w, r: Call(json={"cluster_id": w.cluster, "position": 0}),
    ("POST", "/api/v1/cards/{card_id}/merge"): lambda w, r: Call(
        params={"card_id": w.fresh_moderator_card()}, json={"into": w.card_mod}
    ),
    # API: options, timer, participants
    ("POST", "/api/v1/topics/{topic_id}/options"): lambda w, r: Call(
        params={"topic_id": w.vote_topic}, json={"tallies_revealed": True}
    ),
    ("POST", "/api/v1/topics/{topic_id}/timer"): lambda w, r: Call(json={"action": "start", "minutes": 5}),
    ("PATCH", "/api/v1/participants/{participant_id}"): lambda w, r: Call(json={"locked": True}),
    # API: privacy. Erasures destroy their participant: each call erases a fresh one (the
    # participant roles act through a fresh participant's token, so the role stays usable).
    ("DELETE", "/api/v1/me"): lambda w, r: Call(
        json={"cards": "delete"},
        headers=bearer(w.fresh_participant(other=r == "participant_other")["token"])
        if r.startswith("participant")
        else {},
    ),
    ("DELETE", "/api/v1/participants/{participant_id}"): lambda w, r: Call(
        params={"participant_id": w.fresh_participant()["participant_id"]}, json={"cards": "anonymise"}
    ),
    # API: report and exports
    ("GET", "/api/v1/workshops/{workshop_id}/export"): lambda w, r: Call(query={"format": "json"}),
    ("PATCH", "/api/v1/workshops/{workshop_id}/report"): lambda w, r: Call(json={"introduction": "Einleitung"}),
    ("PUT", "/api/v1/workshops/{workshop_id}/report/logo"): lambda w, r: Call(
        content=tiny_png(), headers={"Content-Type": "image/png"}
    ),
    # participant pages
    ("POST", "/topics/{topic_id}/cards"): lambda w, r: Call(
        data={"kind": "idea", "text": w.unique("Karte aus dem Formular"), "group": "science"}
    ),
    ("POST", "/cards/{card_id}/edit"): lambda w, r: Call(data={"text": w.unique("Karte aus dem Browser")}),
    # hidden=0 (show): a moderator changes nothing, the card stays visible for later calls
    ("POST", "/cards/{card_id}/hide"): lambda w, r: Call(data={"hidden": "0"}),
    ("POST", "/cards/{card_id}/delete"): lambda w, r: Call(params={"card_id": w.fresh_card(html=True)}),
    ("POST", "/cards/{card_id}/vote"): lambda w, r: Call(params={"card_id": w.vote_card}, data={"change": "1"}),
    ("POST", "/clusters/{cluster_id}/vote"): lambda w, r: Call(
        params={"cluster_id": w.vote_cluster}, data={"change": "1"}
    ),
    ("POST", "/statements/{statement_id}/rate"): lambda w, r: Call(data={"level": "full"}),
    # moderator pages
    ("POST", "/m/workshops"): lambda w, r: Call(data={"title": w.unique("Neuer Workshop"), "locale": "de"}),
    ("POST", "/m/workshops/{workshop_id}/settings"): lambda w, r: Call(
        data={"title": "Workshop A", "locale": "de", "joins_open": "on"}
    ),
    ("POST", "/m/workshops/{workshop_id}/groups"): lambda w, r: Call(
        data={"key": "press", "label_de": "Presse", "label_en": "Press"}
    ),
    ("POST", "/m/workshops/{workshop_id}/groups/{key}"): lambda w, r: Call(
        data={"label_de": "Wissenschaft", "label_en": "Science"}
    ),
    ("POST", "/m/workshops/{workshop_id}/topics"): lambda w, r: Call(data={"title": w.unique("Neues Thema")}),
    ("POST", "/m/topics/{topic_id}"): lambda w, r: Call(data={"title": "Sammeln"}),
    ("POST", "/m/topics/{topic_id}/move"): lambda w, r: Call(data={"offset": "1"}),
    ("POST", "/m/topics/{topic_id}/delete"): lambda w, r: Call(params={"topic_id": w.fresh_topic()}),
    ("POST", "/m/topics/{topic_id}/options"): lambda w, r: Call(
        params={"topic_id": w.vote_topic}, data={"tallies_revealed": "1"}
    ),
    ("POST", "/m/topics/{topic_id}/spotlight"): lambda w, r: Call(data={"card_id": w.card_web}),
    ("POST", "/m/topics/{topic_id}/timer"): lambda w, r: Call(
        params={"topic_id": w.vote_topic}, data={"action": "start", "minutes": "5"}
    ),
    ("POST", "/m/topics/{topic_id}/clusters"): lambda w, r: Call(data={"title": w.unique("Neuer Cluster")}),
    ("POST", "/m/clusters/{cluster_id}"): lambda w, r: Call(data={"title": "Cluster"}),
    ("POST", "/m/clusters/{cluster_id}/merge"): lambda w, r: Call(
        params={"cluster_id": w.fresh_cluster()}, data={"into": w.cluster}
    ),
    ("POST", "/m/clusters/{cluster_id}/dissolve"): lambda w, r: Call(params={"cluster_id": w.fresh_cluster()}),
    ("POST", "/m/topics/{topic_id}/statements"): lambda w, r: Call(data={"text": w.unique("Neue Aussage")}),
    ("POST", "/m/statements/{statement_id}/revise"): lambda w, r: Call(
        params={"statement_id": w.fresh_statement()}, data={"text": "Überarbeitet"}
    ),
    ("POST", "/m/cards/{card_id}/move"): lambda w, r: Call(data={"cluster_id": w.cluster}),
    ("POST", "/m/cards/{card_id}/merge"): lambda w, r: Call(
        params={"card_id": w.fresh_moderator_card()}, data={"into": w.card_mod}
    ),
    ("POST", "/m/participants/{participant_id}/lock"): lambda w, r: Call(data={"locked": "1"}),
    ("POST", "/m/participants/{participant_id}/erase"): lambda w, r: Call(
        params={"participant_id": w.fresh_participant()["participant_id"]}, data={"cards": "delete"}
    ),
    ("POST", "/w/{workshop_id}/me/delete"): lambda w, r: Call(
        data={"cards": "anonymise"}, client=w.fresh_participant_browser() if r == "participant_this" else None
    ),
    ("POST", "/m/workshops/{workshop_id}/report"): lambda w, r: Call(
        data={
            "introduction": "Einleitung",
            "topic": [w.topic],
            "section": ["introduction", "topics"],
            "topic_section": ["consensus"],
        }
    ),
    ("POST", "/m/workshops/{workshop_id}/report/logo"): lambda w, r: Call(data={"remove": "1"}),
}


def api_tool(app: FastAPI) -> TestClient:
    """An API client that keeps no cookies; server errors come back as 500 answers."""
    tool = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    tool.event_hooks["response"].append(lambda _response: tool.cookies.clear())
    return tool


def send(world: AuthzWorld, tool: TestClient, method: str, path: str, role: str, call: Call) -> httpx.Response:
    """Call ``method path`` as ``role``: the API with the role's bearer token, pages with the
    role's browser (and its CSRF token on state-changing requests)."""
    html = not path.startswith("/api/")
    url = path.format(**{**world.path_defaults(html=html), **call.params})
    if html:
        client = call.client or world.browsers[role]
        if method in UNSAFE_METHODS:
            return form_post(client, url, call.data, method=method, params=call.query, headers=call.headers)
        return client.request(method, url, params=call.query, headers=call.headers, follow_redirects=False)
    token = world.tokens[role]
    return tool.request(
        method,
        url,
        params=call.query,
        json=call.json,
        data=call.data,
        content=call.content,
        headers={**(bearer(token) if token else {}), **call.headers},
        follow_redirects=False,
    )


def is_login_redirect(response: httpx.Response) -> bool:
    return response.status_code in (302, 303, 307) and urlsplit(response.headers.get("location", "")).path == "/login"


def as_expected(expected: str, response: httpx.Response) -> bool:
    status = response.status_code
    if expected == "unauthenticated":
        return status == 401 and response.headers.get("www-authenticate") == "Bearer"
    if expected == "deny":
        return status in (401, 403, 404) or (status == 303 and is_login_redirect(response))
    if status in (401, 403) or is_login_redirect(response):
        return False
    return status < 400 or status in (409, 422)


def socket_outcome(client: TestClient, world: AuthzWorld, role: str) -> tuple[str, str]:
    """("accepted", first message type) or ("refused", close code) for the role's handshake."""
    token = world.tokens[role]
    headers = {"Origin": "http://testserver", **(bearer(token) if token else {})}
    try:
        with client.websocket_connect(f"/ws/workshops/{world.ws_a['id']}?format=json", headers=headers) as socket:
            return "accepted", str(socket.receive_json().get("type"))
    except WebSocketDisconnect as exc:
        return "refused", str(exc.code)


def secrets_of(world: AuthzWorld) -> dict[str, str]:
    """Everything that makes a request act for somebody (never in an answer or a log)."""
    found: dict[str, str] = {f"bearer token of {r}": t for r, t in world.tokens.items() if t}
    for role, client in world.browsers.items():
        for name in ("runde_session", "runde_device"):
            value = client.cookies.get(name)
            if value:
                found[f"{name} of {role}"] = value
    return found


def test_authorization_matrix(
    app: FastAPI, api: TestClient, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    world = authz_world(app, api)
    checked, _other = app_routes(app)
    assert set(TABLE) == checked, "see test_every_route_has_an_entry_and_every_entry_a_route"
    tool = api_tool(app)
    probe = DbProbe(app)
    hidden = secrets_of(world)
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    expectations: Counter[str] = Counter()
    unexpected_success = 0
    try:
        for (method, path), row in TABLE.items():
            for role in ROLES:
                expected = row[role]
                expectations[expected] += 1
                cell = f"{method} {path} as {role} (expected {expected})"
                if method == "WS":
                    outcome, detail = socket_outcome(client, world, role)
                    statuses[f"ws {outcome}"] += 1
                    wanted = ("refused", "1008") if expected == "deny" else ("accepted", "presence.changed")
                    if (outcome, detail) != wanted:
                        failures.append(f"{cell}: {outcome} {detail}")
                        unexpected_success += outcome == "accepted"
                    continue
                call = RECIPES.get((method, path), lambda _w, _r: Call())(world, role)
                before = probe.counts() if expected in ("deny", "unauthenticated") else None
                response = send(world, tool, method, path, role, call)
                status = response.status_code
                statuses[f"{status // 100}xx"] += 1
                if not as_expected(expected, response):
                    where = response.headers.get("location", "")
                    failures.append(f"{cell}: {status} {where} {response.text[:200]!r}")
                    unexpected_success += expected in ("deny", "unauthenticated") and status < 400
                if before is not None:
                    after = probe.counts()
                    changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
                    if changed:
                        failures.append(f"{cell}: a denied call changed rows {changed}")
                for what, value in hidden.items():
                    if value in response.text or any(
                        value in v for k, v in response.headers.items() if k != "set-cookie"
                    ):
                        failures.append(f"{cell}: the answer contains the {what}")
    finally:
        probe.close()
    for record in caplog.records:
        text = logging.Formatter().format(record)
        failures += [f"log record {record.name}: contains the {what}" for what, v in hidden.items() if v in text]

    cells = len(TABLE) * len(ROLES)
    summary = (
        f"authorization matrix: {len(TABLE)} routes × {len(ROLES)} roles = {cells} cells "
        f"({expectations['allow']} allow, {expectations['deny']} deny, {expectations['public']} public, {expectations['unauthenticated']} unauthenticated); "
        f"answers: {dict(sorted(statuses.items()))}; unexpected 2xx/3xx: {unexpected_success}; "
        f"mismatches: {len(failures)}; {time.monotonic() - started:.1f} s"
    )
    print(summary)
    assert not failures, summary + "\n" + "\n".join(failures)
    assert unexpected_success == 0


# --- secrets ---------------------------------------------------------------------------------

STRONG = "s" * 48


@pytest.mark.parametrize("secret", [None, "", "x" * 31], ids=["unset", "empty", "31 characters"])
def test_production_settings_refuse_a_missing_or_short_secret(
    secret: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.delenv("RUNDE_SECRET_KEY", raising=False)
    chosen = {} if secret is None else {"secret_key": secret}
    with pytest.raises(ValidationError, match="RUNDE_SECRET_KEY"):
        Settings(_env_file=None, env="production", data_dir=tmp_path, **chosen)  # type: ignore[call-arg]
    assert Settings(_env_file=None, env="production", data_dir=tmp_path, secret_key="x" * 32).env == "production"  # type: ignore[call-arg]


def test_runde_serve_refuses_to_start_in_production_with_a_weak_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from typer.testing import CliRunner

    from app import cli

    steps: list[str] = []

    async def no_database(_settings: Settings, _work: Any) -> None:
        steps.append("database")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_migrations", lambda _settings: steps.append("migrate"))
    monkeypatch.setattr(cli, "_with_db", no_database)
    monkeypatch.setattr("uvicorn.run", lambda *_args, **_kwargs: steps.append("serve"))
    runner = CliRunner()
    base = {"RUNDE_ENV": "production", "RUNDE_DATA_DIR": str(tmp_path)}
    for weak in (None, "", "short-secret"):
        result = runner.invoke(cli.cli, ["serve", "--no-demo"], env={**base, "RUNDE_SECRET_KEY": weak})
        assert result.exit_code != 0, result.output
        assert isinstance(result.exception, ValidationError), result.exception
        assert "RUNDE_SECRET_KEY" in str(result.exception)
        assert steps == [], "nothing may happen before the secret is checked"
    # The same command with a strong secret gets as far as serving.
    result = runner.invoke(cli.cli, ["serve", "--no-demo"], env={**base, "RUNDE_SECRET_KEY": STRONG})
    assert result.exit_code == 0, result.output
    assert steps == ["migrate", "database", "serve"]


def has_post_form(html: str) -> bool:
    lowered = html.lower()
    return "<form" in lowered and 'method="post"' in lowered


def test_no_session_id_token_or_csrf_token_in_logs_or_error_pages(
    app: FastAPI, api: TestClient, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def boom() -> None:
        raise RuntimeError("a bug (test-only route)")

    # Only on this test's app instance: the way to provoke a 500 without a route in the app.
    app.add_api_route("/_test/boom", boom, methods=["GET", "POST"], include_in_schema=False)

    moderator = moderator_with_token(app, api, "mod@example.org")
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    participant = join_api(api, workshop)
    desk = browser(app)
    login_as(desk, moderator)
    phone = browser(app)
    join_browser(phone, workshop)
    forged = {name: "forged-" + secrets.token_urlsafe(24) for name in ("bearer", "csrf", "session", "device")}
    wrong_password = "wrong-" + secrets.token_urlsafe(12)
    never = {
        "moderator bearer token": moderator.token,
        "participant bearer token": participant["token"],
        "session id": desk.cookies["runde_session"],
        "device token": phone.cookies["runde_device"],
        "wrong password": wrong_password,
        **{f"forged {name}": value for name, value in forged.items()},
    }
    csrf_tokens = {
        "moderator's CSRF token": desk.cookies["runde_csrf"],
        "phone's CSRF token": phone.cookies["runde_csrf"],
    }

    tool = api_tool(app)
    stranger = browser(app)
    stranger.cookies.set("runde_session", forged["session"])
    stranger.cookies.set("runde_device", forged["device"])
    answers: list[tuple[str, httpx.Response]] = [
        ("forged bearer, API list", tool.get("/api/v1/workshops", headers=bearer(forged["bearer"]))),
        (
            "forged bearer, API workshop",
            tool.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(forged["bearer"])),
        ),
        (
            "forged bearer, API card",
            tool.post(
                f"/api/v1/topics/{topic}/cards", json={"kind": "idea", "text": "x"}, headers=bearer(forged["bearer"])
            ),
        ),
        (
            "wrong password, API",
            tool.post("/api/v1/auth/token", data={"username": moderator.email, "password": wrong_password}),
        ),
        (
            "wrong password, form",
            form_post(browser(app), "/login", {"email": moderator.email, "password": wrong_password}),
        ),
        (
            "forged CSRF token, moderator",
            desk.post(
                "/m/workshops",
                data={"title": "x", "csrf_token": forged["csrf"]},
                headers={"X-CSRF-Token": forged["csrf"]},
                follow_redirects=False,
            ),
        ),
        (
            "forged CSRF token, phone",
            phone.post(f"/topics/{topic}/cards", data={"kind": "idea", "text": "x", "csrf_token": forged["csrf"]}),
        ),
        ("missing CSRF token, phone", phone.post(f"/topics/{topic}/cards", data={"kind": "idea", "text": "x"})),
        ("forged session and device, page", stranger.get(f"/w/{workshop['id']}")),
        ("forged session and device, console", stranger.get(f"/m/workshops/{workshop['id']}")),
        ("forged session, post", form_post(stranger, "/m/workshops", {"title": "x"})),
        ("participant on the console", phone.get(f"/m/workshops/{workshop['id']}")),
        ("unknown page", desk.get("/w/no-such-workshop")),
        ("unknown static file", desk.get("/static/no-such-file.css")),
        ("500, moderator's browser", desk.get("/_test/boom")),
        ("500, phone, htmx", form_post(phone, "/_test/boom", headers={"HX-Request": "true"})),
        ("500, API token", tool.get("/_test/boom", headers=bearer(moderator.token))),
        ("500, participant token", tool.get("/_test/boom", headers=bearer(participant["token"]))),
        ("successful login page", desk.get("/m")),
        ("successful board", phone.get(f"/w/{workshop['id']}", follow_redirects=True)),
    ]
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            f"/ws/workshops/{workshop['id']}", headers={"Origin": "http://testserver", **bearer(forged["bearer"])}
        ),
    ):
        pass

    statuses = {why: response.status_code for why, response in answers}
    assert statuses["500, moderator's browser"] == 500, statuses
    assert {statuses[k] for k in ("forged CSRF token, moderator", "forged CSRF token, phone")} == {403}, statuses
    assert statuses["forged bearer, API list"] == 401, statuses
    leaks: list[str] = []
    for why, response in answers:
        headers = " ".join(v for k, v in response.headers.items() if k != "set-cookie")
        text = response.text + headers
        leaks += [f"{why} ({response.status_code}): the {what}" for what, v in never.items() if v in text]
        if response.status_code >= 400 and not has_post_form(response.text):
            # An error page offers nothing to submit: it carries no CSRF token either.
            leaks += [f"{why} ({response.status_code}): the {what}" for what, v in csrf_tokens.items() if v in text]
    records = caplog.records
    assert any("unexpected error" in r.getMessage() and r.exc_info for r in records), "the 500 was not logged"
    for record in records:
        text = logging.Formatter().format(record)
        leaks += [f"log {record.name}: the {what}" for what, v in {**never, **csrf_tokens}.items() if v in text]
    assert not leaks, "\n".join(leaks)
