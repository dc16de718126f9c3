"""Workshops for the benches, set up through Runde's HTTP API: the moderator's login, rooms
with one topic and their participants — joined through the API (a bearer token each) or
through the join form the way a phone does (the device and CSRF cookies it gets)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx

from bench.procs import MODERATOR, PASSWORD

GROUPS = ["science", "business", "civil_society", "administration"]
PAGE_SEQ = re.compile(r"after=(\d+)")


@dataclass
class Person:
    token: str | None = None  # joined through the API
    cookies: dict[str, str] | None = None  # joined through the form: runde_csrf, runde_device

    def auth_headers(self) -> dict[str, str]:
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        assert self.cookies is not None
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}


@dataclass
class Room:
    workshop: dict[str, Any]
    topic: str
    people: list[Person]
    page_seq: int | None = None  # the seq a board page carried when the browsers opened it

    @property
    def id(self) -> str:
        return str(self.workshop["id"])


async def moderator_auth(http: httpx.AsyncClient, email: str = MODERATOR, password: str = PASSWORD) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def workshop_new(http: httpx.AsyncClient, auth: dict[str, str], title: str) -> dict[str, Any]:
    response = await http.post("/api/v1/workshops", json={"title": title, "topics": [{"title": "Last"}]}, headers=auth)
    response.raise_for_status()
    workshop: dict[str, Any] = response.json()
    return workshop


async def join_api(http: httpx.AsyncClient, workshop: dict[str, Any], i: int) -> Person:
    body = {"join_code": workshop["join_code"], "display_name": f"P{i}", "group": GROUPS[i % 4]}
    response = await http.post("/api/v1/workshops/join", json=body)
    response.raise_for_status()
    return Person(token=str(response.json()["token"]))


async def join_form(base: str, workshop: dict[str, Any], i: int) -> Person:
    """The join page, then its form, with a cookie jar of its own (one phone)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as phone:
        page = await phone.get(f"/j/{workshop['join_code']}")
        page.raise_for_status()
        csrf = phone.cookies.get("runde_csrf")
        assert csrf, "the join page set no CSRF cookie"
        form = {"display_name": f"P{i}", "organization": "Bench", "group": GROUPS[i % 4], "csrf_token": csrf}
        response = await phone.post(
            f"/j/{workshop['join_code']}", data=form, headers={"Origin": base}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        device = phone.cookies.get("runde_device")
        assert device, "joining set no device cookie"
        return Person(cookies={"runde_csrf": csrf, "runde_device": device})


async def room_new(
    http: httpx.AsyncClient, auth: dict[str, str], people: int, *, title: str = "Bench", browser: bool = False
) -> Room:
    """A workshop with one topic and ``people`` participants (spread over the four groups,
    joined 100 at a time, or 25 at a time through the form)."""
    workshop = await workshop_new(http, auth, title)
    base = str(http.base_url).rstrip("/")
    joined: list[Person] = []
    step = 25 if browser else 100
    for first in range(0, people, step):
        numbers = range(first, min(first + step, people))
        if browser:
            joined += await asyncio.gather(*(join_form(base, workshop, i) for i in numbers))
        else:
            joined += await asyncio.gather(*(join_api(http, workshop, i) for i in numbers))
    room = Room(workshop=workshop, topic=str(workshop["topics"][0]["id"]), people=joined)
    if browser and joined:
        # A browser opens its socket with ``after=`` the seq of the page it shows.
        page = await http.get(f"/w/{room.id}/topics/{room.topic}", headers=joined[-1].auth_headers())
        page.raise_for_status()
        match = PAGE_SEQ.search(page.text)
        room.page_seq = int(match.group(1)) if match else None
    return room


async def bench_room(http: httpx.AsyncClient, people: int) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """One workshop and ``people`` participants joined through the API: the workshop, the
    moderator's auth header and the participants' tokens (``bench.connections``)."""
    auth = await moderator_auth(http)
    room = await room_new(http, auth, people)
    return room.workshop, auth, [str(p.token) for p in room.people]
