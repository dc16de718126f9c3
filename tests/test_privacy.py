"""Privacy (issue 13, ``docs/privacy.md``): "my data", "delete me" and erasure by moderators,
the three anonymity levels through pages, API and exports, stricter-only changes, retention
with a controlled clock, the data migration of the old flag, and the legal pages.

Pushes and replays after an erasure are tested with real sockets in
``tests/test_privacy_live.py``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.domain.retention import retention_purge
from app.main import create_app
from app.migrate import alembic_config, migrate
from app.models import ModerationRecord, Participant, Workshop
from tests.conftest import SECRET
from tests.factories import (
    ModeratorInfo,
    bearer,
    create_statement,
    create_workshop,
    csrf,
    db_run,
    join_api,
    join_browser,
    login_as,
    make_moderator,
    participant_ids,
    post_card,
    rate,
    set_options,
    set_phase,
)
from tests.report_world import PEOPLE, build_world

Json = dict[str, Any]


def _delete(client: TestClient, url: str, token: str, body: Json | None) -> Any:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    return client.request("DELETE", url, **kwargs)


def _seeded(app: FastAPI, api: TestClient) -> tuple[ModeratorInfo, Json, Json, Json, dict[str, Json]]:
    """A workshop where Ada (the one to erase) and Bo posted, dotted and rated.

    Returns the moderator, the workshop, Ada's and Bo's joins and the objects:
    ``ada_card``, ``bo_card``, ``statement``."""
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    ada = api.post(
        "/api/v1/workshops/join",
        json={
            "join_code": workshop["join_code"],
            "display_name": "Ada Erasmus",
            "organization": "Löschverein",
            "group": "science",
        },
    ).json()
    bo = join_api(api, workshop, "business", "Bo")
    ada_card = post_card(api, ada["token"], topic, "Adas Karte zu offenen Daten").json()
    bo_card = post_card(api, bo["token"], topic, "Bos Karte").json()
    set_phase(api, moderator.token, topic, "vote")
    for who in (ada, bo):
        for card, dots in ((ada_card, 2), (bo_card, 1)):
            response = api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": dots}, headers=bearer(who["token"]))
            assert response.status_code == 200, response.text
    statement = create_statement(api, moderator.token, topic, "Daten werden offen geteilt.")
    set_phase(api, moderator.token, topic, "consent")
    assert rate(api, ada["token"], statement["id"], "block", "Adas geheimer Einwand").status_code == 200
    assert rate(api, bo["token"], statement["id"], "full").status_code == 200
    return moderator, workshop, ada, bo, {"ada_card": ada_card, "bo_card": bo_card, "statement": statement}


def test_a_deleted_card_leaves_the_spotlight(app: FastAPI, api: TestClient) -> None:
    """The projector's spotlight on a card that an erasure deletes, or its author or a
    moderator deletes: the topic no longer names it (it went on naming the gone card's id)."""
    moderator, workshop, ada, _bo, objects = _seeded(app, api)
    topic = workshop["topics"][0]["id"]
    set_options(api, moderator.token, topic, spotlight_card_id=objects["ada_card"]["id"])
    assert _delete(api, "/api/v1/me", ada["token"], {"cards": "delete"}).status_code == 200
    shown = api.get(f"/api/v1/topics/{topic}", headers=bearer(moderator.token)).json()
    assert shown["spotlight_card_id"] is None

    set_options(api, moderator.token, topic, spotlight_card_id=objects["bo_card"]["id"])
    deleted = api.delete(f"/api/v1/cards/{objects['bo_card']['id']}", headers=bearer(moderator.token))
    assert deleted.status_code == 204, deleted.text
    shown = api.get(f"/api/v1/topics/{topic}", headers=bearer(moderator.token)).json()
    assert shown["spotlight_card_id"] is None
    assert api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json() == []


# --- "my data" ---------------------------------------------------------------------------------


def test_my_data_holds_everything_stored_about_the_caller(app: FastAPI, api: TestClient) -> None:
    moderator, workshop, ada, _bo, objects = _seeded(app, api)
    response = api.get("/api/v1/me/data", headers=bearer(ada["token"]))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["participant"]["id"] == ada["participant_id"]
    assert (data["participant"]["display_name"], data["participant"]["organization"]) == ("Ada Erasmus", "Löschverein")
    assert data["participant"]["group"] == "science"
    assert data["participant"]["joined"]
    assert data["workshop"]["title"] == workshop["title"]
    topic = {"id": workshop["topics"][0]["id"], "title": workshop["topics"][0]["title"]}
    assert [(c["id"], c["text"], c["topic"]) for c in data["cards"]] == [
        (objects["ada_card"]["id"], "Adas Karte zu offenen Daten", topic)
    ]
    assert all(c["workshop"] == {"id": workshop["id"], "title": workshop["title"]} for c in data["cards"])
    assert sorted((d["card_id"], d["dots"]) for d in data["dots"]) == sorted(
        [(objects["ada_card"]["id"], 2), (objects["bo_card"]["id"], 1)]
    )
    assert [(r["statement"]["text"], r["level"], r["reason"]) for r in data["ratings"]] == [
        ("Daten werden offen geteilt.", "block", "Adas geheimer Einwand")
    ]
    # Nothing of anybody else.
    assert "Bo" not in json.dumps(data["participant"])
    assert "Bos Karte" not in json.dumps(data)
    # A moderator has no participant data here; without a token: 401.
    assert api.get("/api/v1/me/data", headers=bearer(moderator.token)).status_code == 403
    anonymous = api.get("/api/v1/me/data")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"]


# --- "delete me" -------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", ["anonymise", "delete"])
def test_delete_me_erases_the_person_and_follows_through_tallies_and_support(
    app: FastAPI, api: TestClient, choice: str
) -> None:
    moderator, workshop, ada, bo, objects = _seeded(app, api)
    topic = workshop["topics"][0]["id"]
    statement_id = objects["statement"]["id"]
    before = api.get(f"/api/v1/statements/{statement_id}", headers=bearer(moderator.token)).json()
    assert before["ratings_count"] == 2 and before["blocked"] is True

    response = _delete(api, "/api/v1/me", ada["token"], {"cards": choice})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "participant_id": ada["participant_id"],
        "erased": True,
        "cards_deleted": 1 if choice == "delete" else 0,
        "cards_anonymised": 1 if choice == "anonymise" else 0,
        "votes_removed": 2,
        "ratings_removed": 1,
    }
    # The token is dead.
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 401
    assert api.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(ada["token"])).status_code == 401
    # Cards: gone, or kept without an author, for moderators too.
    cards = api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json()
    texts = {c["text"]: c for c in cards}
    if choice == "delete":
        assert "Adas Karte zu offenen Daten" not in texts
    else:
        kept = texts["Adas Karte zu offenen Daten"]
        assert kept["author"] is None and kept["group"] == "science"
    # Ratings: the block went with her; support follows.
    after = api.get(f"/api/v1/statements/{statement_id}", headers=bearer(moderator.token)).json()
    assert after["ratings_count"] == 1
    assert after["blocked"] is False and after["consensus"] is True
    # Dots: only Bo's remain on his card.
    export = api.get(
        f"/api/v1/workshops/{workshop['id']}/export", params={"format": "json"}, headers=bearer(moderator.token)
    )
    assert export.status_code == 200
    document = export.json()
    # Nothing of her anywhere in the raw data.
    raw = export.text
    for leaked in ("Ada Erasmus", "Löschverein", "Adas geheimer Einwand", ada["participant_id"]):
        assert leaked not in raw, leaked
    assert len(document["participants"]) == 1
    # The moderator's console lists only Bo.
    assert participant_ids(api, moderator, workshop["id"]) == [bo["participant_id"]]

    def rows(session: Any) -> Any:
        return session.execute(select(Participant).where(col(Participant.id) == ada["participant_id"]))

    async def gone(session: Any) -> bool:
        return (await rows(session)).first() is None

    assert db_run(app, gone)


def test_deleting_cards_also_drops_the_moderations_copies_of_their_texts(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    ada = join_api(api, workshop, name="Ada")
    card = post_card(api, ada["token"], topic, "Ursprünglicher Text von Ada").json()
    corrected = api.patch(f"/api/v1/cards/{card['id']}", json={"text": "Korrigiert"}, headers=bearer(moderator.token))
    assert corrected.status_code == 200, corrected.text

    async def records(session: Any) -> list[str]:
        result = await session.execute(select(ModerationRecord))
        return [json.dumps(r.detail, ensure_ascii=False) for r in result.scalars().all()]

    assert any("Ursprünglicher Text von Ada" in r for r in db_run(app, records))
    assert _delete(api, "/api/v1/me", ada["token"], {"cards": "delete"}).status_code == 200
    assert not any("Ursprünglicher Text von Ada" in r for r in db_run(app, records))


def test_statements_resting_on_deleted_cards_can_still_be_revised(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    ada, bo = join_api(api, workshop, name="Ada"), join_api(api, workshop, "business", "Bo")
    ada_card = post_card(api, ada["token"], topic, "Adas Grundlage").json()
    bo_card = post_card(api, bo["token"], topic, "Bos Grundlage").json()
    statement = create_statement(api, moderator.token, topic, "Beides zählt.", card_ids=[ada_card["id"], bo_card["id"]])
    assert _delete(api, "/api/v1/me", ada["token"], {"cards": "delete"}).status_code == 200
    now = api.get(f"/api/v1/statements/{statement['id']}", headers=bearer(moderator.token)).json()
    assert now["card_ids"] == [bo_card["id"]]
    revised = api.post(
        f"/api/v1/statements/{statement['id']}/revisions",
        json={"text": "Bos Punkt zählt."},
        headers=bearer(moderator.token),
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["card_ids"] == [bo_card["id"]]


def test_erasure_input_and_access_are_checked(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    other = make_moderator(app, api, email="other@example.org")
    workshop = create_workshop(api, moderator)
    ada = join_api(api, workshop, name="Ada")
    pid = ada["participant_id"]
    # The choice is required and checked.
    for body in (None, {}, {"cards": "keep"}, {"cards": "delete", "extra": 1}):
        refused = _delete(api, "/api/v1/me", ada["token"], body)
        assert refused.status_code == 422, body
    # Only the workshop's moderators erase a participant; a participant cannot erase another.
    bo = join_api(api, workshop, "business", "Bo")
    assert _delete(api, f"/api/v1/participants/{pid}", bo["token"], {"cards": "delete"}).status_code == 403
    assert _delete(api, f"/api/v1/participants/{pid}", other.token, {"cards": "delete"}).status_code == 403
    assert (
        _delete(api, "/api/v1/participants/nosuchparticipant", moderator.token, {"cards": "delete"}).status_code == 404
    )
    nobody = api.request("DELETE", f"/api/v1/participants/{pid}", json={"cards": "delete"})
    assert nobody.status_code == 401
    # A moderator is nobody's "me".
    assert _delete(api, "/api/v1/me", moderator.token, {"cards": "delete"}).status_code == 403
    # Nothing changed so far.
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 200
    erased = _delete(api, f"/api/v1/participants/{pid}", moderator.token, {"cards": "anonymise"})
    assert erased.status_code == 200 and erased.json()["participant_id"] == pid
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 401
    # Twice: the participant is gone.
    assert _delete(api, f"/api/v1/participants/{pid}", moderator.token, {"cards": "anonymise"}).status_code == 404


def test_participant_downloads_and_deletes_through_the_pages(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    join_browser(client, workshop, name="Ada Seite")
    board = client.get(f"/w/{workshop['id']}/topics/{topic}")
    assert f'href="/w/{workshop["id"]}/me"' in board.text
    response = client.post(
        f"/topics/{topic}/cards", data={"kind": "idea", "text": "Karte aus dem Browser", "csrf_token": csrf(client)}
    )
    assert response.status_code in (200, 303), response.text
    page = client.get(f"/w/{workshop['id']}/me")
    assert page.status_code == 200
    assert "Ada Seite" in page.text
    download = client.get(f"/w/{workshop['id']}/me/data.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    data = download.json()
    assert data["participant"]["display_name"] == "Ada Seite"
    assert [c["text"] for c in data["cards"]] == ["Karte aus dem Browser"]
    # A bad choice is refused with a readable page, nothing erased.
    refused = client.post(f"/w/{workshop['id']}/me/delete", data={"cards": "x", "csrf_token": csrf(client)})
    assert refused.status_code == 422
    assert "<html" in refused.text
    assert client.get(f"/w/{workshop['id']}/me").status_code == 200
    done = client.post(f"/w/{workshop['id']}/me/delete", data={"cards": "delete", "csrf_token": csrf(client)})
    assert done.status_code == 200
    assert "1" in BeautifulSoup(done.text, "html.parser").get_text()
    # This browser is nobody in the workshop now, and the card is gone.
    assert client.get(f"/w/{workshop['id']}/me").status_code == 403
    assert api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json() == []


def test_moderator_erases_through_the_console(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    ada = join_api(api, workshop, name="Ada Konsole")
    post_card(api, ada["token"], topic, "bleibt ohne Namen")
    login_as(client, moderator)
    console = client.get(f"/m/workshops/{workshop['id']}")
    form = BeautifulSoup(console.text, "html.parser").select_one(
        f"#participant-{ada['participant_id']} form[action$='/erase']"
    )
    assert form is not None and form.select("input[name=cards]")
    response = client.post(
        f"/m/participants/{ada['participant_id']}/erase",
        data={"cards": "anonymise", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    console = client.get(f"/m/workshops/{workshop['id']}")
    assert "Ada Konsole" not in console.text
    (card,) = api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json()
    assert card["text"] == "bleibt ohne Namen" and card["author"] is None


# --- anonymity levels --------------------------------------------------------------------------


def test_anonymity_only_ever_gets_stricter_once_someone_joined(
    app: FastAPI, api: TestClient, client: TestClient
) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, anonymity="anonymous")
    assert (workshop["anonymity"], workshop["anonymous"]) == ("anonymous", True)
    url = f"/api/v1/workshops/{workshop['id']}"
    # Before anybody joined, the moderation may still loosen it while setting up.
    looser = api.patch(url, json={"anonymity": "named"}, headers=bearer(moderator.token))
    assert looser.status_code == 200 and looser.json()["anonymity"] == "named"
    join_api(api, workshop)
    # The old flag: true means at least "moderators".
    flag = api.patch(url, json={"anonymous": True}, headers=bearer(moderator.token))
    assert flag.json()["anonymity"] == "moderators"
    stricter = api.patch(url, json={"anonymity": "anonymous"}, headers=bearer(moderator.token))
    assert stricter.status_code == 200 and stricter.json()["anonymity"] == "anonymous"
    assert api.patch(url, json={"anonymous": True}, headers=bearer(moderator.token)).json()["anonymity"] == "anonymous"
    for body in ({"anonymity": "moderators"}, {"anonymity": "named"}, {"anonymous": False}):
        refused = api.patch(url, json={**body, "title": "Neu"}, headers=bearer(moderator.token))
        assert refused.status_code == 422, body
        detail = refused.json()["detail"]
        assert "only become stricter" in detail or "nur noch strenger" in detail, detail
    unknown = api.patch(url, json={"anonymity": "secret"}, headers=bearer(moderator.token))
    assert unknown.status_code == 422
    stored = api.get(url, headers=bearer(moderator.token)).json()
    assert (stored["anonymity"], stored["title"]) == ("anonymous", workshop["title"])  # no half-written row
    # The settings form says why, next to the form, and keeps the stored level.
    login_as(client, moderator)
    form = {
        "title": "Smart",
        "locale": "de",
        "anonymity": "named",
        "retention_days": "",
        "consensus_percent": "75",
        "dot_budget": "5",
        "max_dots_per_card": "3",
        "joins_open": "on",
    }
    page = client.post(f"/m/workshops/{workshop['id']}/settings", data={**form, "csrf_token": csrf(client)})
    assert page.status_code == 422
    assert "nur noch strenger" in page.text
    assert api.get(url, headers=bearer(moderator.token)).json()["anonymity"] == "anonymous"
    saved = client.post(
        f"/m/workshops/{workshop['id']}/settings",
        data={**form, "anonymity": "anonymous", "retention_days": "30", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert api.get(url, headers=bearer(moderator.token)).json()["retention_days"] == 30
    for bad in ("0", "-3", "abc", "99999"):
        refused = client.post(
            f"/m/workshops/{workshop['id']}/settings",
            data={**form, "anonymity": "anonymous", "retention_days": bad, "csrf_token": csrf(client)},
        )
        assert refused.status_code == 422, bad
    assert api.get(url, headers=bearer(moderator.token)).json()["retention_days"] == 30
    cleared = api.patch(url, json={"retention_days": None}, headers=bearer(moderator.token))
    assert cleared.json()["retention_days"] is None


def _names_in(text: str, *, own: str = "") -> set[str]:
    """Names and organisations of PEOPLE in ``text``, but for ``own``'s (on their own pages)."""
    others = [(name, org) for name, _group, org in PEOPLE if name != own]
    return {name for name, _org in others if name in text} | {org for _name, org in others if org in text}


def _export_text(world: Any, fmt: str, tmp_path: Path) -> str:
    from tests.test_exports import text_of

    response = world.export(fmt)
    assert response.status_code == 200, (fmt, response.text[:200])
    return text_of(fmt, response.content, tmp_path)


@pytest.mark.rendering
def test_three_anonymity_levels_through_pages_api_and_exports(app: FastAPI, api: TestClient, tmp_path: Path) -> None:
    """Named: everybody sees names. Moderators: only the moderation, exports group only.
    Anonymous: nobody, not the moderation, not the console, no export (PDF: see
    tests/test_exports.py, which renders the same report model)."""
    world = build_world(app, api)
    topic = world.topics[0]["id"]
    viewer = "Bruno Latour"  # the participant whose pages are read: their own name is theirs to see
    participant = world.tokens[viewer]
    url = f"/api/v1/workshops/{world.id}"
    formats = ("md", "html", "docx", "odt", "csv", "json")

    def outputs() -> dict[str, str]:
        seen = {
            "api participant": json.dumps(api.get(f"/api/v1/topics/{topic}/cards", headers=bearer(participant)).json()),
            "api moderator": json.dumps(api.get(f"/api/v1/topics/{topic}/cards", headers=world.mod()).json()),
            "board participant": api.get(f"/w/{world.id}/topics/{topic}", headers=bearer(participant)).text,
            "board moderator": api.get(f"/m/workshops/{world.id}/topics/{topic}", headers=world.mod()).text,
            "console": api.get(f"/m/workshops/{world.id}", headers=world.mod()).text,
        }
        for fmt in formats:
            seen[f"export {fmt}"] = _export_text(world, fmt, tmp_path)
        return seen

    named = outputs()
    for where, text in named.items():
        if where != "console":  # the console lists people, not cards: checked below
            assert "Ada Lovelace" in text, where
    assert "Universität Nord" in named["console"]

    assert api.patch(url, json={"anonymity": "moderators"}, headers=world.mod()).status_code == 200
    moderators = outputs()
    for where in ("api moderator", "board moderator", "console"):
        assert "Ada Lovelace" in moderators[where], where
    for where, text in moderators.items():
        if not where.endswith("moderator") and where != "console":
            assert not _names_in(text, own=viewer), (where, _names_in(text, own=viewer))

    assert api.patch(url, json={"anonymity": "anonymous"}, headers=world.mod()).status_code == 200
    anonymous = outputs()
    for where, text in anonymous.items():
        assert not _names_in(text, own=viewer), (where, _names_in(text, own=viewer))
    # Groups stay everywhere a card is shown.
    assert "Wissenschaft" in anonymous["board moderator"] and "Wissenschaft" in anonymous["export md"]
    cards = json.loads(anonymous["api moderator"])
    assert cards and all(c["author"] is None for c in cards)
    # The console still lets the moderation act on each person, without names.
    console = BeautifulSoup(anonymous["console"], "html.parser")
    assert len(console.select("#participants li form[action$='/erase']")) == len(PEOPLE)


# --- retention ---------------------------------------------------------------------------------


def test_retention_erases_personal_data_after_the_days_with_a_controlled_clock(
    app: FastAPI, api: TestClient, settings: Settings
) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, retention_days=30, topics=[{"title": "A"}, {"title": "B"}])
    assert workshop["retention_days"] == 30 and workshop["closed_at"] is None
    first, second = (t["id"] for t in workshop["topics"])
    ada = join_api(api, workshop, name="Ada Frist")
    card = post_card(api, ada["token"], first, "Inhalt bleibt").json()
    url = f"/api/v1/workshops/{workshop['id']}"
    set_phase(api, moderator.token, first, "closed")
    assert api.get(url, headers=bearer(moderator.token)).json()["closed_at"] is None  # B still open
    set_phase(api, moderator.token, second, "closed")
    closed_at = api.get(url, headers=bearer(moderator.token)).json()["closed_at"]
    assert closed_at
    # Opening a topic again clears it; closing again sets it anew.
    set_phase(api, moderator.token, second, "vote")
    assert api.get(url, headers=bearer(moderator.token)).json()["closed_at"] is None
    set_phase(api, moderator.token, second, "closed")

    async def closed(session: Any) -> Any:
        row = await session.get(Workshop, workshop["id"])
        return row.closed_at

    closed_moment = db_run(app, closed)

    def purge_at(days: float) -> Any:
        async def work(session: Any) -> Any:
            return await retention_purge(session=session, now=closed_moment + timedelta(days=days))

        return db_run(app, work)

    early = purge_at(29.99)
    assert early.participants == 0 and early.lines() == ["No personal data past its retention."]
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).json()["participant"]["display_name"] == "Ada Frist"

    due = purge_at(30)
    assert due.participants == 1
    assert due.lines() == [
        f"Erased names, organisations and device links of 1 participant(s) in workshop {workshop['id']} (Smart-City-Austausch)."
    ]
    # The token is dead; the content stays, anonymous, with its group.
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 401
    (kept,) = api.get(f"/api/v1/topics/{first}/cards", headers=bearer(moderator.token)).json()
    assert kept["id"] == card["id"] and kept["group"] == "science"
    assert kept["author"] is None or kept["author"]["display_name"] is None

    async def person(session: Any) -> Participant:
        row: Participant = await session.get(Participant, ada["participant_id"])
        return row

    row = db_run(app, person)
    assert (row.display_name, row.organization, row.device_hash, row.erased_at is not None) == (None, "", None, True)
    assert "Ada Frist" not in api.get(f"/m/workshops/{workshop['id']}", headers=bearer(moderator.token)).text
    # Idempotent: a second purge finds nothing more.
    assert purge_at(31).participants == 0


def test_runde_purge_reports_what_it_erased(app: FastAPI, api: TestClient, settings: Settings, tmp_path: Path) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator, retention_days=7)
    join_api(api, workshop, name="Ada CLI")
    set_phase(api, moderator.token, workshop["topics"][0]["id"], "closed")
    env = {"RUNDE_DATA_DIR": str(tmp_path), "RUNDE_DATABASE_URL": settings.database_url, "RUNDE_SECRET_KEY": SECRET}
    runner = CliRunner()
    soon = runner.invoke(cli, ["purge"], env=env)
    assert soon.exit_code == 0, soon.output
    assert "No personal data past its retention." in soon.output
    later = runner.invoke(cli, ["purge", "--now", "2999-01-01T00:00:00+00:00"], env=env)
    assert later.exit_code == 0, later.output
    assert f"1 participant(s) in workshop {workshop['id']}" in later.output
    bad = runner.invoke(cli, ["purge", "--now", "tomorrow"], env=env)
    assert bad.exit_code == 2
    naive = runner.invoke(cli, ["purge", "--now", "2999-01-01T00:00:00"], env=env)
    assert naive.exit_code == 2


def test_the_running_server_purges_in_its_lifespan(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """Data already past its retention is erased when the server starts (then once a day),
    and the log says what was erased."""
    caplog.set_level("INFO", logger="runde.retention")
    setup_app = create_app(settings)  # retention_purge is off in the test settings
    with TestClient(setup_app, base_url="http://testserver") as api:
        moderator = make_moderator(setup_app, api)
        workshop = create_workshop(api, moderator, retention_days=1)
        ada = join_api(api, workshop, name="Ada Lebenszyklus")
        set_phase(api, moderator.token, workshop["topics"][0]["id"], "closed")

        async def age(session: Any) -> None:
            row = await session.get(Workshop, workshop["id"])
            row.closed_at = row.closed_at - timedelta(days=2)
            session.add(row)
            await session.commit()

        db_run(setup_app, age)
        assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 200  # purge off: kept
    serving = create_app(settings.model_copy(update={"retention_purge": True}))
    with TestClient(serving, base_url="http://testserver") as api:
        for _ in range(100):
            if api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 401:
                break
            import time

            time.sleep(0.05)
        assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 401
    assert f"1 participant(s) in workshop {workshop['id']}" in caplog.text


# --- migration ---------------------------------------------------------------------------------


def test_migration_turns_the_anonymous_flag_into_a_level(settings: Settings) -> None:
    config = alembic_config(settings)
    command.downgrade(config, "0002")
    engine = sa.create_engine(settings.sync_database_url)
    with engine.begin() as conn:
        for wid, flag in (("flagged0000000000"[:16], True), ("plain00000000000", False)):
            conn.execute(
                sa.text(
                    "INSERT INTO workshop (id, title, description, locale, anonymous, consensus_threshold, dot_budget,"
                    " joins_open, max_dots_per_card, join_code, last_seq, created_at)"
                    " VALUES (:id, 'W', '', 'de', :flag, 0.75, 5, :t, 3, :code, 0, CURRENT_TIMESTAMP)"
                ),
                {"id": wid, "flag": flag, "t": True, "code": wid[:9].upper()},
            )
    migrate(settings)
    with engine.connect() as conn:
        levels = dict(conn.execute(sa.text("SELECT id, anonymity FROM workshop")).all())
    assert levels == {"flagged000000000": "moderators", "plain00000000000": "named"}
    command.downgrade(config, "0002")
    with engine.connect() as conn:
        flags = {k: bool(v) for k, v in conn.execute(sa.text("SELECT id, anonymous FROM workshop")).all()}
    assert flags == {"flagged000000000": True, "plain00000000000": False}
    migrate(settings)
    engine.dispose()


# --- legal pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "de",
            {
                "imprint": "Impressum",
                "privacy": "Datenschutzerklärung",
                "accessibility": "Erklärung zur Barrierefreiheit",
            },
        ),
        ("en", {"imprint": "Imprint", "privacy": "Privacy notice", "accessibility": "Accessibility statement"}),
    ],
)
def test_legal_pages_in_both_languages_one_click_from_every_page(
    app: FastAPI, api: TestClient, client: TestClient, language: str, expected: dict[str, str]
) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    client.get(f"/lang/{language}")
    for name, heading in expected.items():
        page = client.get(f"/{name}")
        assert page.status_code == 200
        doc = BeautifulSoup(page.text, "html.parser")
        assert doc.html is not None and doc.html["lang"] == language
        assert doc.h1 is not None and doc.h1.get_text() == heading
        assert doc.title is not None and heading in doc.title.get_text()
    statement = BeautifulSoup(client.get("/accessibility").text, "html.parser").get_text(" ")
    # BITV 2.0: conformance status, known limits, feedback contact, enforcement procedure.
    musts = (
        ("teilweise vereinbar", "Nicht barrierefreie Inhalte", "Feedback und Kontakt", "§ 16", "Schlichtungsstelle")
        if language == "de"
        else ("partially compliant", "Non-accessible content", "Feedback and contact", "§ 16", "Schlichtungsstelle")
    )
    for must in musts:
        assert must in statement, must
    # Linked from the footer of every kind of page, the join page included, logged in or not.
    join_browser_client = client
    pages = ["/", "/join", f"/j/{workshop['join_code']}", "/login", "/imprint"]
    for path in pages:
        footer = BeautifulSoup(join_browser_client.get(path).text, "html.parser").select_one("footer")
        assert footer is not None, path
        assert {a["href"] for a in footer.select("a")} >= {"/imprint", "/privacy", "/accessibility"}, path
    board = join_browser(client, workshop)
    for path in (board, f"/w/{workshop['id']}/me"):
        page = client.get(path, follow_redirects=True)
        footer = BeautifulSoup(page.text, "html.parser").select_one("footer")
        assert footer is not None and footer.select_one("a[href='/privacy']") is not None, path
    console = api.get(f"/m/workshops/{workshop['id']}", headers=bearer(moderator.token)).text
    assert BeautifulSoup(console, "html.parser").select_one("footer a[href='/accessibility']") is not None


def test_legal_texts_come_from_the_configured_folder_rendered_safely(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "legal"
    folder.mkdir()
    (folder / "imprint.de.md").write_text(
        "# Impressum der Stadt Musterstadt\n\n<script>alert(1)</script> <b>fett?</b>\n\n"
        "[Klick](javascript:alert(1)) und [Stadt](https://musterstadt.example)\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
        encoding="utf-8",
    )
    app = create_app(settings.model_copy(update={"legal_dir": folder}))
    with TestClient(app, base_url="http://testserver") as browser:
        page = browser.get("/imprint", headers={"Accept-Language": "de"})
        assert page.status_code == 200
        doc = BeautifulSoup(page.text, "html.parser")
        article = doc.select_one("article.legal-text")
        assert article is not None
        assert article.h1 is not None and article.h1.get_text() == "Impressum der Stadt Musterstadt"
        assert article.select("script") == [] and article.select("b") == []
        assert "<script>alert(1)</script>" in article.get_text()
        assert all(not a["href"].startswith("javascript:") for a in article.select("a"))
        assert article.select_one("a[href='https://musterstadt.example']") is not None
        assert article.select_one("table td") is not None
        # Files the folder lacks come from the defaults.
        english = browser.get("/imprint", headers={"Accept-Language": "en"})
        assert "Musterstadt" not in english.text and "<h1>Imprint</h1>" in english.text
        assert "Datenschutzerklärung" in browser.get("/privacy", headers={"Accept-Language": "de"}).text


def test_privacy_notice_lists_every_cookie_the_app_sets(app: FastAPI, api: TestClient, client: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    seen: set[str] = set()

    def note(response: Any) -> None:
        for header in response.headers.get_list("set-cookie"):
            seen.add(header.split("=", 1)[0].strip())

    client.event_hooks["response"].append(note)
    client.get("/")
    client.get("/lang/en")
    join_browser(client, workshop)
    login_as(client, moderator)
    assert {"runde_csrf", "runde_device", "runde_lang", "runde_session"} <= seen
    for language in ("de", "en"):
        notice = api.get("/privacy", headers={"Accept-Language": language}).text
        for cookie in sorted(seen):
            assert f"<code>{cookie}</code>" in notice, (language, cookie)


def test_packaged_defaults_exist_for_every_legal_page() -> None:
    from app.domain.legal import DEFAULTS, LEGAL_PAGES
    from app.i18n import LOCALES

    for name in LEGAL_PAGES:
        for locale in LOCALES:
            text = (DEFAULTS / f"{name}.{locale}.md").read_text(encoding="utf-8")
            assert text.startswith("# "), (name, locale)


# --- hostile input -----------------------------------------------------------------------------


def test_hostile_corpus_in_the_privacy_choices_and_the_legal_texts(
    app: FastAPI, api: TestClient, client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    """The new inputs are choices and a number: every corpus payload there is a readable 4xx
    (JSON for the API, a page for forms) and changes nothing. The legal texts are Markdown an
    operator writes: corpus payloads in them come out as text, never as markup or script."""
    from tests.hostile_corpus import nastiest, sample
    from tests.test_hostile_input import Scan, as_form_value

    def send_json(method: str, path: str, token: str, body: Json) -> Any:
        # ensure_ascii: lone surrogates travel as \\ud800 escapes, as in tests/test_hostile_input.py.
        headers = {**bearer(token), "Content-Type": "application/json"}
        return api.request(method, path, content=json.dumps(body), headers=headers)

    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    ada = join_api(api, workshop)
    url = f"/api/v1/workshops/{workshop['id']}"
    login_as(client, moderator)
    payloads = [p for p in sample(60) if p.category != "huge"]
    for payload in payloads:
        for body in ({"anonymity": payload.text}, {"retention_days": payload.text}):
            refused = send_json("PATCH", url, moderator.token, body)
            assert refused.status_code == 422, (payload, body)
            assert refused.json()["detail"], payload
        erase = send_json("DELETE", "/api/v1/me", ada["token"], {"cards": payload.text})
        assert erase.status_code == 422, payload
        if not payload.text:
            continue  # a form without a choice leaves the level as it is
        form = client.post(
            f"/m/workshops/{workshop['id']}/settings",
            data={"title": workshop["title"], "anonymity": as_form_value(payload.text), "csrf_token": csrf(client)},
        )
        assert form.status_code == 422, payload
        assert "<html" in form.text
    stored = api.get(url, headers=bearer(moderator.token)).json()
    assert (stored["anonymity"], stored["retention_days"], stored["title"]) == ("named", None, workshop["title"])
    assert api.get("/api/v1/me/data", headers=bearer(ada["token"])).status_code == 200

    folder = tmp_path / "legal-hostile"
    folder.mkdir()
    hostile = [p.text for p in nastiest(120)]
    (folder / "privacy.en.md").write_text(
        "# Hostile\n\n" + "\n\n".join(hostile), encoding="utf-8", errors="surrogatepass"
    )
    legal_app = create_app(settings.model_copy(update={"legal_dir": folder}))
    with TestClient(legal_app, base_url="http://testserver") as browser:
        page = browser.get("/privacy", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    article = page.text.split('<article class="page narrow legal-text">', 1)[1].split("</article>", 1)[0]
    scan = Scan(article)
    problems = []
    for name, attrs, _in_head in scan.elements:
        if name in ("script", "iframe", "object", "embed", "svg", "img", "style", "form", "input", "base", "meta"):
            problems.append(f"<{name}>")
        for attribute, value in attrs.items():
            squeezed = value.replace(" ", "").lower()
            if attribute.startswith(("on", "hx-", "ws-", "data-hx", "data-ws")) or squeezed.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                problems.append(f"{name} {attribute}={value[:40]!r}")
    assert not problems, problems[:10]
    assert "<script>alert(1)</script>" in " ".join(scan.nodes)


# --- live boards follow erasures and level changes (Zulip-style) ------------------------------


@pytest.fixture
def loop_app(app: FastAPI, client: TestClient) -> FastAPI:
    """The app with a handle on its lifespan's event loop (as in tests/test_event_consistency.py)."""
    import asyncio

    async def grab() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    app.state.loop = client.portal.call(grab)  # type: ignore[union-attr]
    return app


@pytest.mark.parametrize("role", ["moderator", "participant"])
def test_boards_follow_erasures_and_a_stricter_level(
    loop_app: FastAPI, api: TestClient, client: TestClient, client_factory: Any, role: str
) -> None:
    """The board as it was plus the pushed fragments equals a fresh render, after an erasure
    that keeps the cards, a stricter level, and an erasure that deletes the cards."""
    from tests.test_event_consistency import board_target, check_consistent

    app = loop_app
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    mod = bearer(moderator.token)
    ada = join_api(api, workshop, "science", "Ada Live")
    bo = join_api(api, workshop, "business", "Bo Live")
    cards = {who: post_card(api, p["token"], topic, f"Karte von {who}").json() for who, p in (("ada", ada), ("bo", bo))}
    set_phase(api, moderator.token, topic, "vote")
    api.post(f"/api/v1/topics/{topic}/options", json={"tallies_revealed": True}, headers=mod)
    for voter in (ada, bo):
        for card in cards.values():
            api.post(f"/api/v1/cards/{card['id']}/votes", json={"dots": 1}, headers=bearer(voter["token"]))
    if role == "moderator":
        login_as(client, moderator)
        board_url = f"/m/workshops/{workshop['id']}/topics/{topic}"
    else:
        watcher = client
        join_browser(watcher, workshop, "civil_society", "Wera")
        board_url = f"/w/{workshop['id']}/topics/{topic}"
    assert "Ada Live" in client.get(board_url).text

    def erase_ada_keeping_cards() -> None:
        response = _delete(
            api, f"/api/v1/participants/{ada['participant_id']}", moderator.token, {"cards": "anonymise"}
        )
        assert response.status_code == 200, response.text

    def stricter() -> None:
        assert api.patch(f"/api/v1/workshops/{workshop['id']}", json={"anonymity": "anonymous"}, headers=mod).is_success

    def bo_deletes_himself_and_his_cards() -> None:
        assert _delete(api, "/api/v1/me", bo["token"], {"cards": "delete"}).status_code == 200

    target = board_target(role, topic)
    for action in (erase_ada_keeping_cards, stricter, bo_deletes_himself_and_his_cards):
        check_consistent(app, client, board_url, workshop["id"], action, target)
    final = client.get(board_url).text
    assert "Ada Live" not in final and "Bo Live" not in final and "Karte von bo" not in final
    assert "Karte von ada" in final
