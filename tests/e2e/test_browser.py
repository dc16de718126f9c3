"""Runde in a real browser: live cards between phones, reconnects, the moderator's console,
accessibility (axe-core) in German and English, and screenshots for a human look.

Every page these tests open is watched (``browsing`` in conftest.py): a console error, a CSP
violation or a request to a host other than 127.0.0.1 fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.factories import ModeratorInfo, bearer, create_workshop, join_api, post_card

if TYPE_CHECKING:
    from tests.e2e.conftest import Browsing, TcpProxy

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core-4.14.1" / "axe.min.js"
AXE_PATH = "/__e2e__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LIVE_MS = 2_000  # a card must reach the other browsers within this
WS_DOWN = (  # what the browser logs while B's network is gone and the extension retries
    r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws/workshops/[^']*' failed: "
    r"Error in connection establishment: net::ERR_(INTERNET_DISCONNECTED|CONNECTION_(REFUSED|RESET|CLOSED)|EMPTY_RESPONSE)$",
    r"^\[object Event\]$",  # htmx logs the htmx:wsError event itself
)
REFUSED = (  # a refused form (422), as the browser and htmx log it
    r"the server responded with a status of 422",
    r"^Response Status Error Code 422 from ",
)


# --- helpers ---------------------------------------------------------------------------


def workshop_with_topics(http: httpx.Client, moderator: ModeratorInfo) -> dict[str, Any]:
    return create_workshop(
        http,  # type: ignore[arg-type]
        moderator,
        title="Smart-City-Austausch Musterstadt",
        description="Wie binden wir Wissenschaft, Wirtschaft, Zivilgesellschaft und Verwaltung ein?",
        topics=[
            {
                "title": "Alle Akteure einbeziehen",
                "prompt": "§ 4 Abs. 2: Die Stadt beteiligt alle relevanten Akteursgruppen frühzeitig.",
                "guiding_questions": ["Wer fehlt noch am Tisch?", "Was braucht Ihre Gruppe, um mitzumachen?"],
            },
            {"title": "Offene Daten und Schnittstellen"},
        ],
    )


def join(browsing: Browsing, page: Page, workshop: dict[str, Any], *, name: str, group: str, org: str = "") -> None:
    """Join through the join page like a phone that scanned the QR code."""
    browsing.goto(page, f"/j/{workshop['join_code']}")
    page.fill("#display_name", name)
    page.fill("#organization", org)
    page.locator(f'input[name="group"][value="{group}"]').check()
    browsing.collect(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[^/]+/topics/[^/]+$"))
    wait_live(page)


def login(browsing: Browsing, page: Page, moderator: ModeratorInfo) -> None:
    browsing.goto(page, "/login")
    page.fill("#email", moderator.email)
    page.fill("#password", moderator.password)
    browsing.collect(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/m$"))


def wait_live(page: Page) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online", timeout=5_000)


def card_by_text(page: Page, text: str) -> Any:
    return page.locator("li[data-card]").filter(has=page.get_by_text(text, exact=True))


def post_card_ui(page: Page, text: str, kind: str = "need") -> str:
    """Post through the compose form (mouse); returns the card id once it is on the own board."""
    form = page.locator(".compose form")
    form.locator(f'input[name="kind"][value="{kind}"]').check()
    form.locator("textarea[name=text]").fill(text)
    form.locator("button[type=submit]").click()
    card = card_by_text(page, text)
    expect(card).to_have_count(1, timeout=LIVE_MS)
    card_id = card.get_attribute("data-card")
    assert card_id
    return card_id


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} not reached with {limit} presses of Tab")


def active(page: Page, expression: str) -> Any:
    return page.evaluate(f"() => {{ const el = document.activeElement; return {expression}; }}")


def seq_of(page: Page) -> int:
    return int(page.locator("#live-seq").get_attribute("data-seq") or "-1")


def serve_axe(context: BrowserContext) -> None:
    """axe-core from this origin: the app's CSP (script-src 'self') stays on while it runs."""

    def fulfil(route: Route) -> None:
        route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")

    context.route(f"**{AXE_PATH}", fulfil)


def axe_check(page: Page, label: str) -> list[str]:
    """Run axe-core on the page; returns one line per violation and node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return {
              violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))})),
              passes: r.passes.length,
              incomplete: r.incomplete.map(v => v.id + " (" + v.nodes.map(n => n.target.join(" ") + ": " +
                ((n.any[0] || n.all[0] || n.none[0] || {}).message || "?")).join("; ") + ")")};
        }""",
        AXE_TAGS,
    )
    lines = [
        f"{label}: {v['id']} ({v['impact']}) {v['help']} → {target}"
        for v in result["violations"]
        for target in v["targets"]
    ]
    print(
        f"axe {label}: {len(result['violations'])} violations, {result['passes']} rules passed, "
        f"incomplete: {', '.join(result['incomplete']) or '-'}"
    )
    return lines


def wait_presence(page: Page) -> None:
    """The presence push comes a moment after the socket opens (the page renders zeros first)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('#presence .online-count')].some(e => /[1-9]/.test(e.textContent))"
    )


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide in a {widths[1]}px viewport"


def shoot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def seed_cards(http: httpx.Client, moderator: ModeratorInfo, workshop: dict[str, Any]) -> dict[str, str]:
    """Cards from all four groups in several columns: one edited, one hidden by the moderation."""
    topic_id = workshop["topics"][0]["id"]
    people = {
        "science": join_api(http, workshop, group="science", name="Prof. Dr. Ingrid Schulze-Oberländer"),  # type: ignore[arg-type]
        "business": join_api(http, workshop, group="business", name="Kemal Aydın"),  # type: ignore[arg-type]
        "civil_society": join_api(http, workshop, group="civil_society", name="Lea Wagner"),  # type: ignore[arg-type]
        "administration": join_api(http, workshop, group="administration", name="Jonas Becker"),  # type: ignore[arg-type]
    }
    cards = [
        ("science", "need", "Zugang zu anonymisierten Mobilitätsdaten der Stadtwerke, mindestens stündlich."),
        ("business", "need", "Verlässliche Ansprechpersonen in der Verwaltung statt wechselnder Zuständigkeiten."),
        ("civil_society", "logic", "Wir arbeiten ehrenamtlich: Termine müssen abends oder am Wochenende liegen."),
        ("administration", "logic", "Jede Ausgabe braucht einen Ratsbeschluss; das dauert mindestens drei Monate."),
        ("business", "idea", "Ein gemeinsames Reallabor am Bahnhofsvorplatz, finanziert aus dem Förderprogramm."),
        ("science", "question", "Wer ist Eigentümerin der erhobenen Daten?"),
        ("civil_society", "example", "In Ulm gibt es seit 2019 ein offenes Datenportal mit Bürgerbeteiligung."),
        ("administration", "concern", "Datenschutz-Folgenabschätzung: Verkehrsüberwachungsinfrastrukturmaßnahmen."),
    ]
    ids: dict[str, str] = {}
    for group, kind, text in cards:
        response = post_card(http, people[group]["token"], topic_id, text, kind=kind)  # type: ignore[arg-type]
        assert response.status_code == 201, response.text
        ids[text] = response.json()["id"]
    edited = http.patch(
        f"/api/v1/cards/{ids[cards[5][2]]}",
        json={"text": "Wem gehören die erhobenen Daten, und wer darf sie nutzen?"},
        headers=bearer(people["science"]["token"]),
    )
    assert edited.status_code == 200, edited.text
    hidden = http.patch(f"/api/v1/cards/{ids[cards[1][2]]}", json={"hidden": True}, headers=bearer(moderator.token))
    assert hidden.status_code == 200, hidden.text
    return ids


# --- tests -----------------------------------------------------------------------------


def test_keyboard_card_reaches_the_other_phone_live(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    a = browsing.page(locale="de-DE", phone=True)
    b = browsing.page(locale="en-US")
    join(browsing, a, workshop, name="Ada Lovelace", group="science", org="TU Musterstadt")
    join(browsing, b, workshop, name="Grace Hopper", group="business", org="Stadtwerke")

    # B has half-typed a card of its own and keeps the cursor in it.
    draft = "We need one contact person and"
    b_text = b.locator(f"#text-{topic_id}")
    b_text.click()
    b.keyboard.type(draft)
    b.evaluate("() => { window.__sameDocument = true; }")

    # A writes a card with the keyboard only.
    text = "Ein offenes Reallabor für alle vier Gruppen – mit festen Sprechstunden."
    tab_to(a, 'input[name="kind"]')
    assert active(a, "el.value") == "need"  # Tab lands on the checked radio
    a.keyboard.press("ArrowRight")
    a.keyboard.press("ArrowRight")
    assert active(a, "el.name + '=' + el.value + ':' + el.checked") == "kind=idea:true"
    a.keyboard.press("Tab")
    assert active(a, "el.id") == f"text-{topic_id}"
    a.keyboard.type(text)
    a.keyboard.press("Tab")
    assert active(a, "el.type + ':' + el.closest('form').getAttribute('data-hx-post')") == (
        f"submit:/topics/{topic_id}/cards"
    )
    a.keyboard.press("Enter")

    b_card = b.locator(f"#cards-{topic_id}-idea > li[data-card]").filter(has_text=text)
    expect(b_card).to_have_count(1, timeout=LIVE_MS)
    expect(b_card.locator(".group-badge")).to_have_text("Science")
    expect(b_card.locator(".author")).to_have_text("Ada Lovelace")
    expect(b_card.locator(".own-controls")).to_be_hidden()
    assert b.evaluate("() => window.__sameDocument === true"), "B's page was reloaded"
    expect(b_text).to_have_value(draft)
    assert active(b, "el.id") == f"text-{topic_id}"
    assert active(b, "el.selectionStart") == len(draft)
    announce = b.locator("#live-announce")
    expect(announce).to_contain_text(text)
    expect(announce).to_have_attribute("aria-live", "polite")

    card_id = b_card.get_attribute("data-card")
    a_card = a.locator(f"#cards-{topic_id}-idea > #card-{card_id}")
    expect(a_card).to_have_count(1, timeout=LIVE_MS)
    expect(a_card.locator(".group-badge")).to_have_text("Wissenschaft")
    expect(a_card.locator(".own-controls")).to_be_visible()
    expect(a.locator(f"#compose-{topic_id} [data-posted-card]")).to_have_attribute("data-posted-card", card_id or "")
    assert active(a, "el.id") == f"text-{topic_id}"  # back in an empty text box for the next card
    expect(a.locator(f"#text-{topic_id}")).to_have_value("")

    # B finishes its draft; it reaches A just as well.
    b.keyboard.type(" open data.")
    b.locator(f"#compose-{topic_id} button[type=submit]").click()
    expect(card_by_text(a, draft + " open data.")).to_have_count(1, timeout=LIVE_MS)
    browsing.assert_clean()


def test_author_edits_and_deletes_own_card_live(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    a = browsing.page(locale="de-DE", phone=True)
    b = browsing.page(locale="en-US")
    join(browsing, a, workshop, name="Ada", group="science")
    join(browsing, b, workshop, name="Grace", group="business")
    a_id = post_card_ui(a, "Schnellere Genehmigungen für Pilotprojekte")
    b_id = post_card_ui(b, "A shared calendar of all city workshops", kind="idea")
    expect(a.locator(f"#card-{b_id}")).to_have_count(1, timeout=LIVE_MS)
    expect(b.locator(f"#card-{a_id}")).to_have_count(1, timeout=LIVE_MS)

    # Edit and delete controls only on one's own cards (the markup is the same for everybody).
    expect(a.locator(f"#card-{a_id} .own-controls")).to_be_visible()
    expect(a.locator(f"#card-{b_id} .own-controls")).to_be_hidden()
    expect(b.locator(f"#card-{b_id} .own-controls")).to_be_visible()
    expect(b.locator(f"#card-{a_id} .own-controls")).to_be_hidden()

    new_text = "Schnellere Genehmigungen für Pilotprojekte (max. 6 Wochen)"
    a.locator(f"#card-{a_id} .card-edit > summary").click()
    a.fill(f"#edit-{a_id}", new_text)
    a.locator(f"#card-{a_id} .card-edit button[type=submit]").click()

    b_card = b.locator(f"#card-{a_id}")
    expect(b_card.locator(".card-text")).to_have_text(new_text, timeout=LIVE_MS)
    expect(b_card.locator(".edited")).to_have_text(re.compile(r"^(edited|bearbeitet)$"))
    expect(a.locator(f"#card-{a_id} .card-text")).to_have_text(new_text)
    expect(a.locator(f"#card-{a_id} .edited")).to_have_text("bearbeitet")
    expect(a.locator(f"#card-{a_id} .own-controls")).to_be_visible()  # still A's to change

    a.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    a.locator(f"#card-{a_id} .own-controls form[action$='/delete'] button").click()
    expect(b.locator(f"#card-{a_id}")).to_have_count(0, timeout=LIVE_MS)
    expect(a.locator(f"#card-{a_id}")).to_have_count(0, timeout=LIVE_MS)
    expect(b.locator(f"#card-{b_id}")).to_have_count(1)
    browsing.assert_clean()


def test_reconnect_replays_missed_cards_once(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, proxy: TcpProxy
) -> None:
    workshop = workshop_with_topics(http, moderator)
    a = browsing.page(locale="de-DE")
    b_context = browsing.context(locale="de-DE", phone=True, base_url=proxy.url)  # B's network runs via the relay
    b = browsing.page(b_context)
    sockets: list[str] = []
    b.on("websocket", lambda ws: sockets.append(ws.url))
    join(browsing, a, workshop, name="Ada", group="science")
    join(browsing, b, workshop, name="Grace", group="business")
    b.evaluate("() => { window.__sameDocument = true; }")

    with browsing.tolerate(*WS_DOWN):
        b_context.set_offline(True)
        proxy.cut()
        expect(b.locator("#live-status")).to_have_attribute("data-state", "offline", timeout=3_000)
        seq_before = seq_of(b)  # what B has applied: the reconnect must ask for what came after it
        texts = ["Verpasst eins: Radwege", "Verpasst zwei: Sitzbänke"]
        missed = [post_card_ui(a, t) for t in texts]
        b.wait_for_timeout(300)
        for card_id in missed:
            expect(b.locator(f"#card-{card_id}")).to_have_count(0)
        assert seq_of(a) > seq_before
        proxy.restore()
        b_context.set_offline(False)
        # The extension retries with full-jitter back-off (1 s, 2 s, 4 s … windows).
        expect(b.locator("#live-status")).to_have_attribute("data-state", "online", timeout=10_000)

    for card_id in missed:
        expect(b.locator(f"#card-{card_id}")).to_have_count(1, timeout=LIVE_MS)
    # A card posted after the reconnect arrives too; once it is there, the replay is complete.
    after = post_card_ui(a, "Nach der Verbindung: Trinkbrunnen")
    expect(b.locator(f"#card-{after}")).to_have_count(1, timeout=LIVE_MS)
    for card_id in [*missed, after]:
        assert b.locator(f"#card-{card_id}").count() == 1, f"card {card_id} shown more than once"
        assert b.locator(f'[data-card="{card_id}"]').count() == 1
    expect(b.locator("#live-seq")).to_have_attribute("data-seq", str(seq_of(a)))
    assert b.evaluate("() => window.__sameDocument === true"), "B's page was reloaded"

    assert len(sockets) >= 2, sockets
    reconnect = parse_qs(urlsplit(sockets[-1]).query)
    assert reconnect.get("after") == [str(seq_before)], sockets
    browsing.assert_clean()


def test_moderator_console_and_hiding_a_card(browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Lea Wagner", group="civil_society", org="Radentscheid")
    keep_id = post_card_ui(p, "Mehr Sitzbänke am Marktplatz")
    hide_id = post_card_ui(p, "Das ist Werbung für meinen Laden", kind="idea")

    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    expect(m.locator(f'a[href="/m/workshops/{workshop["id"]}"]')).to_have_count(1)
    browsing.goto(m, f"/m/workshops/{workshop['id']}")
    wait_live(m)
    expect(m.locator(".join-code")).to_have_text(workshop["join_code"])
    expect(m.locator("#join a").first).to_have_attribute("href", re.compile(rf"/j/{workshop['join_code']}$"))
    qr = m.locator("img.qr")
    expect(qr).to_be_visible()
    m.wait_for_function(
        "() => { const i = document.querySelector('img.qr'); return i.complete && i.naturalWidth > 0; }"
    )
    assert m.evaluate("() => document.querySelector('img.qr').naturalHeight") > 0
    expect(m.locator("#participants")).to_contain_text("Lea Wagner")

    # To the topic's board the way a moderator goes: the agenda link (hx-boost).
    browsing.collect(m)
    m.locator(f'#agenda a[href$="/topics/{topic_id}"]').click()
    # Twice the navigation timeout: in the slow step this test runs beside the crash and fuzz
    # tests, which keep the disk and PostgreSQL busy, and once the page took over 10 s.
    m.wait_for_url(re.compile(rf"/m/workshops/{workshop['id']}/topics/{topic_id}$"), timeout=20_000)
    wait_live(m)
    expect(m.locator(f"#card-{hide_id}")).to_have_count(1)
    m.locator(f"#card-{hide_id} form[action$='/hide'] button").click()

    expect(p.locator(f"#card-{hide_id}")).to_have_count(0, timeout=LIVE_MS)
    expect(p.locator(f"#card-{keep_id}")).to_have_count(1)
    hidden = m.locator(f"#card-{hide_id}")
    expect(hidden).to_have_class(re.compile(r"\bis-hidden\b"))
    expect(hidden.locator(".hidden-note")).to_be_visible()
    expect(m.locator(f"#topic-tab-{topic_id} a")).to_have_attribute("aria-current", "page")
    browsing.assert_clean()


def test_letters_typed_into_a_number_field_are_refused_not_lost(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    """Typed on the keyboard, as a moderator does: the letters reach the server, which says why
    it refuses them next to the form and keeps them in the field; nothing changes. (Chromium
    drops letters typed into an ``<input type="number">``, and the novalidate form then sent it
    empty: "unchanged", and the console said nothing.)"""
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}")
    budget = m.locator("#s-budget")
    budget.fill("")
    budget.press_sequentially("fünf")
    browsing.collect(m)
    with browsing.tolerate(*REFUSED):
        m.locator("#settings form button[type=submit]").click()
        expect(m.locator("#s-budget-error")).to_have_text("Bitte geben Sie eine ganze Zahl ein.")
        expect(m.locator("#s-budget")).to_have_value("fünf")
    stored = http.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(moderator.token)).json()
    assert stored["dot_budget"] == 5, "nothing was saved"

    # The board's timer: the message lands in the alert region, the typed minutes stay.
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic_id}")
    wait_live(m)
    minutes = m.locator(f"#minutes-{topic_id}")
    minutes.fill("")
    minutes.press_sequentially("zehn")
    with browsing.tolerate(*REFUSED):
        m.locator(f"#minutes-{topic_id} ~ button[value=start]").click()
        expect(m.locator("#flash")).to_have_text("Bitte geben Sie eine ganze Zahl ein.")
        expect(minutes).to_have_value("zehn")
    browsing.assert_clean()


def test_pushes_only_target_what_the_page_has(browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo) -> None:
    """One event, three page views: each gets only fragments it has a place for (htmx logs an
    htmx:oobErrorNoTarget console error for any other)."""
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Ada", group="science")
    console = browsing.page(locale="de-DE")
    login(browsing, console, moderator)
    browsing.goto(console, f"/m/workshops/{workshop['id']}")
    wait_live(console)
    board = browsing.page(console.context)
    browsing.goto(board, f"/m/workshops/{workshop['id']}/topics/{topic_id}")
    wait_live(board)

    other = join_api(http, workshop, group="business", name="Grace")  # type: ignore[arg-type]
    card = post_card(http, other["token"], topic_id, "Eine Karte per API", kind="idea")  # type: ignore[arg-type]
    assert card.status_code == 201, card.text
    for page in (p, board):
        expect(page.locator(f"#card-{card.json()['id']}")).to_have_count(1, timeout=LIVE_MS)
    expect(console.locator("#participants")).to_contain_text("Grace", timeout=LIVE_MS)
    expect(console.locator("#live-seq")).to_have_attribute("data-seq", str(seq_of(p)), timeout=LIVE_MS)

    browsing.assert_clean()


@pytest.mark.rendering
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_axe_finds_no_wcag_violations(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, locale: str
) -> None:
    language = locale.split("-")[0]
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    seed_cards(http, moderator, workshop)
    violations: list[str] = []

    def check(page: Page, label: str) -> None:
        assert page.evaluate("() => document.documentElement.lang") == language
        violations.extend(axe_check(page, f"{language} {label}"))
        if page.locator("details:not([open])").count():  # the disclosures' content too
            page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            violations.extend(axe_check(page, f"{language} {label} (all details open)"))

    participant_context = browsing.context(locale=locale, phone=True)
    serve_axe(participant_context)
    p = browsing.page(participant_context)
    browsing.goto(p, "/")
    check(p, "start")
    browsing.goto(p, f"/j/{workshop['join_code']}")
    check(p, "join")
    join(browsing, p, workshop, name="Ada", group="science", org="Hochschule")
    post_card_ui(p, "Eine eigene Karte, mit Bearbeiten und Löschen.", kind="question")
    check(p, "participant board")

    moderator_context = browsing.context(locale=locale)
    serve_axe(moderator_context)
    m = browsing.page(moderator_context)
    browsing.goto(m, "/login")
    check(m, "login")
    login(browsing, m, moderator)
    check(m, "moderator home")
    browsing.goto(m, f"/m/workshops/{workshop['id']}")
    wait_live(m)
    check(m, "console")
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic_id}")
    wait_live(m)
    check(m, "moderator board")

    assert not violations, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(violations)
    browsing.assert_clean()


@pytest.mark.rendering
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_screenshots(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, screenshot_dir: Path | None, locale: str
) -> None:
    """Full-page screenshots for a human look (saved only when RUNDE_SCREENSHOT_DIR is set)."""
    language = locale.split("-")[0]
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    seed_cards(http, moderator, workshop)

    phone = browsing.page(locale=locale, phone=True)
    browsing.goto(phone, f"/j/{workshop['join_code']}")
    shoot(phone, screenshot_dir, f"{language}-join-phone")
    assert_no_sideways_scroll(phone)
    join(browsing, phone, workshop, name="Ada Lovelace", group="science", org="Hochschule Musterstadt")
    post_card_ui(phone, "Ein Reallabor mit offenen Schnittstellen für alle.", kind="idea")
    wait_presence(phone)
    shoot(phone, screenshot_dir, f"{language}-board-phone")
    assert_no_sideways_scroll(phone)

    desktop = browsing.page(locale=locale)
    join(browsing, desktop, workshop, name="Kemal Aydın", group="business", org="Stadtwerke")
    wait_presence(desktop)
    shoot(desktop, screenshot_dir, f"{language}-board-desktop")
    assert_no_sideways_scroll(desktop)

    m = browsing.page(locale=locale)
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}")
    wait_live(m)
    m.wait_for_function("() => document.querySelector('img.qr').complete")
    shoot(m, screenshot_dir, f"{language}-console-desktop")
    assert_no_sideways_scroll(m)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic_id}")
    wait_live(m)
    wait_presence(m)
    shoot(m, screenshot_dir, f"{language}-moderator-board-desktop")
    assert_no_sideways_scroll(m)
    browsing.assert_clean()
