"""The report model (app/domain/report/), its settings, the moderator's report page with its
live preview, and a golden Markdown report of the demo workshop (tests/golden/)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.demo import demo_create
from app.domain.demo_content import demo_content
from app.domain.errors import Invalid, TooLarge
from app.domain.report import (
    REPORT_SECTIONS,
    TOPIC_SECTIONS,
    Report,
    ReportSettingsInput,
    ReportTopic,
    report_build,
    report_logo_set,
    report_settings_get,
    report_settings_update,
)
from app.domain.workshops import workshop_get
from app.exports.markdown import render_markdown
from app.i18n import use_locale
from app.security import MAX_BODY
from tests.factories import bearer, csrf, db_run, join_browser, login_as
from tests.report_world import World, build_world, tiny_png

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    return build_world(app, api)


def report_of(world: World) -> Report:
    async def work(session: AsyncSession) -> Report:
        return await report_build(session=session, workshop=await workshop_get(session=session, workshop_id=world.id))

    report: Report = db_run(world.app, work)
    return report


def topic_one(report: Report) -> ReportTopic:
    return report.topics[0]


# --- the model --------------------------------------------------------------------------------


@pytest.mark.rendering
def test_statements_are_sorted_into_consensus_and_dissent(world: World) -> None:
    topic = topic_one(report_of(world))
    # Consensus: highest bridging score first; equal scores (reservations count as support) by age.
    assert [s.id for s in topic.consensus] == [world.statements["consensus"]["id"], world.statements["revised"]["id"]]
    # Open disagreement first, then the blocked one, unrated last.
    assert [s.id for s in topic.without_consensus] == [
        world.statements["disagreement"]["id"],
        world.statements["blocked"]["id"],
        world.statements["unrated"]["id"],
    ]
    disagreement, blocked, unrated = topic.without_consensus
    assert disagreement.disagreement and not disagreement.blocked
    assert blocked.blocked and not blocked.disagreement
    assert unrated.ratings_count == 0 and not unrated.support[0].ratings
    assert topic.open_disagreements == (disagreement,)


@pytest.mark.rendering
def test_support_per_group(world: World) -> None:
    topic = topic_one(report_of(world))
    blocked = next(s for s in topic.without_consensus if s.blocked)
    support = {gs.group.key: gs for gs in blocked.support}
    assert list(support) == ["science", "business", "civil_society", "administration"]
    assert (support["business"].support, support["business"].ratings, support["business"].share) == (1, 2, 0.5)
    assert support["business"].counts["block"] == 1 and support["business"].carried is False
    assert support["science"].carried is True and support["civil_society"].counts["stand_aside"] == 2
    consensus = next(s for s in topic.consensus if s.id == world.statements["consensus"]["id"])
    assert all(gs.share == 1.0 and gs.carried for gs in consensus.support)
    assert consensus.card_numbers == (1, 3)


@pytest.mark.rendering
def test_dissent_has_reasons_and_names_unless_anonymous(app: FastAPI, api: TestClient) -> None:
    world = build_world(app, api)
    blocked = next(s for s in topic_one(report_of(world)).without_consensus if s.blocked)
    assert [(d.level, d.reason, d.group.key, d.author, d.organization) for d in blocked.dissent] == [
        ("block", "Rechtlich unzulässig: Vergaberecht", "business", "Carla Kaufmann", "Datenwerk GmbH")
    ]
    disagreement = next(s for s in topic_one(report_of(world)).without_consensus if s.disagreement)
    assert [d.group.key for d in disagreement.dissent] == ["civil_society"] * 2 + ["administration"] * 2
    assert all(d.level == "concerns" and d.reason.startswith("Abhängigkeit") for d in disagreement.dissent)


@pytest.mark.rendering
def test_anonymous_report_keeps_groups_and_drops_names(app: FastAPI, api: TestClient) -> None:
    world = build_world(app, api, anonymous=True)
    report = report_of(world)
    topic = topic_one(report)
    dissent = [d for s in topic.without_consensus for d in s.dissent]
    assert dissent and all(d.author is None and d.organization is None for d in dissent)
    assert all(c.author is None and c.organization is None for c in topic.cards)
    assert all(not p.organizations for p in report.participation)
    assert [p.joined for p in report.participation] == [2, 2, 2, 2]  # counts always
    assert all(p.display_name is None and p.organization is None for p in report.data.participants)


@pytest.mark.rendering
def test_cards_perspectives_examples_questions_clusters(world: World) -> None:
    report = report_of(world)
    topic = topic_one(report)
    by_group = {p.group.key: p for p in topic.perspectives}
    assert [c.text for c in by_group["science"].needs] == [world.cards["need-science"]["text"]]
    assert [c.text for c in by_group["business"].logics] == [world.cards["logic-business"]["text"]]
    assert by_group["business"].needs[0].merged_groups[0].key == "business"  # the merged duplicate
    assert [c.text for c in topic.examples] == [world.cards["example"]["text"]]
    assert [c.text for c in topic.questions] == [world.cards["question"]["text"]]
    (cluster,) = topic.clusters
    assert cluster.title == "Daten und Zugang" and cluster.dots == 7
    assert {g.key: n for g, n in cluster.dots_by_group} == {"science": 2, "business": 2, "administration": 3}
    assert [c.number for c in cluster.cards] == [1, 3]
    # Appendix: every visible card, numbered; the duplicate with its target; no hidden card.
    numbers = {c.text: c.number for c in topic.cards}
    assert world.cards["hidden"]["text"] not in numbers
    duplicate = next(c for c in topic.cards if c.text == world.cards["duplicate"]["text"])
    assert duplicate.merged_into == numbers[world.cards["need-business"]["text"]] == 3
    assert [c.number for c in topic.cards] == list(range(1, len(topic.cards) + 1))
    assert report.topics[1].cards[0].number == len(topic.cards) + 1  # numbering runs on
    # Only current statement versions in the main part; the first version in the appendix.
    assert world.statements["revised-v1"]["id"] not in {s.id for s in (*topic.consensus, *topic.without_consensus)}
    (earlier,) = topic.earlier_revisions
    assert (
        earlier.revision == 1
        and earlier.ratings_count == 3
        and earlier.current_text == world.statements["revised"]["text"]
    )


@pytest.mark.rendering
def test_participation_and_organisations(world: World) -> None:
    report = report_of(world)
    rows = {p.group.key: p for p in report.participation}
    assert rows["science"].organizations == ("Institut für Stadtforschung", "Universität Nord")
    assert (rows["science"].joined, rows["science"].cards, rows["science"].dots) == (2, 3, 2)
    assert rows["business"].cards == 3  # the hidden card does not count, the merged duplicate does
    assert rows["administration"].dots == 3 and sum(p.ratings for p in report.participation) == 8 * 4 + 3
    assert report.participants_total == 8


@pytest.mark.rendering
def test_settings_choose_and_order_topics_and_sections(world: World) -> None:
    t1, t2, t3 = (t["id"] for t in world.topics)

    async def work(session: AsyncSession) -> Report:
        workshop = await workshop_get(session=session, workshop_id=world.id)
        sections = ["appendix", "topics", "next_steps", "questions", "consensus"]
        changes = ReportSettingsInput(topic_ids=[t2, t1], sections=sections)
        await report_settings_update(session=session, workshop=workshop, changes=changes)
        return await report_build(session=session, workshop=workshop)

    report: Report = db_run(world.app, work)
    assert [t.id for t in report.topics] == [t2, t1] and [t.number for t in report.topics] == [1, 2]
    assert report.sections == ("appendix", "topics", "next_steps") and report.topic_sections == (
        "questions",
        "consensus",
    )
    assert len(report.data.topics) == 3  # the raw data keeps every topic
    with use_locale("de"):
        markdown = render_markdown(report)
    assert markdown.index("## Anhang") < markdown.index("## 1. § 5") < markdown.index("## Nächste Schritte")
    assert "§ 6 Räume" not in markdown.split("## Anhang")[0] and "Beteiligte Organisationen" not in markdown
    topic_one_part = markdown.split("\n## 2. § 4")[1].split("## Nächste Schritte")[0]
    assert topic_one_part.index("### Offene Fragen") < topic_one_part.index("### Konsens")

    async def everything(session: AsyncSession) -> Any:
        workshop = await workshop_get(session=session, workshop_id=world.id)
        changes = ReportSettingsInput(topic_ids=[t1, t2, t3], sections=[*REPORT_SECTIONS, *TOPIC_SECTIONS])
        return await report_settings_update(session=session, workshop=workshop, changes=changes)

    settings = db_run(world.app, everything)
    assert settings.topic_ids == [] and settings.sections == []  # the default: topics added later appear too


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (ReportSettingsInput(accent_color="red"), "accent_color"),
        (ReportSettingsInput(accent_color="#12345g"), "accent_color"),
        (ReportSettingsInput(topic_ids=[]), "topic_ids"),
        (ReportSettingsInput(topic_ids=["nope"]), "topic_ids"),
        (ReportSettingsInput(sections=["topics", "topics"]), "sections"),
        (ReportSettingsInput(sections=["secrets"]), "sections"),
        (ReportSettingsInput(sections=[]), "sections"),
        (ReportSettingsInput(place="a\nb"), "place"),
        (ReportSettingsInput(held_on="x" * 41), "held_on"),
        (ReportSettingsInput(introduction="x" * 8001), "introduction"),
        (ReportSettingsInput(references="bad \x07 bell"), "references"),
    ],
)
def test_invalid_settings_are_refused_and_change_nothing(
    world: World, changes: ReportSettingsInput, field: str
) -> None:
    async def work(session: AsyncSession) -> tuple[str, str]:
        workshop = await workshop_get(session=session, workshop_id=world.id)
        with pytest.raises(Invalid) as refused:
            await report_settings_update(session=session, workshop=workshop, changes=changes)
        settings = await report_settings_get(session=session, workshop=workshop)
        return refused.value.field or "", settings.place

    refused_field, place = db_run(world.app, work)
    assert refused_field == field and place == "Rathaus Musterstadt"


@pytest.mark.rendering
def test_logo_is_checked_by_magic_bytes_and_size(world: World) -> None:
    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4), "#0b5394").save(jpeg, format="JPEG")

    async def work(session: AsyncSession) -> list[str]:
        workshop = await workshop_get(session=session, workshop_id=world.id)
        outcomes = []
        for data in (b"GIF89a....", b"<svg onload=alert(1)>", tiny_png() + b"\0" * (512 * 1024)):
            try:
                await report_logo_set(session=session, workshop=workshop, data=data)
            except (Invalid, TooLarge) as exc:
                outcomes.append(type(exc).__name__)
        settings = await report_logo_set(session=session, workshop=workshop, data=jpeg.getvalue())
        outcomes.append(settings.logo_type)
        settings = await report_logo_set(session=session, workshop=workshop, data=None)
        outcomes.append(repr(settings.logo))
        return outcomes

    assert db_run(world.app, work) == ["Invalid", "Invalid", "TooLarge", "image/jpeg", "None"]


# --- the report settings through the API ---------------------------------------------------------


def test_report_settings_api(world: World) -> None:
    api = world.api
    url = f"/api/v1/workshops/{world.id}/report"
    data = api.get(url, headers=world.mod()).json()
    assert data["place"] == "Rathaus Musterstadt" and data["has_logo"] is True and data["logo_type"] == "image/png"
    assert data["accent_color"] == "#aa3300" and data["sections"] == [*REPORT_SECTIONS, *TOPIC_SECTIONS]
    assert len(data["topic_ids"]) == 3
    refused = api.patch(url, json={"accent_color": "javascript:alert(1)"}, headers=world.mod())
    assert refused.status_code == 422 and "#rrggbb" in refused.json()["detail"]
    extra = api.patch(url, json={"logo": "x"}, headers=world.mod())
    assert extra.status_code == 422
    logo = f"{url}/logo"
    too_big = api.put(
        logo, content=tiny_png() + b"\0" * (600 * 1024), headers={**world.mod(), "Content-Type": "image/png"}
    )
    assert too_big.status_code == 413 and "512 KiB" in too_big.json()["detail"]
    beyond = api.put(logo, content=b"\0" * (700 * 1024), headers={**world.mod(), "Content-Type": "image/png"})
    assert beyond.status_code == 413  # refused by the body limit before the route
    not_image = api.put(logo, content=b"<svg/>", headers={**world.mod(), "Content-Type": "image/png"})
    assert not_image.status_code == 422 and "PNG" in not_image.json()["detail"]
    assert api.delete(logo, headers=world.mod()).json()["has_logo"] is False
    # Everywhere else the body limit stays as it was.
    big = api.patch(url, json={"introduction": "x" * (MAX_BODY + 10)}, headers=world.mod())
    assert big.status_code == 413


# --- the moderator's page -------------------------------------------------------------------------


@pytest.fixture
def browser(world: World, client: TestClient) -> TestClient:
    login_as(client, world.moderator)
    return client


def page(client: TestClient, world: World) -> BeautifulSoup:
    response = client.get(f"/m/workshops/{world.id}/report")
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def form_fields(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """What the browser would send for the settings form (hidden order inputs, ticked boxes)."""
    form = soup.find("form", id="report-form")
    assert form is not None
    fields: list[tuple[str, str]] = []
    for element in form.find_all(["input", "textarea"]):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "file"):
            continue
        if element.get("type") == "checkbox" and not element.has_attr("checked"):
            continue
        fields.append((name, element.text if element.name == "textarea" else element.get("value", "")))
    return fields


def as_form(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields for the test client (repeated names keep their order)."""
    form: dict[str, list[str]] = {}
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form


@pytest.mark.rendering
def test_page_shows_the_form_the_downloads_and_the_preview(browser: TestClient, world: World) -> None:
    soup = page(browser, world)
    buttons = {b["value"] for b in soup.select("form.download-form .download-list button[name=format]")}
    assert buttons == {"md", "html", "pdf", "docx", "odt", "csv", "json"}  # tests/test_report_downloads.py
    preview = soup.select_one(".report-preview article.rp")
    assert preview is not None and preview["lang"] == "de"
    assert world.statements["consensus"]["text"] in preview.get_text()
    assert "Rechtlich unzulässig: Vergaberecht" in preview.get_text()
    assert preview.find("h3").get_text() == "Austauschrunde: Beteiligung & Stadtlabore"  # below the page's h1/h2
    assert not soup.find_all(
        "script", src=lambda s: s and "report.js" not in s and "htmx" not in s and "runde.js" not in s
    )
    assert soup.select_one("#r-accent_color")["value"] == "#aa3300"
    assert len(soup.select("#order-topic .order-item")) == 3
    first_up = soup.select_one("#order-topic .order-item [data-move=up]")
    assert first_up.has_attr("disabled") and first_up.get_text(strip=True).startswith("↑")


@pytest.mark.rendering
def test_saving_updates_the_preview_and_the_exports(browser: TestClient, world: World) -> None:
    fields = [(k, v) for k, v in form_fields(page(browser, world)) if k not in ("introduction", "place")]
    fields += [("introduction", "Neue Einleitung\n\nZweiter Absatz"), ("place", "Stadtbibliothek")]
    t1 = world.topics[0]["id"]
    fields = [(k, v) for k, v in fields if not (k == "topic" and v == t1)]  # untick topic 1
    response = browser.post(f"/m/workshops/{world.id}/report", data=as_form(fields), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=1#report-form")
    soup = page(browser, world)
    text = soup.select_one(".report-preview").get_text()
    assert "Neue Einleitung" in text and "Stadtbibliothek" in text
    assert world.statements["consensus"]["text"] not in text  # topic 1 left out
    markdown = world.export("md").content.decode()
    assert "Stadtbibliothek" in markdown and "§ 4 Beteiligung" not in markdown


@pytest.mark.rendering
def test_move_buttons_work_without_a_script(browser: TestClient, world: World) -> None:
    fields = form_fields(page(browser, world))
    t3 = world.topics[2]["id"]
    response = browser.post(
        f"/m/workshops/{world.id}/report", data=as_form([*fields, ("move", f"topic:{t3}:up")]), follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].endswith(f"#order-topic-{t3}")
    order = [li["id"].removeprefix("order-topic-") for li in page(browser, world).select("#order-topic .order-item")]
    assert order == [world.topics[0]["id"], t3, world.topics[1]["id"]]
    response = browser.post(
        f"/m/workshops/{world.id}/report",
        data=as_form([*form_fields(page(browser, world)), ("move", "section:appendix:up")]),
        follow_redirects=False,
    )
    assert response.status_code == 303
    sections = [
        li["id"].removeprefix("order-section-") for li in page(browser, world).select("#order-section .order-item")
    ]
    assert sections[-2:] == ["appendix", "references"]


@pytest.mark.rendering
def test_refused_form_keeps_what_was_typed(browser: TestClient, world: World) -> None:
    fields = [(k, v) for k, v in form_fields(page(browser, world)) if k not in ("accent_color", "introduction")]
    fields += [("accent_color", "rot"), ("introduction", "Mein langer Text, der nicht verloren gehen darf")]
    response = browser.post(f"/m/workshops/{world.id}/report", data=as_form(fields))
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "#rrggbb" in soup.select_one("#accent_color-error").get_text()
    assert soup.select_one("#r-accent_color")["aria-invalid"] == "true"
    assert soup.select_one("#r-introduction").get_text() == "Mein langer Text, der nicht verloren gehen darf"
    no_topics = [(k, v) for k, v in form_fields(page(browser, world)) if k != "topic"]
    response = browser.post(f"/m/workshops/{world.id}/report", data=as_form(no_topics))
    assert response.status_code == 422 and "mindestens ein Thema" in response.text


@pytest.mark.rendering
def test_logo_upload_from_the_page(browser: TestClient, world: World) -> None:
    url = f"/m/workshops/{world.id}/report/logo"
    token = csrf(browser)
    ok = browser.post(
        url, data={"csrf_token": token}, files={"logo": ("logo.png", tiny_png(), "image/png")}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert page(browser, world).select_one(".logo-preview")["src"].startswith("data:image/png;base64,")
    renamed = browser.post(url, data={"csrf_token": token}, files={"logo": ("logo.png", b"GIF89a", "image/png")})
    assert renamed.status_code == 422 and "PNG- oder JPEG" in renamed.text
    large = browser.post(
        url, data={"csrf_token": token}, files={"logo": ("big.png", tiny_png() + b"\0" * 530_000, "image/png")}
    )
    assert large.status_code == 413 and "512 KiB" in large.text
    # Without the form's CSRF token the upload is refused (the token is read from the multipart body).
    forged = browser.post(url, files={"logo": ("logo.png", tiny_png(), "image/png")})
    assert forged.status_code == 403
    removed = browser.post(url, data={"csrf_token": token, "remove": "1"}, follow_redirects=False)
    assert removed.status_code == 303 and page(browser, world).select_one(".logo-preview") is None


def test_participants_cannot_open_the_report_page(world: World, client_factory: Any) -> None:
    phone: TestClient = client_factory()
    join_browser(phone, world.workshop, group="science", name="Zoe")
    assert phone.get(f"/m/workshops/{world.id}/report").status_code == 403
    token = csrf(phone)
    assert phone.post(f"/m/workshops/{world.id}/report", data={"csrf_token": token, "place": "x"}).status_code == 403
    assert phone.get(f"/api/v1/workshops/{world.id}/export", params={"format": "md"}).status_code == 403


@pytest.mark.rendering
def test_console_links_to_the_report(browser: TestClient, world: World) -> None:
    response = browser.get(f"/m/workshops/{world.id}")
    assert f'href="/m/workshops/{world.id}/report"' in response.text


@pytest.mark.rendering
def test_english_workshop_report_is_in_english(app: FastAPI, api: TestClient) -> None:
    world = build_world(app, api, locale="en")
    markdown = world.export("md").content.decode()
    assert "## Participating organisations" in markdown and "2 of 2 (100%)" in markdown
    assert "Concerns and blocks, with their reasons" in markdown and "Konsens" not in markdown
    german_caller = {**bearer(world.moderator.token), "Accept-Language": "de"}
    again = world.api.get(f"/api/v1/workshops/{world.id}/export", params={"format": "md"}, headers=german_caller)
    assert again.content.decode() == markdown  # the workshop's language, whoever asks


# --- the golden report of the demo ---------------------------------------------------------------


async def _demo_report(session: AsyncSession) -> str:
    """The demo workshop as ``runde demo`` leaves it (statements drafted and rated in its fixed
    pattern), as Markdown."""
    content = demo_content("de")
    demo = await demo_create(session=session, locale="de")
    workshop = demo.workshop
    await report_settings_update(
        session=session,
        workshop=workshop,
        changes=ReportSettingsInput(
            place=content.place,
            held_on="26. November 2026",
            moderators="Demo-Moderation",
            organization_name="Stadt Musterstadt",
            next_steps="Die Austauschrunde wird monatlich fortgeführt.",
            references="Holtkamp, L. (2007). Handbuch Governance, S. 366–377.",
        ),
    )
    report = await report_build(session=session, workshop=workshop)
    with use_locale("de"):
        return render_markdown(report)


def normalise(markdown: str) -> str:
    """Nothing in the report should vary between runs; dates and ids are masked anyway."""
    markdown = re.sub(r"\d{4}-\d{2}-\d{2}T[\d:.+]+", "<time>", markdown)
    return re.sub(r"\b[a-km-z2-9]{16}\b", "<id>", markdown)


@pytest.mark.rendering
def test_golden_markdown_report_of_the_demo(app: FastAPI, api: TestClient) -> None:
    markdown = normalise(db_run(app, _demo_report))
    golden = GOLDEN / "demo-report.de.md"
    if os.environ.get("RUNDE_UPDATE_GOLDEN") == "1":  # regenerate after an intended change
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(markdown, encoding="utf-8")
    assert markdown == golden.read_text(encoding="utf-8"), "run with RUNDE_UPDATE_GOLDEN=1 and review the diff"
