"""A real 40-person round (issue 10): 37 participants through the API, three phones in real
Chromium at 390×844 (two German, one English), the projector at 1920×1080 in German and in
English, and the moderator. In every phase it asserts what a person in the room would check:

* the projector's key element for the phase (every statement's verdict in consent) lies
  inside the first 1080 px, the page does not scroll, and its text is at least 28 px;
* each phone's action for the phase lies inside the first 844 px;
* axe-core finds no WCAG 2.1 A/AA violation on the projector, the phones and the
  moderator's board, in German and in English.

And that the room leads: when the moderator shows another topic on the projector, every
phone follows within a second, except one that is typing (it keeps its text and gets
"back to the room") and one that went to another topic on purpose.

Screenshots of every phase go to ``RUNDE_SCREENSHOT_DIR`` when it is set.
"""

from __future__ import annotations

import concurrent.futures
import re
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from app.domain.demo import demo_create
from tests.e2e.conftest import Browsing
from tests.e2e.test_browser import axe_check, join, login, serve_axe, wait_live, workshop_with_topics
from tests.factories import ModeratorInfo, bearer, db_run, join_api, post_card

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LIVE = 6_000
PROJECTOR = {"width": 1920, "height": 1080}
GROUPS = ("science", "business", "civil_society", "administration")
MIN_PX = 28

CARD_TEXTS = [
    "Offene Schnittstellen für Fahrplandaten",
    "Abendtermine für Ehrenamtliche",
    "Ein Reallabor am Bahnhofsvorplatz",
    "Datenschutz von Anfang an mitdenken",
    "Feste Ansprechpersonen in der Verwaltung",
    "Förderprogramm für kleine Betriebe",
    "Sensordaten der Stadtwerke teilen",
    "Beteiligung auch ohne Smartphone",
]


def api(http: httpx.Client, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = http.request(method, path, json=body, headers=bearer(token))
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def box_in_view(page: Page, selector: str, height: int, *, first: bool = False, required: bool = True) -> list[str]:
    """Problems with ``selector`` on a page scrolled to the top: every visible match (or only
    the ``first``) must lie inside the first ``height`` px; returns the problems."""
    page.evaluate("() => window.scrollTo(0, 0)")
    found: list[dict[str, Any]] = page.evaluate(
        """(s) => Array.from(document.querySelectorAll(s)).filter(el => el.offsetParent !== null).map(el => {
             const r = el.getBoundingClientRect();
             return {top: r.top, bottom: r.bottom, text: (el.textContent || "").trim().slice(0, 40),
                     font: parseFloat(getComputedStyle(el).fontSize)};
           })""",
        selector,
    )
    if not found:
        return [f"{selector}: nothing visible"] if required else []
    if first:
        found = found[:1]
    top = found[0]
    print(f"{page.viewport_size}: {selector} at {top['top']:.0f}–{top['bottom']:.0f} px, {top['font']:.0f} px text")
    return [f"{selector} '{f['text']}' at {f['top']:.0f}–{f['bottom']:.0f} px" for f in found if f["bottom"] > height]


def projector_check(page: Page, selector: str) -> list[str]:
    """The key element on every page of the room view: inside 1080 px, ≥ 28 px, no scrolling."""
    problems: list[str] = []
    scroll = page.evaluate("() => [document.scrollingElement.scrollHeight, window.innerHeight]")
    if scroll[0] > scroll[1]:
        problems.append(f"projector scrolls: {scroll[0]} px for a {scroll[1]} px screen")
    pages = page.evaluate("() => { const t = document.querySelector('.room-pager-n'); return t ? t.textContent : ''; }")
    count = int(pages.split("/")[1]) if "/" in pages and not page.locator("#room-pager").is_hidden() else 1
    seen = 0
    for _ in range(count):
        problems += box_in_view(page, selector, PROJECTOR["height"], required=False)
        small = page.evaluate(
            """(s) => Array.from(document.querySelectorAll(s)).filter(el => el.offsetParent !== null)
                 .map(el => parseFloat(getComputedStyle(el).fontSize)).filter(px => px < 28)""",
            selector,
        )
        problems += [f"{selector} at {px} px" for px in small]
        # Body text anywhere in the room view: at least 28 px.
        tiny = page.evaluate(
            """() => Array.from(document.querySelectorAll('.room *, .projector-join *, .room-tools *'))
                 .filter(el => el.offsetParent !== null && !el.closest('.sr-only') && !el.closest('svg') &&
                         Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
                 .filter(el => parseFloat(getComputedStyle(el).fontSize) < 28)
                 .map(el => el.className + ' ' + getComputedStyle(el).fontSize + ' ' + el.textContent.trim().slice(0, 30))"""
        )
        problems += [f"small text on the projector: {t}" for t in tiny]
        seen += page.evaluate(
            "(s) => Array.from(document.querySelectorAll(s)).filter(el => el.offsetParent !== null).length", selector
        )
        if count > 1:
            page.keyboard.press("ArrowRight")
    total = page.evaluate("(s) => document.querySelectorAll(s).length", selector)
    if not total or seen < total:
        problems.append(f"{selector}: only {seen} of {total} shown across {count} page(s)")
    return problems


def shoot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(folder / f"{name}.png"), timeout=30_000)


def test_a_40_person_round(
    browsing: Browsing,
    http: httpx.Client,
    moderator: ModeratorInfo,
    screenshot_dir: Path | None,
) -> None:
    workshop = workshop_with_topics(http, moderator)
    w = workshop["id"]
    topic, other = workshop["topics"][0]["id"], workshop["topics"][1]["id"]
    tok = moderator.token

    # 37 people through the API, three phones through the join page.
    people = [join_api(http, workshop, group=GROUPS[n % 4], name=f"Person {n + 1}") for n in range(37)]  # type: ignore[arg-type]
    phone_contexts = [browsing.context(locale=loc, phone=True) for loc in ("de-DE", "de-DE", "en-US")]
    for context in phone_contexts:
        serve_axe(context)
    phones = [browsing.page(c) for c in phone_contexts]
    for n, phone in enumerate(phones):
        join(browsing, phone, workshop, name=f"Telefon {n + 1}", group=GROUPS[n], org="")

    mod_de, mod_en = browsing.context(locale="de-DE"), browsing.context(locale="en-US")
    for context in (mod_de, mod_en):
        serve_axe(context)
    m, m_en = browsing.page(mod_de), browsing.page(mod_en)
    login(browsing, m, moderator)
    login(browsing, m_en, moderator)
    browsing.goto(m, f"/m/workshops/{w}/topics/{topic}")
    m.get_by_role("button", name="Dieses Thema am Beamer zeigen").click()
    wait_live(m)
    projectors = [browsing.page(mod_de), browsing.page(mod_en)]
    for projector in projectors:
        projector.set_viewport_size(PROJECTOR)
        browsing.goto(projector, f"/m/workshops/{w}/projector")
        expect(projector.locator(f"#room-{topic}")).to_be_visible()
    # Before the first card the join code is large; the room view makes room for it.
    expect(projectors[0].locator("body")).to_have_class(re.compile("join-large"))
    assert projectors[0].locator("#projector-join .qr").bounding_box()["width"] >= 300  # type: ignore[index]
    shoot(projectors[0], screenshot_dir, "join-projector-de")

    # --- the room leads: phones follow the projector to another topic --------------------------
    typing_phone = phones[1]
    draft = "Noch nicht fertig: Nachtbusse für Schichtarbeit"
    typing_phone.locator(".compose textarea").fill(draft)  # focused and not sent
    browsing.goto(m, f"/m/workshops/{w}/topics/{other}")

    def goes_to(topic_id: str) -> Any:
        return lambda r: r.is_navigation_request() and r.url.endswith(f"/topics/{topic_id}")

    # Browser clocks (the same wall clock for every page): from the moment the moderator's
    # request was answered (the room's move is committed and pushed) to each phone's own
    # request for the room's topic.
    with (
        phones[0].expect_request(goes_to(other)) as nav0,
        phones[2].expect_request(goes_to(other)) as nav2,
        m.expect_response(lambda r: r.url.endswith("/project")) as moved,
    ):
        m.get_by_role("button", name="Dieses Thema am Beamer zeigen").click()
    timing = moved.value.request.timing
    moved_at = (timing["startTime"] + timing["responseStart"]) / 1000
    followed = {}
    for n, nav in ((0, nav0), (2, nav2)):
        nav.value.response()  # the timing is complete once answered
        followed[n] = round(max(0.0, nav.value.timing["startTime"] / 1000 - moved_at), 3)
        phones[n].wait_for_url(re.compile(f"/topics/{other}$"), wait_until="domcontentloaded")
    print(f"phones followed the room {followed} s after the move was committed")
    assert max(followed.values()) <= 1.0, f"phones followed too slowly: {followed}"
    for projector in projectors:
        expect(projector.locator(f"#room-{other}")).to_be_visible(timeout=LIVE)
    # The one typing stays, keeps the text, and is offered the way back.
    assert typing_phone.url.endswith(f"/topics/{topic}")
    expect(typing_phone.locator(".compose textarea")).to_have_value(draft)
    expect(typing_phone.locator("#room-return")).to_be_visible()
    expect(typing_phone.locator("#room-return-link")).to_have_attribute("href", f"/w/{w}/topics/{other}")
    # Someone who goes elsewhere on purpose gets the button, not a jump.
    phones[2].locator(f"#topic-tab-{topic} a").click()
    phones[2].wait_for_url(re.compile(f"/topics/{topic}$"))
    expect(phones[2].locator("#room-return")).to_be_visible()
    phones[2].wait_for_timeout(300)
    assert phones[2].url.endswith(f"/topics/{topic}")
    phones[2].locator("#room-return-link").click()
    phones[2].wait_for_url(re.compile(f"/topics/{other}$"))
    # Back to the first topic: the phones come along, the typing one had stayed there.
    browsing.goto(m, f"/m/workshops/{w}/topics/{topic}")
    started = time.monotonic()
    m.get_by_role("button", name="Dieses Thema am Beamer zeigen").click()
    for n in (0, 2):
        phones[n].wait_for_url(re.compile(f"/topics/{topic}$"), timeout=3_000)
    print(f"phones followed back in {time.monotonic() - started:.2f} s")
    expect(typing_phone.locator("#room-return")).to_be_hidden()
    for projector in projectors:
        expect(projector.locator(f"#room-{topic}")).to_be_visible(timeout=LIVE)
    # The draft survives even a reload (session storage), and goes out with the next post.
    typing_phone.reload()
    expect(typing_phone.locator(".compose textarea")).to_have_value(draft)
    for phone in phones:
        wait_live(phone)
    typing_phone.locator(".compose button[type=submit]").click()
    expect(typing_phone.locator(".compose textarea")).to_have_value("")
    # One card: "1 Beitrag" in the tab, live on the other phones too (a plural form, not "1 Beiträge").
    expect(phones[0].locator(f"#count-{topic}")).to_have_text("1 Beitrag", timeout=LIVE)
    expect(phones[2].locator(f"#count-{topic}")).to_have_text("1 card", timeout=LIVE)
    # The first card shrinks the join code to a corner; J calls it back and sends it away again.
    expect(projectors[0].locator("body")).not_to_have_class(re.compile("join-large"), timeout=LIVE)
    projectors[0].keyboard.press("j")
    expect(projectors[0].locator("body")).to_have_class(re.compile("join-large"))
    projectors[0].keyboard.press("j")
    expect(projectors[0].locator("body")).not_to_have_class(re.compile("join-large"))

    # --- the phases -------------------------------------------------------------------------
    projector_key = {
        "collect": ".room-count .room-big",
        "cluster": ".room-cluster .room-item-title",
        "vote": ".room-vote-item .room-number",
        "consent": ".room-verdict",
        "closed": ".room-verdict",
    }
    phone_key = {
        "collect": ".compose button[type=submit]",
        "cluster": ".cluster-head h3",
        "vote": ".dot-button",
        "consent": "form.rate button[type=submit]",
        "closed": ".statement .verdict",
    }
    clusters: list[str] = []
    problems: list[str] = []
    violations: list[str] = []
    for phase in ("collect", "cluster", "vote", "consent", "closed"):
        if phase != "collect":
            api(http, tok, "PATCH", f"/api/v1/topics/{topic}", {"phase": phase})
        if phase == "collect":
            api(http, tok, "POST", f"/api/v1/topics/{topic}/timer", {"action": "start", "minutes": 5})
            for n, person in enumerate(people[:24]):
                response = post_card(http, person["token"], topic, f"{CARD_TEXTS[n % 8]} ({n + 1})", kind="need")  # type: ignore[arg-type]
                assert response.status_code == 201, response.text
        if phase == "cluster":
            cards = api(http, tok, "GET", f"/api/v1/topics/{topic}/cards")
            for title in ("Daten und Schnittstellen", "Zeiten und Orte", "Zuständigkeiten", "Förderung"):
                clusters.append(api(http, tok, "POST", f"/api/v1/topics/{topic}/clusters", {"title": title})["id"])
            for n, card in enumerate(cards[:-2]):
                api(http, tok, "PUT", f"/api/v1/cards/{card['id']}/cluster", {"cluster_id": clusters[n % 4]})
        if phase == "vote":
            for n, person in enumerate(people):
                api(
                    http,
                    person["token"],
                    "POST",
                    f"/api/v1/clusters/{clusters[n % 3 if n % 5 else 3]}/votes",
                    {"dots": 2},
                )
            api(http, tok, "POST", f"/api/v1/topics/{topic}/options", {"tallies_revealed": True})
            statements = [
                api(http, tok, "POST", f"/api/v1/topics/{topic}/statements", {"text": text, "cluster_id": cl})["id"]
                for text, cl in (
                    ("Die Stadt veröffentlicht Fahrplan- und Sensordaten über offene Schnittstellen.", clusters[0]),
                    ("Beteiligungstermine liegen abends oder am Wochenende.", clusters[1]),
                    ("Jede Gruppe bekommt eine feste Ansprechperson in der Verwaltung.", clusters[2]),
                    ("Ein Förderprogramm trägt das Reallabor am Bahnhofsvorplatz.", clusters[3]),
                )
            ]
        if phase == "consent":
            # A phone rates through its form: the focus stays on the form's button, not <body>.
            expect(phones[0].locator(f"#board-{topic}.phase-consent")).to_be_visible(timeout=LIVE)
            form = phones[0].locator(f"#rate-{statements[1]}")
            form.locator("input[value=reservations]").check()
            form.locator("button[type=submit]").click()
            expect(phones[0].locator(f"#rate-{statements[1]} .status")).not_to_be_empty(timeout=LIVE)
            focus = phones[0].evaluate(
                "() => document.activeElement.closest('form.rate') ? 'form' : document.activeElement.tagName"
            )
            assert focus == "form", f"focus after saving a rating: {focus}"
            levels = {0: "full", 1: "reservations", 2: "full", 3: "concerns"}
            for n, person in enumerate(people):
                for s_n, statement in enumerate(statements):
                    level = "full" if s_n == 0 else ("block" if s_n == 3 and n == 5 else levels[(n + s_n) % 4])
                    body = {"level": level, "reason": "Begründung" if level in ("concerns", "block") else None}
                    api(http, person["token"], "PUT", f"/api/v1/statements/{statement}/rating", body)
            api(http, tok, "POST", f"/api/v1/topics/{topic}/options", {"ratings_revealed": True})

        for projector in projectors:
            expect(projector.locator(f".room-phase-{phase}")).to_be_visible(timeout=LIVE)
            if phase in ("vote", "consent"):
                expect(projector.locator(projector_key[phase]).first).to_be_attached(timeout=LIVE)
            projector.wait_for_timeout(200)
        if phase == "consent":  # the verdicts are words on the wall once the revealed support arrives,
            # and the checks below measure that (taller) layout
            for projector, words in zip(projectors, (("Konsens", "Veto"), ("Consensus", "Blocked")), strict=True):
                verdicts = projector.locator(".room-verdict")
                for word in words:
                    expect(verdicts.filter(has_text=word).first).to_be_attached(timeout=LIVE)
                expect(projector.locator(".room-supports").first).to_be_attached()
        if phase == "cluster":  # a new phase of the room's topic is announced politely (with the
            # cards that arrived in the same gathering window, if any: "Phase: Clustering", "4 new cards")
            expect(phones[0].locator("#live-announce p").first).to_have_text("Phase: Clustern", timeout=LIVE)
            expect(phones[2].locator("#live-announce p").first).to_have_text("Phase: Clustering", timeout=LIVE)
        for n, phone in enumerate(phones):
            expect(phone.locator(f"#board-{topic}.phase-{phase}")).to_be_visible(timeout=LIVE)
            phone.wait_for_timeout(100)
            problems += [f"{phase} phone {n + 1}: {p}" for p in box_in_view(phone, phone_key[phase], 844, first=True)]
            shoot(phone, screenshot_dir, f"{phase}-phone-{n + 1}")
        for lang, projector in zip(("de", "en"), projectors, strict=True):
            shoot(projector, screenshot_dir, f"{phase}-projector-{lang}")
            problems += [f"{phase} projector {lang}: {p}" for p in projector_check(projector, projector_key[phase])]
        for lang, page in (("de", m), ("en", m_en)):
            browsing.goto(page, f"/m/workshops/{w}/topics/{topic}")
            wait_live(page)
            violations += axe_check(page, f"{phase} moderator {lang}")
        for lang, page in (("de", phones[0]), ("en", phones[2])):
            violations += axe_check(page, f"{phase} phone {lang}")
        for lang, page in zip(("de", "en"), projectors, strict=True):
            violations += axe_check(page, f"{phase} projector {lang}")
    # The moderator's participation table fits its column on a 1440 px laptop (no side scrolling).
    m.set_viewport_size({"width": 1440, "height": 900})
    browsing.goto(m, f"/m/workshops/{w}/topics/{topic}")
    overflow = m.evaluate(
        "() => { const b = document.querySelector('.balance .table-scroll'); return b.scrollWidth - b.clientWidth; }"
    )
    assert overflow <= 1, f"the participation table is {overflow} px wider than its column at 1440 px"
    shoot(m, screenshot_dir, "closed-moderator-1440")
    # High contrast on the projector: a key away, and still axe-clean.
    projectors[0].keyboard.press("k")
    expect(projectors[0].locator("body")).to_have_class(re.compile("room-contrast"))
    shoot(projectors[0], screenshot_dir, "closed-projector-de-contrast")
    violations += axe_check(projectors[0], "closed projector high contrast")
    # ? lists the keys on the wall (large enough to read there); Escape folds them again.
    projectors[1].keyboard.press("?")
    expect(projectors[1].locator("#room-keys")).to_be_visible()
    expect(projectors[1].locator("#room-keys-toggle")).to_have_attribute("aria-expanded", "true")
    small = projectors[1].evaluate(
        "() => Array.from(document.querySelectorAll('#room-keys *')).map(el => parseFloat(getComputedStyle(el).fontSize))"
        ".filter(px => px < 28)"
    )
    assert not small, f"the key list has text under 28 px: {small}"
    shoot(projectors[1], screenshot_dir, "closed-projector-en-keys")
    violations += axe_check(projectors[1], "closed projector keys")
    projectors[1].keyboard.press("Escape")
    expect(projectors[1].locator("#room-keys")).to_be_hidden()
    assert not problems, "\n".join(problems)
    assert not violations, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(violations)
    browsing.assert_clean()


def demo_workshop(app: FastAPI, locale: str) -> dict[str, Any]:
    """The demo workshop in ``locale``: its first topic is in consent, the support revealed."""

    async def create(session: Any) -> dict[str, Any]:
        workshop = (await demo_create(session=session, locale=locale)).workshop
        return {"id": workshop.id, "join_code": workshop.join_code}

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run() off Playwright's thread
        made: dict[str, Any] = pool.submit(db_run, app, create).result(timeout=60)
    return made


@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_a_phone_saves_a_rating_of_the_demos_longest_statement_within_the_first_screen(
    app: FastAPI, browsing: Browsing, screenshot_dir: Path | None, locale: str
) -> None:
    """The demo's consent topic at 390×844: the first statement's "Save rating" lies inside the
    first 844 px, and so would the longest statement's if it came first (its text, support
    and form are no taller); the reason field folds open for serious concerns and block."""
    workshop = demo_workshop(app, locale.split("-")[0])
    context = browsing.context(locale=locale, phone=True)
    serve_axe(context)
    phone = browsing.page(context)
    join(browsing, phone, workshop, name="Telefon", group="science")
    expect(phone.locator(".board.phase-consent")).to_be_visible()
    phone.evaluate("() => window.scrollTo(0, 0)")
    forms: list[dict[str, Any]] = phone.evaluate(
        """() => Array.from(document.querySelectorAll('.statement')).filter(li => li.querySelector('form.rate')).map(li => ({
             id: li.id, length: li.querySelector('.statement-text').textContent.trim().length,
             top: li.getBoundingClientRect().top,
             save: li.querySelector('form.rate button[type=submit]').getBoundingClientRect().bottom}))"""
    )
    assert len(forms) >= 3, forms
    first, longest = forms[0], max(forms, key=lambda f: f["length"])
    as_first = first["top"] + longest["save"] - longest["top"]
    print(
        f"{locale}: first Save at {first['save']:.0f} px; the longest statement's ({longest['length']} characters) would be at {as_first:.0f} px"
    )
    assert first["save"] <= 844, f"the first statement's Save rating ends at {first['save']:.0f} px"
    assert as_first <= 844, f"the longest statement's Save rating would end at {as_first:.0f} px"
    shoot(phone, screenshot_dir, f"demo-consent-phone-{locale}")
    # The reason is folded, labelled, and opens by itself for a rating that needs one.
    form = phone.locator(f"#{longest['id']} form.rate")
    reason = form.locator("textarea[name=reason]")
    expect(reason).to_be_hidden()
    form.locator("input[value=concerns]").check()
    expect(reason).to_be_visible()
    assert reason.evaluate("el => el.labels.length && el.labels[0].textContent.trim()")
    reason.fill("Zu teuer für kleine Betriebe")
    form.locator("button[type=submit]").click()
    expect(form.locator(".status")).not_to_be_empty()
    expect(phone.locator(f"#{longest['id']} textarea[name=reason]")).to_have_value("Zu teuer für kleine Betriebe")
    expect(phone.locator(f"#{longest['id']} textarea[name=reason]")).to_be_visible()
    assert not axe_check(phone, f"demo consent phone {locale}")
