"""Test helpers that act through the real app (HTTP), as a browser or an API client would."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
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
    body = {"title": "Smart-City-Austausch", "topics": [{"title": "Alle Akteure einbeziehen", "prompt": "§ 4"}], **fields}
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


def post_card(client: TestClient, token: str, topic_id: str, text: str, kind: str = "need", **headers: str) -> httpx.Response:
    return client.post(f"/api/v1/topics/{topic_id}/cards", json={"kind": kind, "text": text}, headers={**bearer(token), **headers})


def page_seq(html: str) -> int:
    match = re.search(r'id="live-seq" data-seq="(\d+)"', html)
    assert match, "page has no live-seq marker"
    return int(match.group(1))
