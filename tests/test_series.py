"""Series, rounds, registration with waitlist, mail through a real local SMTP server, the
calendar and Atom feeds (parsed back), carry-over, publishing, and the retention purge with a
controlled clock (issue 12; ``docs/series.md``)."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from lxml import etree

from app.config import Settings
from app.domain.errors import Invalid
from app.domain.mail import Mail, email_check, mail_message, smtp_target
from tests.factories import bearer, db_run, join_api, login_as, make_moderator, set_phase
from tests.smtp import Inbox, settings_with_smtp

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def settings(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return settings_with_smtp(settings, inbox[1])


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: FastAPI, client: TestClient) -> Clock:
    controlled = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    app.state.clock = controlled
    return controlled


@pytest.fixture(autouse=True)
def english(api: TestClient, client: TestClient) -> None:
    """Messages are asserted in English (the catalog's German is checked by test_i18n)."""
    api.headers["Accept-Language"] = "en"
    client.headers["Accept-Language"] = "en"


START = "2026-12-10T14:00:00+01:00"


def _series(api: TestClient, token: str, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/api/v1/series",
        json={"title": "Smart-City-Austausch", "description": "Monatliche Runde", "rhythm": "monatlich", **extra},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _round(api: TestClient, token: str, series_id: str, **extra: Any) -> dict[str, Any]:
    body = {"title": "Runde 2", "starts_at": START, "duration_minutes": 90, "place": "Rathaus", "capacity": 2, **extra}
    response = api.post(f"/api/v1/series/{series_id}/rounds", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _register(api: TestClient, workshop_id: str, person: str, address: str, **extra: Any) -> Any:
    body = {"name": person, "organization": "Stadt", "group": "administration", "email": address, "consent": True}
    return api.post(
        f"/api/v1/workshops/{workshop_id}/registrations", json={**body, **extra}, headers={"Accept-Language": "en"}
    )


def _cancel_token(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"/r/([A-Za-z0-9._=-]+)", body.get_content())
    assert found, body.get_content()
    return found.group(1)


def _ics_of(message: EmailMessage) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_content())


def test_round_capacity_waitlist_cancel_and_move_up_through_real_smtp(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    server, _port = inbox
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token)
    assert series["rounds"] == [] and series["url"].endswith(f"/s/{series['id']}")
    round_ = _round(api, moderator.token, series["id"])
    assert round_["series_id"] == series["id"] and round_["capacity"] == 2
    assert round_["starts_at"].startswith("2026-12-10T13:00:00")  # stored in UTC

    statuses = [
        _register(api, round_["id"], name, f"{name.lower()}@example.org").json()["status"]
        for name in ("Ada", "Ben", "Cem")
    ]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert len(server.messages) == 3
    ada_mail = server.to("ada@example.org")[0]
    assert "Runde 2" in str(ada_mail["Subject"])
    event = next(iter(_ics_of(ada_mail).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 10, 14, 30, tzinfo=UTC)
    assert str(event["location"]) == "Rathaus"
    cem_mail = server.to("cem@example.org")[0]
    assert "waitlist" in cem_mail.get_body(preferencelist=("plain",)).get_content().lower() or "Warteliste" in str(
        cem_mail["Subject"]
    )

    # People read the time as it was given (14:00 at +01:00); the JSON and the .ics say UTC.
    page = api.get(series["url"].replace("http://testserver", ""))
    assert "2026-12-10 14:00 (UTC+0100)" in page.text
    assert "14:00 (UTC+0100)" in ada_mail.get_body(preferencelist=("plain",)).get_content()
    public = api.get(f"/api/v1/series/{series['id']}").json()
    assert [(r["confirmed"], r["waitlisted"], r["report_url"]) for r in public["rounds"]] == [(2, 1, None)]

    # Ada cancels with the link from her e-mail; Cem moves up and is told.
    token = _cancel_token(ada_mail)
    assert api.delete(f"/api/v1/registrations/{token}").json() == {"status": "cancelled"}
    assert len(server.to("cem@example.org")) == 2
    moved = server.to("cem@example.org")[1]
    assert "Cem" in moved.get_body(preferencelist=("plain",)).get_content()
    listed = api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(moderator.token)).json()
    assert {r["name"]: r["status"] for r in listed} == {"Ada": "cancelled", "Ben": "confirmed", "Cem": "confirmed"}
    assert set(listed[0]) == {"id", "name", "organization", "group", "email", "status", "created_at"}

    # Single use: the same link again is a clear 404, and so is a forged one.
    again = api.delete(f"/api/v1/registrations/{token}")
    assert again.status_code == 404 and "already been cancelled" in again.json()["detail"]
    forged = api.delete(f"/api/v1/registrations/{token[:-2]}xx")
    assert forged.status_code == 404 and "not valid" in forged.json()["detail"]


def test_registration_refuses_bad_input_and_strangers(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    moderator = make_moderator(app, client)
    other = make_moderator(app, client, email="other@example.org")
    series = _series(api, moderator.token)
    round_ = _round(api, moderator.token, series["id"])
    for extra, field_ in (
        ({"consent": False}, "agree to"),
        ({"email": "not-an-address"}, "e-mail"),
        ({"email": "a@example.org\r\nBcc: victim@example.org"}, "e-mail"),
        ({"email": "a@example.org, b@example.org"}, "e-mail"),
        ({"group": "aliens"}, "group"),
        ({"name": "Eve\r\nBcc: victim@example.org"}, "control characters"),
    ):
        response = _register(api, round_["id"], "Eve", "eve@example.org", **extra)
        assert response.status_code == 422, (extra, response.text)
        assert field_ in response.text.lower() or field_ in response.json()["detail"].lower(), response.text
    assert inbox[0].messages == []  # nothing was sent for refused input
    assert _register(api, "nonexistent", "Eve", "eve@example.org").status_code == 404
    plain = client.post("/api/v1/workshops", json={"title": "Kein Termin"}, headers=bearer(moderator.token)).json()
    assert _register(api, plain["id"], "Eve", "eve@example.org").status_code == 404
    # Only the round's moderators see the registrations; only the series' moderator adds rounds.
    assert api.get(f"/api/v1/workshops/{round_['id']}/registrations").status_code == 401
    assert api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(other.token)).status_code == 403
    participant = join_api(api, round_)
    assert (
        api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(participant["token"])).status_code
        == 403
    )
    body = {"title": "x", "starts_at": START}
    assert api.post(f"/api/v1/series/{series['id']}/rounds", json=body, headers=bearer(other.token)).status_code == 403
    naive = {"title": "x", "starts_at": "2026-12-10T14:00:00"}
    response = api.post(f"/api/v1/series/{series['id']}/rounds", json=naive, headers=bearer(moderator.token))
    assert response.status_code == 422 and "offset" in response.json()["detail"]
    assert api.post("/api/v1/series", json={"title": "x"}).status_code == 401


def test_header_injection_is_impossible() -> None:
    with pytest.raises(Invalid):
        email_check("a@example.org\nBcc: b@example.org")
    with pytest.raises(ValueError, match=r"linefeed|carriage"):
        mail_message(
            Mail(to="a@example.org", to_name="A", subject="Hi\r\nBcc: b@example.org", text="x"), sender="r@example.org"
        )
    raw = mail_message(
        Mail(to="a@example.org", to_name='Eve "<b@example.org>", x', subject="Grüße · ok", text="x"),
        sender="r@example.org",
    ).as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc" not in headers and headers.count(b"\nTo:") == 1
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["a@example.org"]
    # A long name with quotes and spaces once folded into a header that read back as "svg@".
    tricky = '<svg><a xlink:href="javascript:alert(1)"><text x="9" y="9">x</text></a></svg>'
    raw = mail_message(Mail(to="p2@example.org", to_name=tricky, subject="x", text="y"), sender="r@example.org")
    reparsed = email.message_from_bytes(raw.as_bytes(), policy=default_policy)
    assert [a.addr_spec for a in reparsed["To"].addresses] == ["p2@example.org"]
    assert smtp_target("smtps://u%40x:p@mail.example.org").port == 465
    assert smtp_target("smtp://mail.example.org?starttls=true").starttls


def test_ics_feed_and_atom_parse_back_and_publishing(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token, organizer="Zentrum für Digitalisierung")
    first = _round(api, moderator.token, series["id"], title="Runde 1", starts_at="2026-11-05T14:00:00+01:00")
    second = _round(api, moderator.token, series["id"], title="Runde 2", online_url="https://meet.example.org/r2")
    url = series["url"].replace("http://testserver", "")

    feed = client.get(f"{url}.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = list(Calendar.from_ical(feed.content).walk("VEVENT"))
    assert sorted(str(e["summary"]) for e in events) == [
        "Smart-City-Austausch: Runde 1",
        "Smart-City-Austausch: Runde 2",
    ]
    rounds = api.get(f"/api/v1/series/{series['id']}").json()["rounds"]
    one = client.get(rounds[1]["ics_url"].replace("http://testserver", ""))
    event = next(iter(Calendar.from_ical(one.content).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    assert "https://meet.example.org/r2" in str(event["description"])

    # The first round is over; its anonymous participant's name must not reach the public page.
    client.patch(f"/api/v1/workshops/{first['id']}", json={"anonymous": True}, headers=bearer(moderator.token))
    ada = join_api(api, first, name="Ada Lovelace-Geheim")
    topic = client.post(
        f"/api/v1/workshops/{first['id']}/topics", json={"title": "Beteiligung"}, headers=bearer(moderator.token)
    ).json()
    card = client.post(
        f"/api/v1/topics/{topic['id']}/cards",
        json={"kind": "need", "text": "Abendtermine"},
        headers=bearer(ada["token"]),
    )
    assert card.status_code == 201, card.text
    report_url_before = client.get(f"{url}/reports/{first['id']}")
    assert report_url_before.status_code == 404
    clock.now = datetime(2026, 11, 20, tzinfo=UTC)
    published = api.post(f"/api/v1/workshops/{first['id']}/publish", headers=bearer(moderator.token))
    assert published.status_code == 200
    report_path = published.json()["url"].replace("http://testserver", "")
    assert report_path == f"{url}/reports/{first['id']}"
    page = client.get(report_path)
    assert page.status_code == 200 and "Runde 1" in page.text
    assert "5. November 2026" in page.text  # the round's date, filled into the report's settings
    assert "Abendtermine" in page.text and "Ada Lovelace-Geheim" not in page.text
    assert "public" in page.headers["cache-control"] and page.headers["etag"]
    assert "set-cookie" not in page.headers
    assert f"{report_path}.pdf" in page.text
    pdf = client.get(f"{report_path}.pdf")  # was answered by the HTML route as an unknown round (404)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert re.search(r"""(?:src|href)=["']https?://(?!testserver)""", page.text) is None  # nothing from other sites
    assert client.get(report_path, headers={"If-None-Match": page.headers["etag"]}).status_code == 304
    listing = client.get(url)
    assert report_path in listing.text and "Runde 2" in listing.text

    atom = etree.fromstring(client.get(f"{url}.atom").content)
    assert atom.tag == f"{ATOM}feed"
    entries = atom.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Runde 1"]
    assert entries[0].find(f"{ATOM}link").get("href") == published.json()["url"]
    assert atom.findtext(f"{ATOM}updated") == "2026-11-20T00:00:00Z"

    assert api.delete(f"/api/v1/workshops/{first['id']}/publish", headers=bearer(moderator.token)).status_code == 200
    assert client.get(report_path).status_code == 404
    assert etree.fromstring(client.get(f"{url}.atom").content).findall(f"{ATOM}entry") == []
    assert second["id"]


def test_registrations_are_purged_after_retention_and_the_link_says_so(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token, retention_days=7)
    round_ = _round(api, moderator.token, series["id"], capacity=None)
    assert _register(api, round_["id"], "Ada", "ada@example.org").status_code == 201
    token = _cancel_token(inbox[0].to("ada@example.org")[0])
    listed = api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(moderator.token))

    # The round ends 2026-12-10 14:30 UTC; 7 days later minus a minute, the data is still there.
    clock.now = datetime(2026, 12, 17, 14, 29, tzinfo=UTC)
    assert len(api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(moderator.token)).json()) == 1
    assert len(listed.json()) == 1
    clock.now += timedelta(minutes=2)
    assert api.get(f"/api/v1/workshops/{round_['id']}/registrations", headers=bearer(moderator.token)).json() == []
    page = client.get(f"/r/{token}")
    assert page.status_code == 404 and "no longer exists" in page.text and "deleted" in page.text
    assert "Internal" not in page.text
    # Reads leave the expired registration out but change no row (GET is safe) ...
    from sqlalchemy import func, select

    from app.domain.registrations import registrations_purge
    from app.models import Registration

    async def count(session: Any) -> int:
        return int((await session.execute(select(func.count()).select_from(Registration))).scalar_one())

    assert db_run(app, count) == 1
    # ... the next write of the area (here the cancellation itself) deletes it, as the periodic
    # purge of the app's lifespan does.
    gone = api.delete(f"/api/v1/registrations/{token}")
    assert gone.status_code == 404 and "no longer exists" in gone.json()["detail"]
    assert db_run(app, count) == 0
    page = client.get(f"/r/{token}")
    assert page.status_code == 404 and "no longer exists" in page.text

    async def purge(session: Any) -> int:
        return await registrations_purge(session=session, now=clock.now)

    assert db_run(app, purge) == 0  # nothing left, and a second run is harmless


def test_registration_form_confirmation_page_and_join_link_prefill(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token, consent_text="Für die Organisation der Austauschrunde.")
    round_ = _round(api, moderator.token, series["id"])
    form_url = f"/s/{series['id']}/rounds/{round_['id']}/register"
    browser = TestClient(app, base_url="http://testserver")
    page = browser.get(form_url)
    assert "Für die Organisation der Austauschrunde." in page.text
    token = browser.cookies.get("runde_csrf")
    fields = {"name": "Ada", "organization": "Stadt Jena", "group": "science", "email": "ada@example.org"}
    refused = browser.post(form_url, data={**fields, "csrf_token": token})
    assert refused.status_code == 422 and 'value="Stadt Jena"' in refused.text
    done = browser.post(form_url, data={**fields, "consent": "yes", "csrf_token": token})
    assert done.status_code == 200 and "ada@example.org" in done.text

    # The moderator's message carries each person's join link; it fills the join form in.
    login_as(client, moderator)
    message = client.post(
        f"/m/workshops/{round_['id']}/round/message",
        data={
            "subject": "Heute",
            "text": "Bis gleich!",
            "join_link": "yes",
            "csrf_token": client.cookies["runde_csrf"],
        },
    )
    assert message.status_code == 200
    sent = inbox[0].to("ada@example.org")[-1]
    assert str(sent["Subject"]) == "Heute"
    join = re.search(r"(/r/[A-Za-z0-9._=-]+/join)", sent.get_body(preferencelist=("plain",)).get_content())
    assert join
    prefilled = TestClient(app, base_url="http://testserver").get(join.group(1))
    assert 'value="Ada"' in prefilled.text and 'value="Stadt Jena"' in prefilled.text
    assert re.search(r'value="science"[^>]*checked', prefilled.text)

    overview = client.get(f"/m/workshops/{round_['id']}/round")
    assert overview.status_code == 200 and "Stadt Jena" in overview.text
    csv = client.get(f"/m/workshops/{round_['id']}/registrations.csv")
    assert csv.headers["content-type"].startswith("text/csv") and "ada@example.org" in csv.text


def test_carry_over_keeps_a_reference_back(
    app: FastAPI, client: TestClient, api: TestClient, inbox: tuple[Inbox, int], clock: Clock
) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token)
    first = _round(api, moderator.token, series["id"], title="Runde 1", starts_at="2026-11-05T14:00:00+01:00")
    second = _round(api, moderator.token, series["id"], title="Runde 2")
    topic = client.post(
        f"/api/v1/workshops/{first['id']}/topics", json={"title": "Stadtlabore"}, headers=bearer(moderator.token)
    ).json()
    ada = join_api(api, first)
    card = client.post(
        f"/api/v1/topics/{topic['id']}/cards",
        json={"kind": "question", "text": "Wie finanzieren sich Stadtlabore?"},
        headers=bearer(ada["token"]),
    )
    assert card.status_code == 201, card.text
    statement = client.post(
        f"/api/v1/topics/{topic['id']}/statements",
        json={"text": "Stadtlabore vermieten Aufmerksamkeit."},
        headers=bearer(moderator.token),
    ).json()
    set_phase(client, moderator.token, topic["id"], "consent")
    rated = client.put(
        f"/api/v1/statements/{statement['id']}/rating",
        json={"level": "block", "reason": "nein"},
        headers=bearer(ada["token"]),
    )
    assert rated.status_code == 200, rated.text
    login_as(client, moderator)
    page = client.get(f"/m/workshops/{second['id']}/round")
    assert "Wie finanzieren sich Stadtlabore?" in page.text and "Stadtlabore vermieten Aufmerksamkeit." in page.text
    done = client.post(
        f"/m/workshops/{second['id']}/round/carry-over",
        data={
            "source": first["id"],
            "items": [f"question:{card.json()['id']}", f"statement:{statement['id']}"],
            "as_kind": "topic",
            "csrf_token": client.cookies["runde_csrf"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    topics = client.get(f"/api/v1/workshops/{second['id']}", headers=bearer(moderator.token)).json()["topics"]
    titles = [t["title"] for t in topics]
    assert "Wie finanzieren sich Stadtlabore?" in titles and "Stadtlabore vermieten Aufmerksamkeit." in titles
    assert all("Runde 1" in t["prompt"] for t in topics if t["title"].startswith(("Wie", "Stadtlabore")))
    again = client.get(f"/m/workshops/{second['id']}/round")
    assert again.text.count("disabled") >= 2  # both are marked as carried over

    # The next step becomes a card on one of the new topics, with its reference back.
    client.patch(
        f"/api/v1/workshops/{first['id']}/report",
        json={"next_steps": "Förderprogramme sichten."},
        headers=bearer(moderator.token),
    )
    target = topics[0]["id"]
    done = client.post(
        f"/m/workshops/{second['id']}/round/carry-over",
        data={
            "source": first["id"],
            "items": ["next_step:1"],
            "as_kind": "card",
            "topic_id": target,
            "csrf_token": client.cookies["runde_csrf"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    cards = client.get(f"/api/v1/topics/{target}/cards", headers=bearer(moderator.token)).json()
    assert [c["text"] for c in cards] == ["Förderprogramme sichten."]

    async def references(session: Any) -> list[tuple[str, str, str, str]]:
        from sqlalchemy import select

        from app.models import CarryOver

        rows = (await session.execute(select(CarryOver).order_by(CarryOver.created_at))).scalars().all()
        return [(r.source_workshop_id, r.source_kind, r.target_kind, r.target_id) for r in rows]

    refs = db_run(app, references)
    assert [(r[0], r[1], r[2]) for r in refs] == [
        (first["id"], "question", "topic"),
        (first["id"], "statement", "topic"),
        (first["id"], "next_step", "card"),
    ]
    assert refs[2][3] == cards[0]["id"]
    # Carrying the same item again is refused with a readable message, not a duplicate.
    twice = client.post(
        f"/m/workshops/{second['id']}/round/carry-over",
        data={
            "source": first["id"],
            "items": ["next_step:1"],
            "as_kind": "topic",
            "csrf_token": client.cookies["runde_csrf"],
        },
    )
    assert twice.status_code == 422 and "Choose at least one open item" in twice.text
