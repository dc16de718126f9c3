"""The hostile corpus (``tests/hostile_corpus.py``) through the series area's new text fields:
the series' title, description, organiser, rhythm and consent (purpose) text, a round's title
and place, a registration's name, organisation and e-mail address (by the JSON API and the
registration form), and the moderator's message subject and text.

The same rules as ``tests/test_hostile_input.py`` (whose checkers this reuses): 0 answers ≥ 500;
exactly the payloads the documented rules refuse are refused (422; over 256 KiB 413) with a
readable message; every accepted payload comes back as text (never as markup) on the public
series page, the registration form, the moderator's round page, the JSON, the CSV and in the
mails a real SMTP server received, whose headers hold exactly one recipient and the subject
as sent (no header can be injected).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.domain.errors import Invalid
from app.domain.mail import email_check
from app.models import NAME_MAX, TEXT_MAX, TITLE_MAX
from app.security import MAX_BODY
from tests.factories import bearer, csrf, form_body, json_body, login_as, make_moderator
from tests.hostile_corpus import Payload, sample
from tests.smtp import Inbox, settings_with_smtp
from tests.test_hostile_input import (
    DESCRIPTION,
    NAME,
    ORGANIZATION,
    TITLE,
    Rule,
    Scan,
    as_form_value,
    expected,
    nl,
    raw_unescaped,
    readable_message,
    structural_problems,
)

OPTIONAL_LINE = Rule(TITLE_MAX, min_len=0, multiline=False)
RHYTHM = Rule(NAME_MAX, min_len=0, multiline=False)
CONSENT = Rule(TEXT_MAX, min_len=0)
SUBJECT = Rule(150, multiline=False)
MESSAGE = Rule(4000)
JSON = {"Content-Type": "application/json"}
PER_FIELD = 24
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def settings(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return settings_with_smtp(settings, inbox[1])


def expected_email(value: str) -> str | None:
    try:
        return email_check(value)
    except Invalid:
        return None


class Checks:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.accepted = 0
        self.refused = 0

    def answer(self, where: str, payload: Payload, response: Any, want: str | None, size: int) -> bool:
        status = response.status_code
        label = f"{where} {payload!r}: HTTP {status}"
        if status >= 500:
            self.problems.append(f"{label} server error")
            return False
        if status >= 400 and not readable_message(response):
            self.problems.append(f"{label} refusal without a readable message")
        if size > MAX_BODY:
            if status != 413:
                self.problems.append(f"{label}: a {size}-byte body must be refused with 413")
            return False
        if want is None and status not in (422,):
            self.problems.append(f"{label}: must be refused with 422")
        if want is not None and status >= 400:
            self.problems.append(f"{label}: must be accepted ({readable_message(response)})")
        if response.headers.get("content-type", "").startswith("text/html"):
            self.html(f"{where} answer", response.text, [], reflected=[payload.text, as_form_value(payload.text)])
        if status < 400:
            self.accepted += 1
        else:
            self.refused += 1
        return status < 400

    def html(self, output: str, html: str, values: list[str], *, reflected: list[str] | None = None) -> None:
        scan = Scan(html)
        for problem in structural_problems(scan)[:5]:
            self.problems.append(f"{output}: {problem}")
        for value in raw_unescaped(html, values + (reflected or [])):
            self.problems.append(f"{output}: unescaped {value[:80]!r}")
        hay = scan.haystack()
        for value in values:
            if nl(value) not in hay:
                self.problems.append(f"{output}: {value[:80]!r} not shown as text")


@pytest.mark.rendering
def test_hostile_series_fields(app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int]) -> None:
    checks = Checks()
    moderator = make_moderator(app, client)
    token = bearer(moderator.token)
    fields: list[tuple[str, Rule, int]] = [
        ("title", TITLE, 1),
        ("description", DESCRIPTION, 2),
        ("organizer", OPTIONAL_LINE, 3),
        ("rhythm", RHYTHM, 4),
        ("consent_text", CONSENT, 5),
    ]
    for name, rule, offset in fields:
        for payload in sample(PER_FIELD, offset=offset):
            body = {"title": "Reihe", name: payload.text}
            raw = json_body(body)
            response = api.post("/api/v1/series", content=raw, headers={**token, **JSON})
            want = expected(payload.text, rule)
            if not checks.answer(f"series {name}", payload, response, want, len(raw)):
                continue
            series = response.json()
            if name in ("title", "description"):
                shown = series[name]
                if shown != want:
                    checks.problems.append(f"series {name} {payload!r} came back as {shown!r:.80}")
            if not want:
                continue
            page = client.get(f"/s/{series['id']}")
            if name != "consent_text":
                checks.html(f"public series page ({name})", page.text, [want])
            else:
                round_ = api.post(
                    f"/api/v1/series/{series['id']}/rounds",
                    json={"title": "Runde", "starts_at": "2031-01-10T14:00:00+01:00"},
                    headers=token,
                ).json()
                form = client.get(f"/s/{series['id']}/rounds/{round_['id']}/register")
                checks.html("registration form (consent text)", form.text, [want])

    # A round's title and place, shown on the public page and in the .ics.
    series = api.post("/api/v1/series", json={"title": "Reihe"}, headers=token).json()
    for name, rule, offset in (("title", TITLE, 6), ("place", OPTIONAL_LINE, 7)):
        for payload in sample(PER_FIELD, offset=offset):
            body = {"title": "Runde", "starts_at": "2031-01-10T14:00:00+01:00", name: payload.text}
            raw = json_body(body)
            response = api.post(f"/api/v1/series/{series['id']}/rounds", content=raw, headers={**token, **JSON})
            want = expected(payload.text, rule)
            if checks.answer(f"round {name}", payload, response, want, len(raw)) and want:
                checks.html(f"public series page (round {name})", client.get(f"/s/{series['id']}").text, [want])
    assert client.get(f"/s/{series['id']}.ics").status_code == 200
    assert not checks.problems, "\n".join(checks.problems[:40])
    assert checks.accepted > 20 and checks.refused > 20, (checks.accepted, checks.refused)


@pytest.mark.rendering
def test_hostile_registrations_and_messages(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int]
) -> None:
    server, _port = inbox
    checks = Checks()
    moderator = make_moderator(app, client)
    token = bearer(moderator.token)
    series = api.post("/api/v1/series", json={"title": "Reihe"}, headers=token).json()
    round_ = api.post(
        f"/api/v1/series/{series['id']}/rounds",
        json={"title": "Runde", "starts_at": "2031-01-10T14:00:00+01:00"},
        headers=token,
    ).json()
    path = f"/api/v1/workshops/{round_['id']}/registrations"
    form_path = f"/s/{series['id']}/rounds/{round_['id']}/register"
    stored: list[dict[str, str]] = []
    counter = 0

    def person(**override: str) -> dict[str, str]:
        nonlocal counter
        counter += 1
        return {"name": "Rita", "organization": "", "group": "science", "email": f"p{counter}@example.org", **override}

    for channel in ("json", "form"):
        # Another browser on the running app (not entered: one lifespan per app).
        browser = TestClient(app, base_url="http://testserver")
        for name, rule, offset in (("name", NAME, 8), ("organization", ORGANIZATION, 9), ("email", None, 10)):
            for payload in sample(PER_FIELD, offset=offset):
                body = person(**{name: payload.text})
                want = expected_email(payload.text) if rule is None else expected(payload.text, rule)
                if channel == "json":
                    raw = json_body({**body, "consent": True})
                    response = api.post(path, content=raw, headers={**JSON, "Accept-Language": "en"})
                else:
                    if channel == "form" and name != "email":
                        want = expected(as_form_value(payload.text), rule) if rule is not None else want
                    raw = form_body({**body, "consent": "yes", "csrf_token": csrf(browser)})
                    response = browser.post(
                        form_path,
                        content=raw,
                        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"},
                    )
                if checks.answer(f"{channel} registration {name}", payload, response, want, len(raw)):
                    stored.append({**body, name: want or ""})
    # Also the e-mail address as the local part of an otherwise fine address.
    for payload in sample(PER_FIELD, offset=11):
        address = f"{payload.text}@example.org"
        raw = json_body({**person(email=address), "consent": True})
        response = api.post(path, content=raw, headers={**JSON, "Accept-Language": "en"})
        want = expected_email(address)
        if checks.answer("json registration email local part", payload, response, want, len(raw)) and want:
            stored.append({**person(), "email": want})
            stored[-1]["name"] = "Rita"

    # Read back: the moderator's JSON, page and CSV, and the mails that arrived.
    listed = api.get(path, headers=token).json()
    by_email = {r["email"]: r for r in listed}
    for s in stored:
        got = by_email.get(s["email"])
        if got is None or (got["name"], got["organization"]) != (s["name"], s["organization"]):
            checks.problems.append(f"JSON list: {s!r:.120} came back as {got!r:.120}")
    login_as(client, moderator)
    page = client.get(f"/m/workshops/{round_['id']}/round")
    checks.html(
        "moderator round page",
        page.text,
        [v for s in stored for v in (s["name"], s["organization"], s["email"]) if v],
    )
    rows = list(
        csv.reader(io.StringIO(client.get(f"/m/workshops/{round_['id']}/registrations.csv").text.lstrip("\ufeff")))
    )
    for row in rows[1:]:
        for cell in row:
            if cell.startswith(FORMULA_START):
                checks.problems.append(f"CSV cell runs as a formula: {cell[:60]!r}")
    for message in server.messages:
        to = message["To"]
        addresses = to.addresses  # type: ignore[attr-defined]
        if len(addresses) != 1:
            checks.problems.append(f"mail with {len(addresses)} recipients: {str(to)[:120]!r}")
        for header in ("Bcc", "Cc", "Reply-To"):
            if message[header] is not None:
                checks.problems.append(f"mail carries an injected {header}: {message[header]!r:.80}")
    received = {m["To"].addresses[0].addr_spec for m in server.messages}  # type: ignore[attr-defined]
    missing = {s["email"] for s in stored} - received
    if missing:
        checks.problems.append(f"no confirmation mail for {sorted(missing)[:5]}")
    for s in stored:
        mails = [m for m in server.messages if m["To"].addresses[0].addr_spec == s["email"]]  # type: ignore[attr-defined]
        body = mails[0].get_body(preferencelist=("plain",)) if mails else None
        if body is None or s["name"] not in body.get_content():  # type: ignore[attr-defined]
            checks.problems.append(f"the mail to {s['email']} does not greet {s['name']!r:.80}")

    # The moderator's message: subject and text.
    before = len(server.messages)
    for name, rule, offset in (("subject", SUBJECT, 12), ("text", MESSAGE, 13)):
        for payload in sample(PER_FIELD // 2, offset=offset):
            fields = {"subject": "Hallo", "text": "Bis bald", name: payload.text}
            raw = form_body({**fields, "csrf_token": csrf(client)})
            response = client.post(
                f"/m/workshops/{round_['id']}/round/message",
                content=raw,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"},
            )
            want = expected(as_form_value(payload.text), rule)
            if checks.answer(f"message {name}", payload, response, want, len(raw)) and want and name == "subject":
                last = server.messages[-1]
                if str(last["Subject"]) != want:
                    checks.problems.append(f"subject {payload!r} arrived as {str(last['Subject'])!r:.80}")
    for message in server.messages[before:]:
        if len(message["To"].addresses) != 1 or message["Bcc"] is not None:  # type: ignore[attr-defined]
            checks.problems.append(f"message mail headers broken: {message['To']!r:.80}")
    assert not checks.problems, "\n".join(checks.problems[:40])
    assert checks.accepted > 40 and checks.refused > 40, (checks.accepted, checks.refused)
