"""Test helpers that act through the real app (HTTP), as a browser or an API client would."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from bs4 import BeautifulSoup, Tag
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


# --- added for test_authz_matrix / test_get_is_safe ----------------------------------------

#: The roles of the authorization matrix, always in this order.
ROLES = ("anonymous", "participant_this", "participant_other", "moderator_this", "moderator_other")


def browser(app: FastAPI) -> TestClient:
    """A new browser (own cookie jar, CSRF cookie already set) on the running app.

    Not entered: every request runs on its own event loop, like the ``api`` fixture's client,
    so no second lifespan starts. Server errors come back as 500 answers, not exceptions.
    """
    new = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    csrf(new)
    return new


def fork_browser(app: FastAPI, original: TestClient, *, drop: tuple[str, ...] = ()) -> TestClient:
    """A copy of ``original`` (same cookies but ``drop``), for calls that would change the
    browser itself (logging in or out, joining, switching the language)."""
    new = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    for name, value in original.cookies.items():
        if name not in drop:
            new.cookies.set(name, value)
    return new


def form_post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
    """A state-changing browser request with the page's CSRF token as form field and header."""
    token = csrf(client)
    headers = {"X-CSRF-Token": token, **kwargs.pop("headers", {})}
    method = kwargs.pop("method", "POST")
    return client.request(
        method,
        path,
        data={**(data or {}), "csrf_token": token},
        headers=headers,
        follow_redirects=False,
        **kwargs,
    )


def moderator_with_token(app: FastAPI, api: TestClient, email: str) -> ModeratorInfo:
    """A moderator row (password ``PASSWORD``), with its API token fetched through
    ``POST /api/v1/auth/token`` as a tool would."""
    quick_moderator(app, email)
    response = api.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return ModeratorInfo(email=email, password=PASSWORD, token=response.json()["access_token"])


def web_card(client: TestClient, api: TestClient, moderator_token: str, topic_id: str, text: str) -> str:
    """Post a card through the board's form as ``client`` (a joined browser); returns its id."""
    response = form_post(client, f"/topics/{topic_id}/cards", {"kind": "need", "text": text})
    assert response.status_code == 303, response.text
    ids = [c["id"] for c in card_list(api, moderator_token, topic_id) if c["text"] == text]
    assert len(ids) == 1, ids
    return str(ids[0])


@dataclass
class AuthzWorld:
    """Two workshops A and B with everything a path parameter can name, and a client per role.

    Workshop A: topic ``topic`` (collect) with a participant's card from the API
    (``card_api``), one from a browser (``card_web``), a moderator's card (``card_mod``) and a
    cluster; topic ``vote_topic`` (vote, tallies revealed) with ``vote_card`` and
    ``vote_cluster``; topic ``consent_topic`` (consent) with ``statement``; a participant
    ``victim`` for pausing. Workshop B: its own moderator, a topic and participants.
    """

    app: FastAPI
    api: TestClient
    mod_a: ModeratorInfo
    mod_b: ModeratorInfo
    ws_a: dict[str, Any]
    ws_b: dict[str, Any]
    topic: str
    vote_topic: str
    consent_topic: str
    card_api: str
    card_web: str
    card_mod: str
    cluster: str
    vote_card: str
    vote_cluster: str
    statement: str
    victim: str
    tokens: dict[str, str | None]
    browsers: dict[str, TestClient]
    counter: int = 0
    series_id: str = ""  # a series of mod_a's with workshop A as its round

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix} {self.counter}"

    def path_defaults(self, *, html: bool) -> dict[str, str]:
        """What fills each path parameter unless a call says otherwise: objects of workshop A
        (the participant's own card: from the browser for pages, from the API for the API)."""
        return {
            "workshop_id": self.ws_a["id"],
            "topic_id": self.topic,
            "card_id": self.card_web if html else self.card_api,
            "cluster_id": self.cluster,
            "statement_id": self.statement,
            "participant_id": self.victim,
            "code": self.ws_a["join_code"],
            "key": "science",
            "series_id": self.series_id,
            "token": "not-a-token",
        }

    # Fresh objects of workshop A for calls that destroy theirs.
    def fresh_topic(self) -> str:
        response = self.api.post(
            f"/api/v1/workshops/{self.ws_a['id']}/topics",
            json={"title": self.unique("Wegwerfthema")},
            headers=bearer(self.mod_a.token),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def fresh_card(self, *, html: bool) -> str:
        """A card of the role ``participant_this`` (browser or API) on ``topic``."""
        text = self.unique("Wegwerfkarte")
        if html:
            return web_card(self.browsers["participant_this"], self.api, self.mod_a.token, self.topic, text)
        token = self.tokens["participant_this"]
        assert token
        response = post_card(self.api, token, self.topic, text)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def fresh_moderator_card(self) -> str:
        return str(
            moderator_card(self.api, self.mod_a.token, self.topic, self.unique("Doppelte Karte"), "business")["id"]
        )

    def fresh_cluster(self) -> str:
        response = self.api.post(
            f"/api/v1/topics/{self.topic}/clusters",
            json={"title": self.unique("Wegwerfcluster")},
            headers=bearer(self.mod_a.token),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def fresh_statement(self) -> str:
        return str(create_statement(self.api, self.mod_a.token, self.consent_topic, self.unique("Aussage"))["id"])

    def fresh_participant(self, *, other: bool = False) -> dict[str, Any]:
        """A new participant of A (or of B) for calls that erase theirs: the join answer."""
        return join_api(self.api, self.ws_b if other else self.ws_a, name=self.unique("Wegwerfperson"))

    def fresh_participant_browser(self) -> TestClient:
        """A new browser that joined A, for the page that erases its own participant."""
        client = browser(self.app)
        join_browser(client, self.ws_a, name=self.unique("Wegwerfbrowser"))
        return client


def authz_world(app: FastAPI, api: TestClient) -> AuthzWorld:
    """Build workshops A and B and log every role in (through the forms for browsers)."""
    mod_a = moderator_with_token(app, api, "mod-a@example.org")
    mod_b = moderator_with_token(app, api, "mod-b@example.org")
    topics = [{"title": "Sammeln"}, {"title": "Punkten"}, {"title": "Zustimmen"}]
    ws_a = create_workshop(api, mod_a, title="Workshop A", topics=topics)
    ws_b = create_workshop(api, mod_b, title="Workshop B", topics=[{"title": "Anderswo"}])
    topic, vote_topic, consent_topic = (t["id"] for t in ws_a["topics"])
    part_a = join_api(api, ws_a, name="Ada")
    part_b = join_api(api, ws_b, name="Bea")
    victim = join_api(api, ws_a, group="business", name="Vic")

    browsers = {role: browser(app) for role in ROLES}
    join_browser(browsers["participant_this"], ws_a, group="civil_society", name="Wanda")
    join_browser(browsers["participant_other"], ws_b, group="civil_society", name="Wim")
    login_as(browsers["moderator_this"], mod_a)
    login_as(browsers["moderator_other"], mod_b)

    card_api = post_card(api, part_a["token"], topic, "Karte aus der API")
    assert card_api.status_code == 201, card_api.text
    card_web = web_card(browsers["participant_this"], api, mod_a.token, topic, "Karte aus dem Browser")
    card_mod = moderator_card(api, mod_a.token, topic, "Karte vom Flipchart", "business")["id"]
    cluster = api.post(f"/api/v1/topics/{topic}/clusters", json={"title": "Cluster"}, headers=bearer(mod_a.token))
    assert cluster.status_code == 201, cluster.text

    vote_card = moderator_card(api, mod_a.token, vote_topic, "Punktekarte", "science")["id"]
    clustered = moderator_card(api, mod_a.token, vote_topic, "Karte im Cluster", "administration")["id"]
    vote_cluster = api.post(
        f"/api/v1/topics/{vote_topic}/clusters", json={"title": "Punktecluster"}, headers=bearer(mod_a.token)
    )
    assert vote_cluster.status_code == 201, vote_cluster.text
    placed = api.put(
        f"/api/v1/cards/{clustered}/cluster",
        json={"cluster_id": vote_cluster.json()["id"]},
        headers=bearer(mod_a.token),
    )
    assert placed.status_code == 200, placed.text
    set_phase(api, mod_a.token, vote_topic, "vote")
    set_options(api, mod_a.token, vote_topic, tallies_revealed=True)

    statement = create_statement(api, mod_a.token, consent_topic, "Alle Akteure werden beteiligt.")["id"]
    set_phase(api, mod_a.token, consent_topic, "consent")

    series = api.post("/api/v1/series", json={"title": "Reihe A"}, headers=bearer(mod_a.token))
    assert series.status_code == 201, series.text
    series_id = series.json()["id"]

    async def make_round(session: Any) -> None:
        from datetime import UTC, datetime, timedelta

        from app.models import SeriesRound

        starts = datetime.now(UTC) + timedelta(days=30)
        session.add(
            SeriesRound(
                workshop_id=ws_a["id"], series_id=series_id, starts_at=starts, purge_at=starts + timedelta(days=60)
            )
        )
        await session.commit()

    db_run(app, make_round)

    return AuthzWorld(
        series_id=series_id,
        app=app,
        api=api,
        mod_a=mod_a,
        mod_b=mod_b,
        ws_a=ws_a,
        ws_b=ws_b,
        topic=topic,
        vote_topic=vote_topic,
        consent_topic=consent_topic,
        card_api=card_api.json()["id"],
        card_web=card_web,
        card_mod=card_mod,
        cluster=cluster.json()["id"],
        vote_card=vote_card,
        vote_cluster=vote_cluster.json()["id"],
        statement=statement,
        victim=victim["participant_id"],
        tokens={
            "anonymous": None,
            "participant_this": part_a["token"],
            "participant_other": part_b["token"],
            "moderator_this": mod_a.token,
            "moderator_other": mod_b.token,
        },
        browsers=browsers,
    )


class DbProbe:
    """Reads the app's database beside it (a plain synchronous connection): row counts of
    every table, every workshop's ``last_seq`` and, for the strict check, a digest of every
    row."""

    def __init__(self, app: FastAPI) -> None:
        import sqlalchemy
        from sqlmodel import SQLModel

        from app.models import Workshop  # importing the models registers every table

        self.workshop = Workshop
        self.sa = sqlalchemy
        self.tables = list(SQLModel.metadata.sorted_tables)
        self.engine = sqlalchemy.create_engine(app.state.settings.sync_database_url, pool_size=1)
        self.count_query = sqlalchemy.select(
            *(
                sqlalchemy.select(sqlalchemy.func.count()).select_from(t).scalar_subquery().label(t.name)
                for t in self.tables
            )
        )

    def counts(self) -> dict[str, Any]:
        """Rows per table and ``last_seq`` per workshop."""
        table = self.workshop.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            counts = dict(conn.execute(self.count_query).one()._mapping)
            seqs = {f"last_seq {w}": s for w, s in conn.execute(self.sa.select(table.c.id, table.c.last_seq))}
        return {**counts, **seqs}

    def digests(self) -> dict[str, str]:
        """A sha256 over every row of every table (all columns, in primary-key order)."""
        import hashlib

        result: dict[str, str] = {}
        with self.engine.connect() as conn:
            for table in self.tables:
                order = list(table.primary_key.columns) or list(table.columns)
                digest = hashlib.sha256()
                for row in conn.execute(self.sa.select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                result[table.name] = digest.hexdigest()
        return result

    def close(self) -> None:
        self.engine.dispose()


# --- added for test_hostile_input / test_fuzz_openapi ---------------------------------------


def form_body(fields: dict[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` as a browser sends it; a lone surrogate (which no
    browser can send) goes as the invalid UTF-8 bytes Python's ``surrogatepass`` makes."""
    from urllib.parse import quote_plus

    return "&".join(
        f"{quote_plus(k)}={quote_plus(v.encode('utf-8', 'surrogatepass'))}" for k, v in fields.items()
    ).encode("ascii")


def json_body(body: Any) -> bytes:
    """JSON with every non-ASCII character escaped, so lone surrogates travel as ``\\ud800``."""
    import json

    return json.dumps(body, ensure_ascii=True).encode("ascii")


def app_routes(app: FastAPI) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(the API and WebSocket routes, everything else) of ``app`` as (method, path template);
    WebSocket routes as ``("WS", path)``, mounts as ``("MOUNT", path)``, also inside included
    routers."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route, WebSocketRoute

    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers kept their own route contexts
        flat = [(r, str(getattr(r, "path", "")), set(getattr(r, "methods", None) or ())) for r in app.routes]
    else:
        flat = [(rc.original_route, str(rc.path), set(rc.methods or ())) for rc in iter_route_contexts(app.routes)]
    checked: set[tuple[str, str]] = set()
    other: set[tuple[str, str]] = set()
    for route, path, methods in flat:
        if isinstance(route, APIRoute):
            checked |= {(method, path) for method in methods}
        elif isinstance(route, WebSocketRoute):  # FastAPI's or a plain Starlette one (the live stream)
            checked.add(("WS", path))
        elif isinstance(route, Mount):
            other.add(("MOUNT", path))
        elif isinstance(route, Route):
            other |= {(method, path) for method in methods if method != "HEAD"}
        else:
            other.add((type(route).__name__, path))
    return checked, other


# --- what a browser sends for a form -----------------------------------------------------------

#: HTML's "valid floating-point number", the only thing an ``<input type="number">`` can hold.
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NOT_SENT = frozenset({"submit", "button", "image", "reset", "file"})


def typed_into(form: Tag, typed: dict[str, str]) -> dict[str, str]:
    """The fields a browser sends for ``form`` (as rendered) after someone typed ``typed`` into
    the fields of those names; the submit buttons are left out.

    Each input holds what its type allows (HTML's value sanitization): what is not a number in
    an ``<input type="number">`` (letters, in a browser that lets them be typed) leaves it
    empty, and a ``novalidate`` form sends that empty field without a word. Posting ``typed``
    directly would skip this step and hide that loss."""
    data: dict[str, str] = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name, kind = str(field["name"]), str(field.get("type", "text")).lower()
        if field.has_attr("disabled") or kind in _NOT_SENT:
            continue
        if field.name == "textarea":
            value = field.get_text()
        elif field.name == "select":
            option = field.select_one("option[selected]") or field.select_one("option")
            value = "" if option is None else str(option.get("value", option.get_text()))
        elif kind in ("checkbox", "radio"):
            if not field.has_attr("checked"):
                continue
            value = str(field.get("value", "on"))
        else:
            value = str(field.get("value", ""))
        data[name] = value
    unknown = set(typed) - set(data)
    assert not unknown, f"the form has no field {sorted(unknown)}"
    for name, value in typed.items():
        field = form.select_one(f"[name={name}]")
        assert field is not None
        if field.name == "input" and str(field.get("type", "text")).lower() == "number" and not _FLOAT.fullmatch(value):
            value = ""
        data[name] = value
    return data
