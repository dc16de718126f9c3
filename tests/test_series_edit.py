"""Editing a series after it was created: the API's ``PATCH /api/v1/series/{id}`` and the form
on the series page — validated like the creation, refused without changing anything, only by
the series' moderator; new rounds copy the new groups and settings, rounds already created
keep their own, and a new retention period moves every round's purge date (``docs/series.md``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.series import aware
from tests.factories import bearer, csrf, db_run, join_api, login_as, make_moderator

START = "2026-12-10T14:00:00+01:00"  # ends 14:00 UTC with its 60 minutes


def _series(api: TestClient, token: str) -> dict[str, Any]:
    response = api.post(
        "/api/v1/series",
        json={"title": "Smart-City-Austausch", "description": "Monatliche Runde", "rhythm": "monatlich"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _round(api: TestClient, token: str, series_id: str, title: str) -> dict[str, Any]:
    body = {"title": title, "starts_at": START, "duration_minutes": 60}
    response = api.post(f"/api/v1/series/{series_id}/rounds", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _purge_dates(app: FastAPI, series_id: str) -> list[datetime]:
    async def work(session: Any) -> list[datetime]:
        from sqlalchemy import select

        from app.models import SeriesRound

        rounds = (await session.execute(select(SeriesRound).where(SeriesRound.series_id == series_id))).scalars()
        return [aware(r.purge_at) for r in rounds.all()]

    return db_run(app, work)


def test_the_api_edits_a_series_and_new_rounds_copy_it(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token)
    url = f"/api/v1/series/{series['id']}"
    before = _round(api, moderator.token, series["id"], "Runde 1")
    assert _purge_dates(app, series["id"]) == [datetime(2027, 1, 9, 14, 0, tzinfo=UTC)]  # 30 days, the default

    changed = api.patch(
        url,
        json={
            "title": "Smart-City-Austausch 2027",
            "description": "Jetzt vierteljährlich",
            "rhythm": "vierteljährlich",
            "retention_days": 7,
            "locale": "en",
            "anonymous": True,
            "groups": [{"key": "city", "label": "Stadt", "label_en": "City"}, {"key": "people", "label": "Leute"}],
        },
        headers=bearer(moderator.token),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Smart-City-Austausch 2027"
    public = api.get(url).json()
    assert (public["title"], public["description"]) == ("Smart-City-Austausch 2027", "Jetzt vierteljährlich")
    assert [r["workshop_id"] for r in public["rounds"]] == [before["id"]]
    assert _purge_dates(app, series["id"]) == [datetime(2026, 12, 17, 14, 0, tzinfo=UTC)]  # 7 days now

    # A new round copies the new groups and settings; the first round keeps its own.
    after = _round(api, moderator.token, series["id"], "Runde 2")
    new = api.get(f"/api/v1/workshops/{after['id']}", headers=bearer(moderator.token)).json()
    old = api.get(f"/api/v1/workshops/{before['id']}", headers=bearer(moderator.token)).json()
    assert [g["key"] for g in new["groups"]] == ["city", "people"] and new["locale"] == "en"
    assert new["anonymous"] is True and new["description"] == "Jetzt vierteljährlich"
    assert len(old["groups"]) == 4 and old["locale"] == "de" and old["anonymous"] is False
    # Only what was sent changes.
    assert api.patch(url, json={"rhythm": "monatlich"}, headers=bearer(moderator.token)).status_code == 200
    assert api.get(url).json()["title"] == "Smart-City-Austausch 2027"


def test_the_api_refuses_bad_edits_and_strangers_and_changes_nothing(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token)
    url = f"/api/v1/series/{series['id']}"
    mine = bearer(moderator.token)
    for body, field in (
        ({"title": "  ", "description": "Neu"}, "fill in"),
        ({"retention_days": 5000, "description": "Neu"}, "3650"),
        ({"groups": [], "description": "Neu"}, "at least one"),
        ({"locale": "fr", "description": "Neu"}, "German"),
        ({"dot_budget": 0, "description": "Neu"}, "dot budget"),
    ):
        refused = api.patch(url, json=body, headers={**mine, "Accept-Language": "en"})
        assert refused.status_code == 422 and field in refused.json()["detail"], (body, refused.text)
    assert api.patch(url, json={"secret": 1}, headers=mine).status_code == 422
    assert api.get(url).json()["description"] == "Monatliche Runde"  # nothing of it was saved

    other = make_moderator(app, client, email="other@example.org")
    assert api.patch(url, json={"title": "Gekapert"}, headers=bearer(other.token)).status_code == 403
    round_ = _round(api, moderator.token, series["id"], "Runde 1")
    participant = join_api(api, {"join_code": round_["join_code"]}, group="science")
    assert api.patch(url, json={"title": "Gekapert"}, headers=bearer(participant["token"])).status_code == 403
    assert api.patch(url, json={"title": "Gekapert"}).status_code == 401
    assert api.patch("/api/v1/series/nope", json={"title": "x"}, headers=mine).status_code == 404
    assert api.get(url).json()["title"] == "Smart-City-Austausch"


def test_the_series_page_edits_the_series(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, client)
    series = _series(api, moderator.token)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    page_url = f"/m/series/{series['id']}"
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    form = page.select_one(f"form[action='{page_url}']")
    assert form is not None and form["method"] == "post"
    # Every field labelled, filled in with the series as it is; ids apart from the round form's.
    for name, value in (("title", "Smart-City-Austausch"), ("rhythm", "monatlich"), ("retention_days", "30")):
        field = form.select_one(f"[name={name}]")
        assert field is not None and field["id"] == f"series-{name}" and field["value"] == value
        assert form.select_one(f"label[for=series-{name}]") is not None
    assert form.select_one("#series-description").get_text() == "Monatliche Runde"
    assert page.select_one("#title") is not None  # the new-round form keeps its own ids

    fields = {
        "title": "Austausch 2027",
        "description": "Neu beschrieben",
        "organizer": "Stadt Musterstadt",
        "rhythm": "vierteljährlich",
        "consent_text": "Zur Organisation.",
        "retention_days": "14",
        "locale": "en",
        "anonymous": "on",
    }
    saved = client.post(page_url, data={**fields, "csrf_token": csrf(client)}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{page_url}?saved=1#edit-series"
    page = BeautifulSoup(client.get(saved.headers["location"]).text, "html.parser")
    assert page.select_one("h1").get_text() == "Austausch 2027"
    assert page.select_one("p.status[role=status]").get_text() == "The series was saved."
    assert page.select_one("#series-locale option[selected]")["value"] == "en"
    assert page.select_one("#edit-series [name=anonymous]").has_attr("checked")
    assert api.get(f"/api/v1/series/{series['id']}").json()["description"] == "Neu beschrieben"

    # Refused: the page keeps what was typed, marks the field, and the series stays as saved.
    refused = client.post(page_url, data={**fields, "title": "", "rhythm": "wöchentlich", "csrf_token": csrf(client)})
    assert refused.status_code == 422
    page = BeautifulSoup(refused.text, "html.parser")
    title = page.select_one("#series-title")
    assert title["aria-invalid"] == "true" and title["aria-describedby"] == "series-title-error"
    assert page.select_one("#series-title-error").get_text() == "Please fill in this field."
    assert page.select_one("#series-rhythm")["value"] == "wöchentlich"
    assert api.get(f"/api/v1/series/{series['id']}").json()["title"] == "Austausch 2027"
    # Translated: the German page (scripts/i18n_maps/report4.py).
    client.headers["Accept-Language"] = "de"
    german = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert german.select_one("#edit-series-heading").get_text() == "Reihe bearbeiten"
