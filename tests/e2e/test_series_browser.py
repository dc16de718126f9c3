"""The whole cycle of a series in real browsers (issue 12): create a series and a round with two
places, three people register (the third is waitlisted), one cancels through the link from the
e-mail a real local SMTP server received, the waitlisted person moves up and is told, the
round runs and a statement reaches consensus, open items carry over into the next round, the
report is published and the public series page shows it. Time is a controlled clock on the
live app (registration before the round, the run during it, publishing after it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from app.config import Settings
from tests.e2e.conftest import Browsing
from tests.e2e.test_browser import axe_check, login, serve_axe
from tests.e2e.test_consensus_browser import api
from tests.factories import ModeratorInfo
from tests.smtp import Inbox, settings_with_smtp

pytestmark = pytest.mark.browser
LIVE = 6_000


@pytest.fixture
def settings(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return settings_with_smtp(settings, inbox[1])


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage, pattern: str) -> str:
    found = re.search(pattern, text_of(message))
    assert found, text_of(message)
    return found.group(1)


def wait_for_mail(inbox: Inbox, address: str, count: int, page: Page) -> list[EmailMessage]:
    for _ in range(50):
        if len(inbox.to(address)) >= count:
            break
        page.wait_for_timeout(100)
    mails = inbox.to(address)
    assert len(mails) >= count, [str(m["Subject"]) for m in inbox.messages]
    return mails


def register(browsing: Browsing, page: Page, form_path: str, name: str, group: str, address: str) -> None:
    browsing.goto(page, form_path)
    page.fill("#name", name)
    page.fill("#organization", f"Stadt {name}")
    page.locator(f'input[name="group"][value="{group}"]').check()
    page.fill("#email", address)
    page.locator('input[name="consent"]').check()
    browsing.collect(page)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(re.compile("angemeldet|Warteliste"))


def test_the_whole_cycle_of_a_series(
    app: FastAPI, browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, inbox: tuple[Inbox, int]
) -> None:
    server, _port = inbox
    clock = Clock(datetime(2031, 1, 1, 9, 0, tzinfo=UTC))
    app.state.clock = clock

    # 1. The moderator creates a series and a round with two places (and the next round).
    moderator_context = browsing.context(locale="de-DE")
    serve_axe(moderator_context)
    m = browsing.page(moderator_context)
    violations: list[str] = []
    login(browsing, m, moderator)
    browsing.goto(m, "/m/series")
    m.fill("#title", "Smart-City-Austausch")
    m.fill("#description", "Eine wiederkehrende Austauschrunde zu kommunalen Digitalstrategien.")
    m.fill("#rhythm", "monatlich")
    m.locator("main form button[type=submit]").click()
    m.wait_for_url(re.compile(r"/m/series/[a-z0-9]+$"))
    series_id = m.url.rsplit("/", 1)[1]
    for title, start, capacity in (("Runde 2", "2031-01-10T14:00", "2"), ("Runde 3", "2031-02-10T14:00", "")):
        browsing.goto(m, f"/m/series/{series_id}")
        m.fill("#title", title)
        m.fill("#starts_at", start)
        m.fill("#duration_minutes", "90")
        m.fill("#place", "Rathaus, Saal 2")
        m.fill("#capacity", capacity)
        m.locator("main form[action$='/rounds'] button[type=submit]").click()
        m.wait_for_url(re.compile(r"/m/workshops/[a-z0-9]+/round$"))
    browsing.goto(m, f"/m/series/{series_id}")
    violations += axe_check(m, "moderator series page (new round, edit series)")
    rounds = http.get(f"/api/v1/series/{series_id}").json()["rounds"]
    first, second = rounds[0]["workshop_id"], rounds[1]["workshop_id"]
    assert rounds[0]["capacity"] == 2 and rounds[1]["capacity"] is None

    # 2. Three people register on the public page; the third is waitlisted.
    form_path = f"/s/{series_id}/rounds/{first}/register"
    violations += axe_check(m, "moderator round page")
    people = {}
    for name, group in (("Ada", "science"), ("Ben", "administration"), ("Cem", "business")):
        page = browsing.page(locale="de-DE")
        register(browsing, page, form_path, name, group, f"{name.lower()}@example.org")
        people[name] = page
    expect(people["Ada"].locator("h1")).to_have_text("Sie sind angemeldet")
    expect(people["Cem"].locator("h1")).to_have_text("Sie stehen auf der Warteliste")
    public_context = browsing.context(locale="de-DE")
    serve_axe(public_context)
    public = browsing.page(public_context)
    browsing.goto(public, f"/s/{series_id}")
    expect(public.locator(f"#round-{first} .capacity")).to_contain_text("Ausgebucht")
    violations += axe_check(public, "public series page")
    browsing.goto(public, form_path)
    violations += axe_check(public, "registration form")

    # 3. Ada cancels through the link in the e-mail the SMTP server received.
    ada_mail = wait_for_mail(server, "ada@example.org", 1, m)[0]
    cancel = link_in(ada_mail, r"(http://\S+/r/[A-Za-z0-9._=-]+)")
    ada = people["Ada"]
    ada.goto(cancel.replace(cancel.split("/r/")[0], browsing.base_url))
    ada.locator("main form button[type=submit]").click()
    expect(ada.locator("h1")).to_have_text("Anmeldung storniert")

    # 4. Cem moves up and gets the e-mail.
    moved = wait_for_mail(server, "cem@example.org", 2, m)[1]
    assert "Cem" in text_of(moved) and "nachgerückt" in text_of(moved)
    browsing.goto(m, f"/m/workshops/{first}/round")
    expect(m.locator("#registrations")).to_contain_text("Cem")
    statuses = {r["name"]: r["status"] for r in api(http, moderator, "GET", f"/api/v1/workshops/{first}/registrations")}
    assert statuses == {"Ada": "cancelled", "Ben": "confirmed", "Cem": "confirmed"}

    # 5. The round runs: the moderator mails the join links; Ben and Cem join with them (their
    # names filled in), and one statement reaches consensus while another does not.
    clock.now = datetime(2031, 1, 10, 13, 15, tzinfo=UTC)
    m.fill("#subject", "Heute um 14 Uhr")
    m.fill("#text", "Hier geht es los.")
    m.locator("form[action$='/round/message'] button[type=submit]").click()
    expect(m.locator("[role=status]").first).to_contain_text("2")
    topic = api(http, moderator, "POST", f"/api/v1/workshops/{first}/topics", {"title": "Stadtlabore"})["id"]
    for name in ("Ben", "Cem"):
        mail = wait_for_mail(server, f"{name.lower()}@example.org", 2 if name == "Ben" else 3, m)[-1]
        join_link = link_in(mail, r"(http://\S+/r/[A-Za-z0-9._=-]+/join)")
        page = people[name]
        page.goto(join_link.replace(join_link.split("/r/")[0], browsing.base_url))
        expect(page.locator("#display_name")).to_have_value(name)
        expect(page.locator("#organization")).to_have_value(f"Stadt {name}")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/w/[^/]+/topics/[^/]+$"))
    agreed = api(http, moderator, "POST", f"/api/v1/topics/{topic}/statements", {"text": "Stadtlabore sind Lotsen."})
    open_ = api(
        http, moderator, "POST", f"/api/v1/topics/{topic}/statements", {"text": "Stadtlabore zahlen sich selbst."}
    )
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "consent"})
    for name, levels in (("Ben", ("full", "full")), ("Cem", ("full", "block"))):
        page = people[name]
        for statement, level in zip((agreed["id"], open_["id"]), levels, strict=True):
            form = page.locator(f"#rate-{statement}")
            expect(form).to_be_visible(timeout=LIVE)
            form.locator(f"input[value={level}]").check()
            if level == "block":
                form.locator("textarea").fill("Nicht ohne Förderung.")
            form.locator("button[type=submit]").click()
            expect(form.locator(".status")).not_to_be_empty(timeout=LIVE)
    rated = {s["id"]: s for s in api(http, moderator, "GET", f"/api/v1/topics/{topic}/statements")}
    assert rated[agreed["id"]]["consensus"] is True and rated[open_["id"]]["consensus"] is False

    # 6. Carry-over: the statement without consensus becomes a topic of the next round.
    clock.now = datetime(2031, 1, 20, 9, 0, tzinfo=UTC)
    browsing.goto(m, f"/m/workshops/{second}/round")
    m.locator(f'input[name="items"][value="statement:{open_["id"]}"]').check()
    m.locator("form[action$='/carry-over'] button[type=submit]").click()
    expect(m.locator(f'input[name="items"][value="statement:{open_["id"]}"]')).to_be_disabled()
    carried = api(http, moderator, "GET", f"/api/v1/workshops/{second}")["topics"]
    assert [t["title"] for t in carried] == ["Stadtlabore zahlen sich selbst."]
    assert "Runde 2" in carried[0]["prompt"]

    # 7. Publish the report of round 2 with one click.
    browsing.goto(m, f"/m/workshops/{first}/round")
    m.locator("form[action$='/round/publish'] button[type=submit]").click()
    expect(m.locator("form[action$='/round/publish'] a")).to_have_attribute("href", re.compile(rf"/reports/{first}$"))

    # 8. The public series page shows it; the report names the agreed statement.
    browsing.goto(public, f"/s/{series_id}")
    public.get_by_role("link", name=re.compile("Nachbericht")).click()
    public.wait_for_url(re.compile(rf"/s/{series_id}/reports/{first}$"))
    expect(public.locator("main")).to_contain_text("Stadtlabore sind Lotsen.")
    expect(public.locator(f'a[href$="/reports/{first}.pdf"]')).to_have_count(1)
    violations += axe_check(public, "published report")
    assert not violations, "\n".join(violations)
    browsing.assert_clean()
