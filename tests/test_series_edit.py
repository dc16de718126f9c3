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
from tests.factories import bearer, csrf, db_run, join_api, login_as, make_moderator, typed_into

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


# --- the hide-until-reveal default ---------------------------------------------------------------


def _hides(api: TestClient, token: str, workshop_id: str) -> tuple[bool, bool]:
    """The round's ``hide_until_reveal_default``, and ``hide_until_reveal`` of a topic added to it."""
    workshop = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(token))
    assert workshop.status_code == 200, workshop.text
    topic = api.post(f"/api/v1/workshops/{workshop_id}/topics", json={"title": "Thema"}, headers=bearer(token))
    assert topic.status_code == 201, topic.text
    return workshop.json()["hide_until_reveal_default"], topic.json()["hide_until_reveal"]


def test_a_series_hands_hide_until_reveal_to_its_rounds_through_the_api(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    plain = _series(api, moderator.token)
    assert _hides(api, moderator.token, _round(api, moderator.token, plain["id"], "Runde 1")["id"]) == (False, False)

    hiding = api.post(
        "/api/v1/series",
        json={"title": "Verdeckt sammeln", "hide_until_reveal_default": True},
        headers=bearer(moderator.token),
    )
    assert hiding.status_code == 201, hiding.text
    assert set(hiding.json()) == {"id", "title", "description", "url", "rounds"}  # the answer stays as agreed
    assert _hides(api, moderator.token, _round(api, moderator.token, hiding.json()["id"], "Runde 1")["id"]) == (
        True,
        True,
    )

    url = f"/api/v1/series/{plain['id']}"
    first = _round(api, moderator.token, plain["id"], "Runde 2")
    changed = api.patch(url, json={"hide_until_reveal_default": True}, headers=bearer(moderator.token))
    assert changed.status_code == 200, changed.text
    assert _hides(api, moderator.token, _round(api, moderator.token, plain["id"], "Runde 3")["id"]) == (True, True)
    assert _hides(api, moderator.token, first["id"]) == (False, False), "a round already created keeps its own"
    # Left out: unchanged; false: off again.
    assert api.patch(url, json={"rhythm": "wöchentlich"}, headers=bearer(moderator.token)).status_code == 200
    assert _hides(api, moderator.token, _round(api, moderator.token, plain["id"], "Runde 4")["id"]) == (True, True)
    assert api.patch(url, json={"hide_until_reveal_default": False}, headers=bearer(moderator.token)).status_code == 200
    assert _hides(api, moderator.token, _round(api, moderator.token, plain["id"], "Runde 5")["id"]) == (False, False)


def test_the_series_forms_hand_hide_until_reveal_to_its_rounds(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    create_form = BeautifulSoup(client.get("/m/series").text, "html.parser")
    box = create_form.select_one("form[action='/m/series'] input[name=hide_until_reveal_default]")
    assert box is not None and box["type"] == "checkbox" and not box.has_attr("checked"), "off unless chosen"
    assert create_form.select_one(f"#{box['aria-describedby']}") is not None

    def create(**fields: str) -> str:
        sent = {"title": "Reihe", "retention_days": "30", "locale": "de", **fields, "csrf_token": csrf(client)}
        created = client.post("/m/series", data=sent, follow_redirects=False)
        assert created.status_code == 303, created.text
        return str(created.headers["location"]).rsplit("/", 1)[1]

    def new_round(series_id: str) -> str:
        return str(_round(api, moderator.token, series_id, "Runde")["id"])

    assert _hides(api, moderator.token, new_round(create())) == (False, False)
    series_id = create(hide_until_reveal_default="on")
    assert _hides(api, moderator.token, new_round(series_id)) == (True, True)

    # The edit form shows it as saved; sent without the box, new rounds show their cards again.
    page_url = f"/m/series/{series_id}"
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    edit_box = page.select_one("#edit-series [name=hide_until_reveal_default]")
    assert (
        edit_box is not None and edit_box.has_attr("checked") and edit_box["id"] == "series-hide_until_reveal_default"
    )
    fields = {"title": "Reihe", "retention_days": "30", "locale": "de", "csrf_token": csrf(client)}
    saved = client.post(page_url, data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert not page.select_one("#edit-series [name=hide_until_reveal_default]").has_attr("checked")
    assert _hides(api, moderator.token, new_round(series_id)) == (False, False)
    # German (scripts/i18n_maps/left.py).
    client.headers["Accept-Language"] = "de"
    german = BeautifulSoup(client.get(page_url).text, "html.parser")
    label = german.select_one("#edit-series [name=hide_until_reveal_default]").parent.get_text(" ", strip=True)
    assert label == "Themen neuer Runden: Beiträge verbergen, bis die Moderation sie aufdeckt", label


# --- the maximum of dots per card ----------------------------------------------------------------


def _default_settings(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Every series' stored ``default_settings`` by id: what its new rounds copy (the series' JSON
    answer carries no settings, ``docs/api.md``)."""

    async def work(session: Any) -> dict[str, dict[str, Any]]:
        from sqlalchemy import select

        from app.models import Series

        return {s.id: dict(s.default_settings or {}) for s in (await session.execute(select(Series))).scalars()}

    return db_run(app, work)


def _max_per_card(api: TestClient, token: str, workshop_id: str) -> int:
    workshop = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(token))
    assert workshop.status_code == 200, workshop.text
    value: int = workshop.json()["max_dots_per_card"]
    return value


def test_a_series_hands_max_dots_per_card_to_its_rounds_through_the_api(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    created = api.post(
        "/api/v1/series",
        json={"title": "Sparsam punkten", "dot_budget": 6, "max_dots_per_card": 3},
        headers=bearer(moderator.token),
    )
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"id", "title", "description", "url", "rounds"}  # the answer stays as agreed
    series_id = created.json()["id"]
    assert _default_settings(app)[series_id] == {"dot_budget": 6, "max_dots_per_card": 3}
    first = _round(api, moderator.token, series_id, "Runde 1")
    assert _max_per_card(api, moderator.token, first["id"]) == 3

    url = f"/api/v1/series/{series_id}"
    changed = api.patch(url, json={"max_dots_per_card": 5}, headers=bearer(moderator.token))
    assert changed.status_code == 200, changed.text
    assert _default_settings(app)[series_id] == {"dot_budget": 6, "max_dots_per_card": 5}
    assert _max_per_card(api, moderator.token, _round(api, moderator.token, series_id, "Runde 2")["id"]) == 5
    assert _max_per_card(api, moderator.token, first["id"]) == 3, "a round already created keeps its own"
    # Left out (by the API, and by a post of the series form without the field): unchanged.
    assert api.patch(url, json={"rhythm": "wöchentlich"}, headers=bearer(moderator.token)).status_code == 200
    login_as(client, moderator)
    fields = {"title": "Sparsam punkten", "retention_days": "30", "locale": "de", "csrf_token": csrf(client)}
    assert client.post(f"/m/series/{series_id}", data=fields, follow_redirects=False).status_code == 303
    kept = _default_settings(app)[series_id]
    assert (kept["dot_budget"], kept["max_dots_per_card"]) == (6, 5), kept
    assert _max_per_card(api, moderator.token, _round(api, moderator.token, series_id, "Runde 3")["id"]) == 5


def test_a_series_refuses_a_max_dots_per_card_out_of_range_and_changes_nothing(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    english = {**bearer(moderator.token), "Accept-Language": "en"}
    message = "The maximum per card must be between 1 and 50."
    for value in (0, 51):
        refused = api.post("/api/v1/series", json={"title": "Zu viel", "max_dots_per_card": value}, headers=english)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == message, refused.text
    assert _default_settings(app) == {}, "no series was created"

    series = _series(api, moderator.token)
    url = f"/api/v1/series/{series['id']}"
    assert api.patch(url, json={"max_dots_per_card": 4}, headers=english).status_code == 200
    for value in (0, 51):
        refused = api.patch(url, json={"max_dots_per_card": value, "description": "Neu"}, headers=english)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == message, refused.text
    assert api.get(url).json()["description"] == "Monatliche Runde"  # nothing of it was saved
    assert _default_settings(app)[series["id"]] == {"max_dots_per_card": 4}
    # German, like the workshop's own check.
    german = api.patch(url, json={"max_dots_per_card": 0}, headers={**bearer(moderator.token), "Accept-Language": "de"})
    assert german.status_code == 422, german.text
    assert german.json()["detail"] == "Das Maximum je Beitrag muss zwischen 1 und 50 liegen."


def test_the_api_can_set_every_setting_a_series_hands_on() -> None:
    """Each setting a new round copies can be given to the series by the API (max_dots_per_card
    was missing once: a series could hand it on but nobody could set it)."""
    from app.domain.series import SETTING_FIELDS
    from app.routes.series.common import SeriesIn, SeriesPatch

    assert set(SETTING_FIELDS) <= set(SeriesIn.model_fields) and set(SETTING_FIELDS) <= set(SeriesPatch.model_fields)


# --- the consensus threshold and the dots, in the series form ------------------------------------

#: The form's inputs for the three settings: name, then the id (without the edit form's
#: ``series-`` prefix), which is also the key of its error (the threshold is typed in percent).
DOT_INPUTS = (
    ("consensus_percent", "consensus_threshold"),
    ("dot_budget", "dot_budget"),
    ("max_dots_per_card", "max_dots_per_card"),
)


def _round_settings(api: TestClient, token: str, series_id: str) -> tuple[float, int, int]:
    """A new round's threshold, dot budget and maximum per card, as its workshop shows them."""
    workshop_id = _round(api, token, series_id, "Runde")["id"]
    workshop = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(token))
    assert workshop.status_code == 200, workshop.text
    data = workshop.json()
    return data["consensus_threshold"], data["dot_budget"], data["max_dots_per_card"]


def test_the_series_forms_set_the_consensus_threshold_and_the_dots(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    page = BeautifulSoup(client.get("/m/series").text, "html.parser")
    form = page.select_one("form[action='/m/series']")
    # Each labelled, a whole number, filled in with what a round gets when nothing is chosen.
    for (name, id_), value in zip(DOT_INPUTS, ("75", "5", "3"), strict=True):
        field = form.select_one(f"input[name={name}]")
        assert field is not None and field["id"] == id_ and field["type"] == "text", name
        assert field["value"] == value and field["inputmode"] == "numeric", name
        assert form.select_one(f"label[for={id_}]") is not None, name
    assert form.select_one("label[for=dot_budget]").get_text() == "Dots per person and topic"
    assert page.select_one(f"#{form.select_one('#consensus_threshold')['aria-describedby']}") is not None

    sent = {
        "title": "Reihe",
        "retention_days": "30",
        "locale": "de",
        "consensus_percent": "80",
        "dot_budget": "7",
        "max_dots_per_card": "2",
        "csrf_token": csrf(client),
    }
    created = client.post("/m/series", data=sent, follow_redirects=False)
    assert created.status_code == 303, created.text
    series_id = str(created.headers["location"]).rsplit("/", 1)[1]
    stored = _default_settings(app)[series_id]
    assert (stored["consensus_threshold"], stored["dot_budget"], stored["max_dots_per_card"]) == (0.8, 7, 2), stored
    first = _round(api, moderator.token, series_id, "Runde 1")
    assert _round_settings(api, moderator.token, series_id) == (0.8, 7, 2)

    # The edit form shows them as saved and changes them for new rounds only.
    page_url = f"/m/series/{series_id}"
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    for (name, id_), value in zip(DOT_INPUTS, ("80", "7", "2"), strict=True):
        field = page.select_one(f"#edit-series input[name={name}]")
        assert field is not None and field["id"] == f"series-{id_}" and field["value"] == value, name
        assert page.select_one(f"#edit-series label[for=series-{id_}]") is not None, name
    changed = {**sent, "consensus_percent": "100", "dot_budget": "10", "max_dots_per_card": "4"}
    saved = client.post(page_url, data={**changed, "csrf_token": csrf(client)}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert _round_settings(api, moderator.token, series_id) == (1.0, 10, 4)
    kept = api.get(f"/api/v1/workshops/{first['id']}", headers=bearer(moderator.token)).json()
    assert (kept["consensus_threshold"], kept["dot_budget"], kept["max_dots_per_card"]) == (0.8, 7, 2)
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert [page.select_one(f"#edit-series input[name={n}]")["value"] for n, _ in DOT_INPUTS] == ["100", "10", "4"]
    # Left empty (or left out of the post): unchanged, as in the workshop's own settings form.
    blank = {**sent, "consensus_percent": "", "dot_budget": " ", "max_dots_per_card": ""}
    assert client.post(page_url, data={**blank, "csrf_token": csrf(client)}, follow_redirects=False).status_code == 303
    assert _round_settings(api, moderator.token, series_id) == (1.0, 10, 4)
    # German (the workshop settings' own labels).
    client.headers["Accept-Language"] = "de"
    german = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert (
        german.select_one("label[for=series-max_dots_per_card]").get_text()
        == "Höchstens Punkte auf einer Karte oder einem Cluster"
    )


#: A bad value for each of the three: the field sent, what was typed, the input's id and the
#: message shown next to it.
BAD_DOTS = (
    ("dot_budget", "0", "dot_budget", "The dot budget must be between 1 and 50."),
    ("dot_budget", "fünf", "dot_budget", "Please enter a whole number."),
    ("max_dots_per_card", "51", "max_dots_per_card", "The maximum per card must be between 1 and 50."),
    ("max_dots_per_card", "2.5", "max_dots_per_card", "Please enter a whole number."),
    (
        "consensus_percent",
        "49",
        "consensus_threshold",
        "The consensus threshold must be between 50 and 100 percent (0.5 to 1).",
    ),
    (
        "consensus_percent",
        "101",
        "consensus_threshold",
        "The consensus threshold must be between 50 and 100 percent (0.5 to 1).",
    ),
    ("consensus_percent", "0.8", "consensus_threshold", "Please enter a whole number."),
)


def _refused(page: BeautifulSoup, id_: str, typed: str, message: str) -> None:
    """The page marks the input (``id_``), says ``message`` next to it and keeps ``typed``."""
    field = page.select_one(f"#{id_}")
    assert field is not None and field["value"] == typed, (id_, field)
    assert field["aria-invalid"] == "true" and f"{id_}-error" in field["aria-describedby"].split(), field
    assert page.select_one(f"#{id_}-error").get_text() == message


def test_the_series_forms_refuse_a_bad_threshold_or_dot_count_and_save_nothing(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    good = {
        "title": "Reihe",
        "rhythm": "monatlich",
        "retention_days": "30",
        "locale": "de",
        "consensus_percent": "80",
        "dot_budget": "7",
        "max_dots_per_card": "2",
    }
    for name, typed, id_, message in BAD_DOTS:
        refused = client.post("/m/series", data={**good, name: typed, "csrf_token": csrf(client)})
        assert refused.status_code == 422, (name, typed, refused.text)
        page = BeautifulSoup(refused.text, "html.parser")
        _refused(page, id_, typed, message)
        assert page.select_one("#rhythm")["value"] == "monatlich" and page.select_one("#dot_budget") is not None
    assert _default_settings(app) == {}, "no series was created"

    created = client.post("/m/series", data={**good, "csrf_token": csrf(client)}, follow_redirects=False)
    assert created.status_code == 303, created.text
    series_id = str(created.headers["location"]).rsplit("/", 1)[1]
    page_url = f"/m/series/{series_id}"
    before = _default_settings(app)[series_id]
    for name, typed, id_, message in BAD_DOTS:
        sent = {**good, "title": "Umbenannt", name: typed, "csrf_token": csrf(client)}
        refused = client.post(page_url, data=sent)
        assert refused.status_code == 422, (name, typed, refused.text)
        page = BeautifulSoup(refused.text, "html.parser")
        _refused(page, f"series-{id_}", typed, message)
        assert page.select_one("#series-title")["value"] == "Umbenannt"
        assert page.select_one("#edit-series [role=alert]") is not None
    assert _default_settings(app)[series_id] == before
    assert api.get(f"/api/v1/series/{series_id}").json()["title"] == "Reihe", "nothing of it was saved"
    assert _round_settings(api, moderator.token, series_id) == (0.8, 7, 2)
    # German, like the workshop's own check.
    client.headers["Accept-Language"] = "de"
    german = client.post(page_url, data={**good, "dot_budget": "0", "csrf_token": csrf(client)})
    assert german.status_code == 422
    error = BeautifulSoup(german.text, "html.parser").select_one("#series-dot_budget-error")
    assert error.get_text() == "Die Zahl der Punkte muss zwischen 1 und 50 liegen."


# --- whole numbers as the browser sends them ------------------------------------------------------

#: Not whole numbers, typed into each whole-number field of the series form: field sent, what
#: was typed, the input's id (without the edit form's ``series-``), the message next to it.
TYPED_NOT_WHOLE = (
    ("dot_budget", "fünf", "dot_budget", "Please enter a whole number."),
    ("dot_budget", "2.5", "dot_budget", "Please enter a whole number."),
    ("max_dots_per_card", "zwei", "max_dots_per_card", "Please enter a whole number."),
    ("consensus_percent", "achtzig", "consensus_threshold", "Please enter a whole number."),
    ("consensus_percent", "2.5", "consensus_threshold", "Please enter a whole number."),
    ("retention_days", "zehn", "retention_days", "Please enter a whole number."),
)


def test_letters_typed_into_the_series_forms_reach_the_server_and_are_refused(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    """Sent as the browser sends the rendered forms: letters in an ``<input type="number">``
    left it empty, and the novalidate form sent "" (a new series took the defaults, an edit kept
    the old value and said saved) while the typed value was gone."""
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    for name, typed, id_, message in TYPED_NOT_WHOLE:
        form = BeautifulSoup(client.get("/m/series").text, "html.parser").select_one("form[action='/m/series']")
        assert form is not None
        sent = typed_into(form, {"title": "Reihe", "rhythm": "monatlich", name: typed})
        refused = client.post("/m/series", data=sent, follow_redirects=False)
        assert refused.status_code == 422, (name, typed, refused.status_code, refused.headers.get("location"))
        page = BeautifulSoup(refused.text, "html.parser")
        _refused(page, id_, typed, message)
        assert page.select_one("#rhythm")["value"] == "monatlich"
    assert _default_settings(app) == {}, "no series was created"

    series_id = _series(api, moderator.token)["id"]
    page_url = f"/m/series/{series_id}"
    before = _default_settings(app)[series_id]
    for name, typed, id_, message in TYPED_NOT_WHOLE:
        form = BeautifulSoup(client.get(page_url).text, "html.parser").select_one("#edit-series form")
        assert form is not None
        refused = client.post(page_url, data=typed_into(form, {"title": "Umbenannt", name: typed}))
        assert refused.status_code == 422, (name, typed, refused.status_code, refused.headers.get("location"))
        page = BeautifulSoup(refused.text, "html.parser")
        _refused(page, f"series-{id_}", typed, message)
        assert page.select_one("#series-title")["value"] == "Umbenannt"
    assert _default_settings(app)[series_id] == before
    assert api.get(f"/api/v1/series/{series_id}").json()["title"] == "Smart-City-Austausch", "nothing was saved"
    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert page.select_one("#series-retention_days")["value"] == "30"


def test_letters_typed_into_the_round_form_reach_the_server_and_are_refused(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    """The new round's duration and places: letters left an ``<input type="number">`` empty, and
    empty means the default (120 minutes) and no limit, so the round was made without them."""
    moderator = make_moderator(app, client)
    login_as(client, moderator)
    client.headers["Accept-Language"] = "en"
    series_id = _series(api, moderator.token)["id"]
    page_url = f"/m/series/{series_id}"
    for name, typed, message in (
        ("capacity", "zwanzig", "Please enter a whole number."),
        ("capacity", "2.5", "Please enter a whole number."),
        ("duration_minutes", "zwei Stunden", "Please enter a whole number."),
    ):
        form = BeautifulSoup(client.get(page_url).text, "html.parser").select_one("form[action$='/rounds']")
        assert form is not None
        sent = typed_into(form, {"title": "Runde 1", "starts_at": "2031-01-10T14:00", name: typed})
        refused = client.post(form["action"], data=sent, follow_redirects=False)
        assert refused.status_code == 422, (name, typed, refused.status_code, refused.headers.get("location"))
        _refused(BeautifulSoup(refused.text, "html.parser"), name, typed, message)
    assert api.get(f"/api/v1/series/{series_id}").json()["rounds"] == [], "no round was made"
