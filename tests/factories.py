"""Test helpers that act through the real app (HTTP), as a browser or an API client would."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.domain.moderators import moderator_create

PASSWORD = "correct horse battery"


@dataclass
class ModeratorInfo:
    email: str
    password: str
    token: str


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def make_moderator(app: FastAPI, client: TestClient, email: str = "mod@example.org") -> ModeratorInfo:
    """Create a moderator in the app's database and return it with an API token."""
    settings = app.state.settings

    async def create() -> None:
        db = Database(settings, lambda _w, _s: None)
        async with db.session(write=True) as session:
            await moderator_create(session=session, email=email, password=PASSWORD)
        await db.dispose()

    run(create())
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return ModeratorInfo(email=email, password=PASSWORD, token=response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf(client: TestClient | httpx.Client) -> str:
    """The browser's CSRF token (fetching a page first if the client has none yet)."""
    token = client.cookies.get("runde_csrf")
    if not token:
        client.get("/")
        token = client.cookies.get("runde_csrf")
    assert token
    return token


def login_as(client: TestClient, moderator: ModeratorInfo) -> None:
    """Log ``client`` in through the login form, as a browser does."""
    response = client.post(
        "/login",
        data={"email": moderator.email, "password": moderator.password, "next": "/m", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def create_workshop(client: TestClient, moderator: ModeratorInfo, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Smart-City-Austausch",
        "topics": [{"title": "Alle Akteure einbeziehen", "prompt": "§ 4"}],
        **fields,
    }
    response = client.post("/api/v1/workshops", json=body, headers=bearer(moderator.token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def join_api(client: TestClient, workshop: dict[str, Any], group: str = "science", name: str = "Ada") -> dict[str, Any]:
    response = client.post(
        "/api/v1/workshops/join",
        json={"join_code": workshop["join_code"], "display_name": name, "organization": "Uni", "group": group},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def join_browser(client: TestClient, workshop: dict[str, Any], group: str = "science", name: str = "Ada") -> str:
    """Join through the join form like a phone does; returns the participant board URL."""
    response = client.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": name, "organization": "Uni", "group": group, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def post_card(
    client: TestClient, token: str, topic_id: str, text: str, kind: str = "need", **headers: str
) -> httpx.Response:
    return client.post(
        f"/api/v1/topics/{topic_id}/cards", json={"kind": kind, "text": text}, headers={**bearer(token), **headers}
    )


def page_seq(html: str) -> int:
    """The seq a page (or a pushed fragment) says it is at: ``<span id="live-seq" data-seq>``."""
    marker = BeautifulSoup(html, "html.parser").find(id="live-seq")
    assert marker is not None, "page has no live-seq marker"
    return int(str(marker["data-seq"]))


# --- added for test_api / test_auth / test_pages -------------------------------------------


def db_run(app: FastAPI, work: Any) -> Any:
    """``await work(session)`` on a fresh connection to the app's database (own event loop)."""

    async def go() -> Any:
        db = Database(app.state.settings, lambda _w, _s: None)
        try:
            async with db.session(write=True) as session:
                return await work(session)
        finally:
            await db.dispose()

    return run(go())


def issue_moderator_token(app: FastAPI, moderator: ModeratorInfo, days: int) -> str:
    """A bearer token for ``moderator`` valid for ``days`` (negative: already expired)."""
    from app.domain.moderators import auth_session_create, moderator_by_email

    async def work(session: Any) -> str:
        row = await moderator_by_email(session=session, email=moderator.email)
        assert row is not None
        token: str = await auth_session_create(session=session, moderator=row, kind="bearer", days=days)
        return token

    token: str = db_run(app, work)
    return token


def participant_ids(client: TestClient, moderator: ModeratorInfo, workshop_id: str) -> list[str]:
    """The ids of everyone who joined, read from the moderator console (there is no list API)."""
    response = client.get(f"/m/workshops/{workshop_id}", headers=bearer(moderator.token))
    assert response.status_code == 200, response.text
    return re.findall(r'id="participant-([0-9a-z]+)"', response.text)


def card_list(client: TestClient, token: str, topic_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/topics/{topic_id}/cards", headers=bearer(token))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()
    return data


def get_workshop(client: TestClient, token: str, workshop_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# --- added for test_votes_statements / test_no_leaks / test_consensus_state ----------------


def set_phase(client: TestClient, token: str, topic_id: str, phase: str) -> dict[str, Any]:
    response = client.patch(f"/api/v1/topics/{topic_id}", json={"phase": phase}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == phase
    data: dict[str, Any] = response.json()
    return data


def set_options(client: TestClient, token: str, topic_id: str, **options: Any) -> dict[str, Any]:
    """``POST /api/v1/topics/{id}/options`` (reveals, hide until reveal, spotlight)."""
    response = client.post(f"/api/v1/topics/{topic_id}/options", json=options, headers=bearer(token))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    for name, value in options.items():
        assert data[name] == value, (name, data)
    return data


def moderator_card(
    client: TestClient, token: str, topic_id: str, text: str, group: str, kind: str = "idea"
) -> dict[str, Any]:
    """A card a moderator posts for a group (e.g. from a paper flipchart)."""
    response = client.post(
        f"/api/v1/topics/{topic_id}/cards", json={"kind": kind, "text": text, "group": group}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def create_statement(client: TestClient, token: str, topic_id: str, text: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/topics/{topic_id}/statements", json={"text": text, **fields}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def rate(client: TestClient, token: str, statement_id: str, level: str, reason: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"level": level}
    if reason is not None:
        body["reason"] = reason
    return client.put(f"/api/v1/statements/{statement_id}/rating", json=body, headers=bearer(token))


def get_json(client: TestClient, token: str, path: str) -> Any:
    """``GET path`` with a bearer token; must answer 200."""
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


async def join_browser_async(
    client: httpx.AsyncClient,
    workshop: dict[str, Any],
    group: str = "science",
    name: str = "Ada",
    organization: str = "Uni",
) -> str:
    """``join_browser`` for an ``httpx2.AsyncClient`` against a live server: join through the
    form like a phone does (CSRF and device cookies kept); returns the participant board URL."""
    page = await client.get(f"/j/{workshop['join_code']}")
    assert page.status_code == 200, page.text
    token = client.cookies.get("runde_csrf")
    assert token, "the join page sets no CSRF cookie"
    response = await client.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": name, "organization": organization, "group": group, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


_QUICK_HASH: list[str] = []


def quick_moderator(app: FastAPI, email: str = "mod@example.org") -> ModeratorInfo:
    """``make_moderator`` without two argon2 rounds per test: the moderator row gets a password
    hash computed once per run (``PASSWORD`` still logs in) and a bearer token is issued
    directly, as ``POST /api/v1/auth/token`` would."""
    from app.domain.moderators import auth_session_create
    from app.domain.tokens import password_hash
    from app.models import Moderator

    if not _QUICK_HASH:
        _QUICK_HASH.append(password_hash(PASSWORD))

    async def work(session: Any) -> str:
        moderator = Moderator(email=email.lower(), password_hash=_QUICK_HASH[0])
        session.add(moderator)
        await session.flush()
        token: str = await auth_session_create(session=session, moderator=moderator, kind="bearer", days=1)
        return token

    return ModeratorInfo(email=email.lower(), password=PASSWORD, token=db_run(app, work))


def run_setup(app: FastAPI, email: str = "mod@example.org") -> None:
    """Create a moderator directly in the app's database (for live-server tests)."""
    settings = app.state.settings

    async def create() -> None:
        db = Database(settings, lambda _w, _s: None)
        async with db.session(write=True) as session:
            await moderator_create(session=session, email=email, password=PASSWORD)
        await db.dispose()

    run(create())
