"""Logins, tokens, password storage, CSRF, security headers, body limits and template hygiene."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.domain import moderators
from app.domain.tokens import password_verify
from app.models import AuthSession, Moderator
from tests.factories import (
    PASSWORD,
    ModeratorInfo,
    bearer,
    card_list,
    create_workshop,
    csrf,
    db_run,
    get_workshop,
    join_api,
    join_browser,
    login_as,
    make_moderator,
    participant_ids,
    post_card,
)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "app" / "templates"
ClientFactory = Callable[[], TestClient]


def set_cookie_headers(response: Any) -> dict[str, str]:
    """``Set-Cookie`` headers by cookie name (the raw header, attributes included)."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0].strip()
        found[name] = header
    return found


# --- API tokens ---------------------------------------------------------------------------------


def test_token_flow(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    response = api.post("/api/v1/auth/token", data={"username": " MOD@example.org ", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str)
    assert len(body["access_token"]) >= 32
    listed = api.get("/api/v1/workshops", headers=bearer(body["access_token"]))
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [workshop["id"]]
    assert listed.json()[0]["join_code"] == workshop["join_code"]


def test_token_endpoint_needs_no_csrf_token_without_a_session_cookie(stage: Stage) -> None:
    """A tool that fetched a page first holds the CSRF cookie (and nothing that authenticates
    it): its password-flow form post still gets a token. CSRF guards cookie sessions; the
    token call authenticates with the form's password. The Origin check stays."""
    tool = stage.new_browser()
    assert tool.get("/").status_code == 200
    assert "runde_csrf" in tool.cookies and "runde_session" not in tool.cookies
    form = {"username": stage.moderator.email, "password": PASSWORD}
    response = tool.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    wrong = tool.post("/api/v1/auth/token", data={**form, "password": "wrong password!"})
    assert wrong.status_code == 401, wrong.text
    foreign = tool.post("/api/v1/auth/token", data=form, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    cross_site = tool.post("/api/v1/auth/token", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    # A logged-in browser (session cookie) still sends its CSRF token, as on every form.
    logged_in = stage.moderator_browser()
    assert logged_in.post("/api/v1/auth/token", data=form).status_code == 403
    with_token = logged_in.post("/api/v1/auth/token", data={**form, "csrf_token": csrf(logged_in)})
    assert with_token.status_code == 200, with_token.text


def test_bad_credentials_get_the_same_401(app: FastAPI, api: TestClient) -> None:
    make_moderator(app, api)
    wrong_password = api.post("/api/v1/auth/token", data={"username": "mod@example.org", "password": "wrong password!"})
    unknown_email = api.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": PASSWORD})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert isinstance(wrong_password.json()["detail"], str)
    assert wrong_password.json()["detail"]
    assert "access_token" not in wrong_password.text
    missing = api.post("/api/v1/auth/token", data={"username": "mod@example.org"})
    assert missing.status_code == 422
    assert missing.json()["detail"]


def test_argon2_runs_off_the_event_loop(
    app: FastAPI, api: TestClient, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 costs tens of milliseconds of CPU per login by design: on the event loop, every
    live room of the server would stall that long at each login (or failed guess)."""
    on_loop: list[bool] = []
    write_lock = app.state.db.write_lock  # SQLite: held by every POST's session by default
    lock_held: list[bool] = []

    def watched(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            lock_held.append(write_lock is not None and write_lock.locked())
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return real(*args)

        return call

    monkeypatch.setattr(moderators, "password_verify", watched(moderators.password_verify))
    monkeypatch.setattr(moderators, "password_hash", watched(moderators.password_hash))
    moderator = make_moderator(app, api)
    assert api.post("/api/v1/auth/token", data={"username": "mod@example.org", "password": PASSWORD}).status_code == 200
    assert api.post("/api/v1/auth/token", data={"username": "mod@example.org", "password": "x" * 12}).status_code == 401
    assert api.post("/api/v1/auth/token", data={"username": "no@example.org", "password": "x" * 12}).status_code == 401
    # make_moderator hashes and logs in once; then three logins: five calls, none on the loop
    assert on_loop == [False] * 5
    # ... and the logins' argon2 runs without the SQLite write lock, which every card POST of
    # every room needs (the first call is make_moderator's own write session)
    assert lock_held[1:] == [False] * 4
    login_as(client, moderator)  # the login form: the same
    assert on_loop[5:] == lock_held[5:] == [False]


def test_tokens_and_sessions_are_stored_only_as_hashes(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    login_as(client, moderator)
    session_cookie = client.cookies["runde_session"]

    async def rows(session: Any) -> list[AuthSession]:
        return list((await session.execute(select(AuthSession))).scalars().all())

    stored = db_run(app, rows)
    hashes = {row.token_hash for row in stored}
    assert {row.kind for row in stored} == {"bearer", "cookie"}
    for token in (moderator.token, session_cookie):
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
        assert not any(token in (row.token_hash, row.id) for row in stored)


def test_password_is_stored_as_argon2_hash(app: FastAPI, api: TestClient) -> None:
    make_moderator(app, api)

    async def row(session: Any) -> Moderator:
        result = await session.execute(select(Moderator).where(col(Moderator.email) == "mod@example.org"))
        moderator: Moderator = result.scalars().one()
        return moderator

    moderator = db_run(app, row)
    assert moderator.password_hash.startswith("$argon2id$")
    assert PASSWORD not in moderator.password_hash
    assert password_verify(moderator.password_hash, PASSWORD)
    assert not password_verify(moderator.password_hash, PASSWORD + "x")


# --- browser login and logout -------------------------------------------------------------------


def test_login_sets_a_protected_session_cookie(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    create_workshop(api, moderator, title="Runde Eins")
    create_workshop(api, moderator, title="Runde Zwei")
    response = client.post(
        "/login",
        data={"email": moderator.email, "password": PASSWORD, "next": "/m", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/m"
    header = set_cookie_headers(response)["runde_session"]
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    token = SimpleCookie(header)["runde_session"].value
    assert len(token) >= 32
    assert token != moderator.token
    home = client.get("/m")
    assert home.status_code == 200
    assert "Runde Eins" in home.text
    assert "Runde Zwei" in home.text
    assert moderator.email in home.text


def test_login_failure_shows_the_form_again(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    client.headers["Accept-Language"] = "en"
    response = client.post(
        "/login",
        data={"email": moderator.email, "password": "wrong password!", "next": "/m", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "E-mail address or password is wrong." in response.text
    assert f'value="{moderator.email}"' in response.text
    assert "runde_session" not in set_cookie_headers(response)
    assert client.get("/m", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
    ],
)
def test_login_never_redirects_off_site(app: FastAPI, api: TestClient, client: TestClient, next_url: str) -> None:
    moderator = make_moderator(app, api)
    response = client.post(
        "/login",
        data={"email": moderator.email, "password": PASSWORD, "next": next_url, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location in ("/m", "/%09/evil.example", "/%0A/evil.example")  # a local path either way
    as_read = "".join(ch for ch in location if ch not in "\t\r\n")
    assert not as_read.startswith("//")


def test_logout_ends_the_session_on_the_server(
    app: FastAPI, api: TestClient, client: TestClient, client_factory: ClientFactory
) -> None:
    moderator = make_moderator(app, api)
    create_workshop(api, moderator, title="Runde Eins")
    login_as(client, moderator)
    old = client.cookies["runde_session"]
    by_hand = client_factory()
    replay = by_hand.get("/m", headers={"Cookie": f"runde_session={old}"}, follow_redirects=False)
    assert replay.status_code == 200
    assert "Runde Eins" in replay.text
    response = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "runde_session" in set_cookie_headers(response)  # the browser is told to forget it
    assert "runde_session" not in client.cookies
    assert client.get("/m", follow_redirects=False).status_code == 303
    again = client_factory().get("/m", headers={"Cookie": f"runde_session={old}"}, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/login?next=/m"
    # The API token is a separate credential and still works.
    assert api.get("/api/v1/workshops", headers=bearer(moderator.token)).status_code == 200


def test_moderator_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/m", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/m"
    login = client.get("/login?next=/m")
    assert login.status_code == 200
    assert 'name="next" value="/m"' in login.text
    forged = client.get("/m", headers={"Cookie": "runde_session=forged"}, follow_redirects=False)
    assert forged.status_code == 303
    assert forged.headers["location"] == "/login?next=/m"


def test_session_cookie_is_not_an_api_token(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    login_as(client, moderator)
    response = api.get("/api/v1/workshops", headers=bearer(client.cookies["runde_session"]))
    assert response.status_code == 401
    assert response.json()["detail"]


# --- CSRF ---------------------------------------------------------------------------------------


@dataclass
class Scene:
    """One state-changing form post: who sends it, where, and how to read the state it changes."""

    browser: TestClient
    url: str
    data: dict[str, str]
    read: Callable[[], Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stage:
    app: FastAPI
    api: TestClient
    new_browser: ClientFactory
    moderator: ModeratorInfo
    workshop: dict[str, Any]

    @property
    def wid(self) -> str:
        return str(self.workshop["id"])

    @property
    def tid(self) -> str:
        return str(self.workshop["topics"][0]["id"])

    def moderator_browser(self) -> TestClient:
        browser = self.new_browser()
        login_as(browser, self.moderator)
        return browser

    def participant_browser_with_card(self) -> tuple[TestClient, str]:
        browser = self.new_browser()
        join_browser(browser, self.workshop)
        response = browser.post(
            f"/topics/{self.tid}/cards",
            data={"kind": "need", "text": "Meine Karte", "csrf_token": csrf(browser)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return browser, self.cards()[-1]["id"]

    def cards(self) -> list[dict[str, Any]]:
        return card_list(self.api, self.moderator.token, self.tid)

    def stored(self) -> dict[str, Any]:
        return get_workshop(self.api, self.moderator.token, self.wid)

    def workshops(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.api.get("/api/v1/workshops", headers=bearer(self.moderator.token)).json()
        return data


def scene_join(s: Stage) -> Scene:
    browser = s.new_browser()
    browser.get(f"/j/{s.workshop['join_code']}")
    data = {"display_name": "Neu", "organization": "Verein", "group": "civil_society"}

    def read() -> Any:
        return participant_ids(s.api, s.moderator, s.wid), "runde_device" in browser.cookies

    return Scene(browser, f"/j/{s.workshop['join_code']}", data, read)


def scene_login(s: Stage) -> Scene:
    browser = s.new_browser()
    browser.get("/login")
    data = {"email": s.moderator.email, "password": PASSWORD, "next": "/m"}

    def read() -> Any:
        return "runde_session" in browser.cookies, browser.get("/m", follow_redirects=False).status_code

    return Scene(browser, "/login", data, read)


def scene_logout(s: Stage) -> Scene:
    browser = s.moderator_browser()
    session = browser.cookies["runde_session"]

    def read() -> Any:
        # By hand from a fresh client, so a deleted cookie in the browser cannot fake success.
        return (
            s.new_browser()
            .get("/m", headers={"Cookie": f"runde_session={session}"}, follow_redirects=False)
            .status_code
        )

    return Scene(browser, "/logout", {}, read)


def scene_post_card(s: Stage) -> Scene:
    browser, _card = s.participant_browser_with_card()
    return Scene(browser, f"/topics/{s.tid}/cards", {"kind": "idea", "text": "Noch eine"}, s.cards)


def scene_edit_card(s: Stage) -> Scene:
    browser, card = s.participant_browser_with_card()
    return Scene(browser, f"/cards/{card}/edit", {"text": "Geändert"}, s.cards)


def scene_hide_card(s: Stage) -> Scene:
    _participant, card = s.participant_browser_with_card()
    return Scene(s.moderator_browser(), f"/cards/{card}/hide", {"hidden": "1"}, s.cards)


def scene_delete_card(s: Stage) -> Scene:
    browser, card = s.participant_browser_with_card()
    return Scene(browser, f"/cards/{card}/delete", {}, s.cards)


def scene_moderator_deletes_card(s: Stage) -> Scene:
    _participant, card = s.participant_browser_with_card()
    return Scene(s.moderator_browser(), f"/cards/{card}/delete", {}, s.cards)


def scene_create_workshop(s: Stage) -> Scene:
    return Scene(s.moderator_browser(), "/m/workshops", {"title": "Neue Runde", "locale": "en"}, s.workshops)


def scene_settings(s: Stage) -> Scene:
    data = {"title": "Umbenannt", "description": "Neu", "locale": "en", "joins_open": "on"}
    return Scene(s.moderator_browser(), f"/m/workshops/{s.wid}/settings", data, s.stored)


def scene_add_group(s: Stage) -> Scene:
    data = {"key": "youth", "label_de": "Jugend", "label_en": "Youth"}
    return Scene(s.moderator_browser(), f"/m/workshops/{s.wid}/groups", data, s.stored)


def scene_rename_group(s: Stage) -> Scene:
    data = {"label_de": "Forschung", "label_en": "Research"}
    return Scene(s.moderator_browser(), f"/m/workshops/{s.wid}/groups/science", data, s.stored)


def scene_remove_group(s: Stage) -> Scene:
    return Scene(s.moderator_browser(), f"/m/workshops/{s.wid}/groups/science/delete", {}, s.stored)


def scene_add_topic(s: Stage) -> Scene:
    return Scene(s.moderator_browser(), f"/m/workshops/{s.wid}/topics", {"title": "Neues Thema"}, s.stored)


def scene_edit_topic(s: Stage) -> Scene:
    return Scene(s.moderator_browser(), f"/m/topics/{s.tid}", {"title": "Umbenannt", "phase": "vote"}, s.stored)


def scene_move_topic(s: Stage) -> Scene:
    s.api.post(f"/api/v1/workshops/{s.wid}/topics", json={"title": "Zweites"}, headers=bearer(s.moderator.token))
    return Scene(s.moderator_browser(), f"/m/topics/{s.tid}/move", {"offset": "1"}, s.stored)


def scene_delete_topic(s: Stage) -> Scene:
    return Scene(s.moderator_browser(), f"/m/topics/{s.tid}/delete", {}, s.stored)


SCENES: dict[str, Callable[[Stage], Scene]] = {
    "POST /j/{code}": scene_join,
    "POST /login": scene_login,
    "POST /logout": scene_logout,
    "POST /topics/{id}/cards": scene_post_card,
    "POST /cards/{id}/edit": scene_edit_card,
    "POST /cards/{id}/hide": scene_hide_card,
    "POST /cards/{id}/delete (author)": scene_delete_card,
    "POST /cards/{id}/delete (moderator)": scene_moderator_deletes_card,
    "POST /m/workshops": scene_create_workshop,
    "POST /m/workshops/{id}/settings": scene_settings,
    "POST /m/workshops/{id}/groups": scene_add_group,
    "POST /m/workshops/{id}/groups/{key}": scene_rename_group,
    "POST /m/workshops/{id}/groups/{key}/delete": scene_remove_group,
    "POST /m/workshops/{id}/topics": scene_add_topic,
    "POST /m/topics/{id}": scene_edit_topic,
    "POST /m/topics/{id}/move": scene_move_topic,
    "POST /m/topics/{id}/delete": scene_delete_topic,
}


@pytest.fixture
def stage(app: FastAPI, api: TestClient, client_factory: ClientFactory) -> Stage:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    return Stage(app, api, client_factory, moderator, workshop)


def _refusals(browser: TestClient, other_token: str) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """(name, extra form fields, extra headers) of requests that must be refused."""
    token = csrf(browser)
    yield "no token", {}, {}
    yield "empty token", {"csrf_token": ""}, {}
    yield "wrong token", {"csrf_token": "x" * len(token)}, {}
    yield "another browser's token", {"csrf_token": other_token}, {}
    yield "wrong header token", {}, {"X-CSRF-Token": "y" * len(token)}
    yield "right token, foreign Origin", {"csrf_token": token}, {"Origin": "https://evil.example"}
    yield "right header token, foreign Origin", {}, {"X-CSRF-Token": token, "Origin": "https://evil.example"}
    yield "right token, cross-site fetch", {"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}
    yield "right token, Origin null", {"csrf_token": token}, {"Origin": "null"}


@pytest.mark.parametrize("route", list(SCENES), ids=list(SCENES))
def test_csrf_protects_every_form(stage: Stage, route: str) -> None:
    scene = SCENES[route](stage)
    other = stage.new_browser()
    other_token = csrf(other)
    assert other_token != csrf(scene.browser)
    before = scene.read()
    for name, fields, headers in _refusals(scene.browser, other_token):
        response = scene.browser.post(scene.url, data={**scene.data, **fields}, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (name, response.status_code, response.text[:300])
        assert "text/html" in response.headers["content-type"]
        assert scene.read() == before, name
    # The same request with the browser's token (form field, from this site) goes through.
    ok = scene.browser.post(
        scene.url,
        data={**scene.data, "csrf_token": csrf(scene.browser)},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text[:500]
    assert scene.read() != before


def test_csrf_header_token_works_for_htmx(stage: Stage) -> None:
    browser, _card = stage.participant_browser_with_card()
    before = stage.cards()
    response = browser.post(
        f"/topics/{stage.tid}/cards",
        data={"kind": "idea", "text": "Per htmx"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(browser)},
    )
    assert response.status_code == 200, response.text
    assert [c["text"] for c in stage.cards()] == [*(c["text"] for c in before), "Per htmx"]


def test_csrf_refusal_on_the_api_with_cookies(stage: Stage) -> None:
    """A browser's cookies do not authenticate the API, but a cookie-carrying request without a
    token is refused (JSON) before it reaches any route."""
    browser = stage.moderator_browser()
    response = browser.post(f"/api/v1/workshops/{stage.wid}/topics", json={"title": "Per Cookie"})
    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert [t["title"] for t in stage.stored()["topics"]] == ["Alle Akteure einbeziehen"]


def test_bearer_requests_need_no_csrf_token(stage: Stage) -> None:
    participant = join_api(stage.api, stage.workshop)
    response = post_card(stage.api, participant["token"], stage.tid, "Per API")
    assert response.status_code == 201, response.text
    patched = stage.api.patch(
        f"/api/v1/workshops/{stage.wid}", json={"title": "Per Token"}, headers=bearer(stage.moderator.token)
    )
    assert patched.status_code == 200
    assert stage.stored()["title"] == "Per Token"
    assert [c["text"] for c in stage.cards()] == ["Per API"]
    # A bearer request from a foreign page is still refused: Origin is checked first.
    foreign = stage.api.patch(
        f"/api/v1/workshops/{stage.wid}",
        json={"title": "Fremd"},
        headers={**bearer(stage.moderator.token), "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert stage.stored()["title"] == "Per Token"


# --- security headers and body limits ------------------------------------------------------------


def _csp(response: Any) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response: Any) -> None:
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    directives = _csp(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "*" not in policy.split()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


def test_security_headers_on_html_pages(
    app: FastAPI, api: TestClient, client: TestClient, client_factory: ClientFactory
) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    phone = client_factory()
    board_url = join_browser(phone, workshop)
    login_as(client, moderator)
    pages = [
        (client, "/"),
        (client, "/login"),
        (client, "/m"),
        (client, f"/m/workshops/{workshop['id']}"),
        (client, f"/m/workshops/{workshop['id']}/topics/{workshop['topics'][0]['id']}"),
        (phone, f"/j/{workshop['join_code']}"),
        (phone, board_url),
        (phone, "/no/such/page"),
    ]
    for browser, url in pages:
        response = browser.get(url, follow_redirects=True)
        assert response.headers["content-type"].startswith("text/html"), url
        assert "<html" in response.text, url
        assert_security_headers(response)
    # Refusals and redirects carry them as well.
    refused = phone.post(board_url, data={})
    assert refused.status_code in (403, 405)
    assert_security_headers(refused)
    assert_security_headers(client_factory().get("/m", follow_redirects=False))


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_refused(stage: Stage, streamed: bool) -> None:
    participant = join_api(stage.api, stage.workshop)
    big = b'{"kind": "need", "text": "' + b"x" * (256 * 1024) + b'"}'
    content: Any = iter([big[i : i + 65536] for i in range(0, len(big), 65536)]) if streamed else big
    response = stage.api.post(
        f"/api/v1/topics/{stage.tid}/cards",
        content=content,
        headers={**bearer(participant["token"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert isinstance(response.json()["detail"], str)
    assert response.json()["detail"]
    assert stage.cards() == []
    # A form post of the same size from a browser: 413 as a page.
    browser = stage.new_browser()
    join_browser(browser, stage.workshop)
    form = browser.post(
        f"/topics/{stage.tid}/cards",
        data={"kind": "need", "text": "x" * (256 * 1024), "csrf_token": csrf(browser)},
        follow_redirects=False,
    )
    assert form.status_code == 413
    assert "text/html" in form.headers["content-type"]
    assert stage.cards() == []


# --- templates ------------------------------------------------------------------------------------


def _templates() -> list[Path]:
    files = sorted(TEMPLATE_DIR.rglob("*.html"))
    assert len(files) >= 10
    return files


def test_templates_have_no_inline_script_or_style() -> None:
    problems: list[str] = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATE_DIR)
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script\s*>", text, flags=re.IGNORECASE | re.DOTALL):
            attributes, body = match.groups()
            if "src=" not in attributes.lower() or body.strip():
                problems.append(f"{name}: inline script {match.group(0)[:60]!r}")
        if re.search(r"<script\b(?![^>]*\bsrc=)", text, flags=re.IGNORECASE):
            problems.append(f"{name}: <script> without src")
        for match in re.finditer(r"[\s\"'](on[a-z]+)\s*=", text, flags=re.IGNORECASE):
            problems.append(f"{name}: event handler attribute {match.group(1)}")
        if re.search(r"\bhx-on\b|\bhx-on[:-]", text, flags=re.IGNORECASE):
            problems.append(f"{name}: hx-on handler")
        if re.search(r"[\s\"']style\s*=", text, flags=re.IGNORECASE):
            problems.append(f"{name}: style= attribute")
        # Site pages are served with style-src 'self', which would block a <style> block. The
        # exported report (report/) is a standalone download with its own CSP and embeds its CSS.
        if name.parts[0] != "report" and re.search(r"<style\b", text, flags=re.IGNORECASE):
            problems.append(f"{name}: <style> block")
        if re.search(r"javascript:", text, flags=re.IGNORECASE):
            problems.append(f"{name}: javascript: URL")
    assert problems == []


def test_rendered_pages_have_no_inline_script(app: FastAPI, api: TestClient, client: TestClient) -> None:
    """The same rule on what the browser gets (a template could build an attribute name)."""
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    login_as(client, moderator)
    for url in ["/", "/login", "/m", f"/m/workshops/{workshop['id']}", f"/j/{workshop['join_code']}"]:
        html = client.get(url).text
        assert re.findall(r"<script\b(?![^>]*\bsrc=)", html, flags=re.IGNORECASE) == [], url
        assert re.findall(r"\s(on[a-z]+)\s*=", html, flags=re.IGNORECASE) == [], url
        assert re.findall(r"\sstyle\s*=", html, flags=re.IGNORECASE) == [], url
